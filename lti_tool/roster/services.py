"""Roster sync: read a course's members through NRPS and upsert people and memberships within the
course's registration (the caller runs this inside that tenant's scope).

Members the platform marks Inactive (or Deleted) keep their membership, deactivated. Members no
longer listed by a *complete* sync are deactivated too; a sync cut short by the page cap
deactivates nobody. Each page is committed with the job's progress, so a crash loses at most one
page, and a re-run is idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from adapters.http import HttpClient, HttpError
from lti_tool.extensions import db
from lti_tool.jobs.registry import JobFailed, JobRun
from lti_tool.lti.context import TEXT_MAX
from lti_tool.lti.models import Registration, utcnow
from lti_tool.lti.nrps import Member, NrpsClient
from lti_tool.lti.roles import map_roles
from lti_tool.lti.service_tokens import PlatformAccount, ServiceTokens, TokenError
from lti_tool.people.models import Course, Membership, Person
from lti_tool.roles import services as job_roles

_PROFILE_FIELDS = ("name", "given_name", "family_name", "email")


@dataclass
class SyncResult:
    members: int = 0
    new_people: int = 0
    inactive: int = 0
    removed: int = 0
    roles_changed: int = 0
    truncated: bool = False

    def summary(self) -> str:
        text = (
            f"Synced {self.members} members: {self.new_people} new, "
            f"{self.inactive} inactive in the LMS, {self.removed} no longer in the course."
        )
        if self.roles_changed:
            roles = "job role" if self.roles_changed == 1 else "job roles"
            text += f" {self.roles_changed} {roles} changed from the LMS's values."
        if self.truncated:
            text += " The roster was longer than the page limit, so nobody was deactivated."
        return text


@dataclass(frozen=True)
class SyncSettings:
    job_role_parameter: str
    page_size: int
    max_pages: int
    http_timeout: float


def _profile(member: Member, job_role: str) -> dict[str, str]:
    """The person's columns from the roster, as long as they are kept (as a launch keeps them:
    an email address too long to keep is no address, not a shorter one)."""
    values = {
        attr: getattr(member, attr)[:TEXT_MAX] for attr in _PROFILE_FIELDS if getattr(member, attr)
    }
    if len(member.email) > TEXT_MAX:
        del values["email"]
    if job_role:
        values["job_role"] = job_role[:120]
    return values


def _apply_page(
    course: Course, members: Sequence[Member], settings: SyncSettings, result: SyncResult
) -> set[int]:
    """Upsert one page. New rows go in as one multi-row INSERT each (a first sync of a large
    course is mostly new people); known rows are updated only where something changed."""
    registration_id = course.registration_id
    by_sub = {m.user_id: m for m in members}
    profiles = {
        sub: _profile(m, m.custom(settings.job_role_parameter)) for sub, m in by_sub.items()
    }
    people = {
        p.sub: p
        for p in db.session.scalars(
            select(Person).where(
                Person.registration_id == registration_id, Person.sub.in_(list(by_sub))
            )
        )
    }
    ids = {sub: person.id for sub, person in people.items()}
    # A job-role value the person did not have: mapped to a job role as a launch's would be
    # (roles.lti_values_seen), so the role-changed hook re-assigns learning paths.
    job_roles_seen: list[tuple[Person, str]] = []
    for sub, person in people.items():
        for attr, value in profiles[sub].items():
            if getattr(person, attr) != value:
                setattr(person, attr, value)
                if attr == "job_role":
                    job_roles_seen.append((person, value))
    new_subs = [sub for sub in by_sub if sub not in people]
    if new_subs:
        now = utcnow()
        # A launch or another course's sync may add the same person meanwhile: skip those rows
        # here and read their ids back, rather than failing the whole page.
        inserted = db.session.execute(
            _insert(Person).on_conflict_do_nothing().returning(Person.id, Person.sub),
            [
                {"registration_id": registration_id, "sub": sub, "created_at": now, **profiles[sub]}
                for sub in new_subs
            ],
        )
        ids.update({sub: person_id for person_id, sub in inserted})
        raced = [sub for sub in new_subs if sub not in ids]
        if raced:
            ids.update(
                {
                    sub: person_id
                    for person_id, sub in db.session.execute(
                        select(Person.id, Person.sub).where(
                            Person.registration_id == registration_id, Person.sub.in_(raced)
                        )
                    )
                }
            )
        result.new_people += len(new_subs)

    memberships = {
        m.person_id: m
        for m in db.session.scalars(
            select(Membership).where(
                Membership.course_id == course.id, Membership.person_id.in_(list(ids.values()))
            )
        )
    }
    fresh = []
    for sub, member in by_sub.items():
        roles = sorted(r.value for r in map_roles(member.roles))
        if not member.active:
            result.inactive += 1
        row = memberships.get(ids[sub])
        if row is None:
            fresh.append(
                {
                    "registration_id": registration_id,
                    "course_id": course.id,
                    "person_id": ids[sub],
                    "lti_roles": list(member.roles),
                    "roles": roles,
                    "active": member.active,
                }
            )
            continue
        if row.lti_roles != list(member.roles):
            row.lti_roles = list(member.roles)
        if row.roles != roles:
            row.roles = roles
        if row.active != member.active:
            row.active = member.active
    if fresh:
        db.session.execute(_insert(Membership).on_conflict_do_nothing(), fresh)
    db.session.flush()
    new_with_role = [ids[sub] for sub in new_subs if sub in ids and profiles[sub].get("job_role")]
    if new_with_role:
        job_roles_seen += [
            (person, person.job_role)
            for person in db.session.scalars(select(Person).where(Person.id.in_(new_with_role)))
        ]
    if job_roles_seen:
        result.roles_changed += job_roles.lti_values_seen(job_roles_seen)
    return set(ids.values())


def _deactivate_missing(course_id: int, seen: set[int]) -> int:
    rows = db.session.execute(
        select(Membership.id, Membership.person_id).where(
            Membership.course_id == course_id, Membership.active.is_(True)
        )
    )
    gone = [mid for mid, person_id in rows if person_id not in seen]
    for start in range(0, len(gone), 500):
        db.session.execute(
            update(Membership)
            .where(Membership.id.in_(gone[start : start + 500]))
            .values(active=False, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return len(gone)


def _insert(model: Any) -> Any:
    dialect = db.session.get_bind().dialect.name
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(model)


def sync_course(course_id: int, run: JobRun, settings: SyncSettings) -> SyncResult:
    course = db.session.get(Course, course_id)
    if course is None:
        raise JobFailed("The course no longer exists in Wayfinder.", retry=False)
    if not course.roster_url:
        raise JobFailed(
            "The LMS has not offered this course's roster (NRPS) in any launch yet. Enable the "
            "Names and Role Provisioning service for Wayfinder in the LMS, then open Wayfinder "
            "from the course once.",
            retry=False,
        )
    registration = db.session.get(Registration, course.registration_id)
    assert registration is not None
    if not registration.enabled:
        raise JobFailed(
            "This LMS's registration is switched off in Wayfinder: no roster is read from it.",
            retry=False,
        )
    if not registration.auth_token_url:
        raise JobFailed(
            "Wayfinder has no token URL for this LMS, so it cannot ask for the roster. Add it on "
            "the admin pages (Manual setup) or with `flask registrations add`.",
            retry=False,
        )
    account = PlatformAccount.of(registration)
    http = HttpClient(timeout=settings.http_timeout)
    client = NrpsClient(
        account,
        ServiceTokens(http),
        http,
        page_size=settings.page_size,
        max_pages=settings.max_pages,
    )
    course_pk, roster_url = course.id, course.roster_url
    result = SyncResult()
    seen: set[int] = set()
    run.progress(0, None, "Reading the roster from the LMS.")
    try:
        for page in client.pages(roster_url):
            course = db.session.get(Course, course_pk)
            assert course is not None
            seen |= _apply_page(course, page.members, settings, result)
            result.members += len(page.members)
            more = " so far" if page.next_url else ""
            run.progress(result.members, None, f"{result.members} members read{more}.")
    except TokenError as exc:
        raise JobFailed(str(exc)) from exc
    except HttpError as exc:
        raise JobFailed(f"The LMS did not hand over the roster: {exc}.") from exc
    result.truncated = client.truncated
    if not result.truncated:
        result.removed = _deactivate_missing(course_pk, seen)
    course = db.session.get(Course, course_pk)
    assert course is not None
    course.roster_synced_at = utcnow()
    run.progress(result.members, result.members, result.summary())
    return result


@dataclass(frozen=True)
class RosterRow:
    membership: Membership
    person: Person


def roster_page(course_id: int, page: int, per_page: int = 50) -> tuple[list[RosterRow], int]:
    """One page of the course's members, active first, then by name. Returns (rows, total)."""
    total = (
        db.session.scalar(
            select(func.count()).select_from(Membership).where(Membership.course_id == course_id)
        )
        or 0
    )
    rows = db.session.execute(
        select(Membership, Person)
        .join(Person, Person.id == Membership.person_id)
        .where(Membership.course_id == course_id)
        .order_by(Membership.active.desc(), Person.name, Person.sub)
        .limit(per_page)
        .offset(max(0, page - 1) * per_page)
    )
    return [RosterRow(m, p) for m, p in rows], total
