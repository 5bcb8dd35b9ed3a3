"""Recognition services: plain functions over the current tenant's session (the request scopes
it, see lti_tool/tenancy.py). They add and flush; the view (or the CLI) commits once.

Who may do what
---------------
- Everyone launched: see the tenant's badges and who holds them, their own badges (and export
  them as Open Badges 3.0 credentials), thank a colleague (kudos), see colleagues' recognition,
  the team view and "people near me", and choose to leave those two views.
- Trainers (LTI Instructor): define, edit and archive badges; award any badge to anyone.
- Leaders: award a badge, with a message, to the members of the teams they lead.
- Nobody awards themselves; a person holds each badge at most once.

Automatic awards
----------------
``register_hooks`` puts an award check on the events that meet a criterion: a path completed
(paths' ``path_completed``), a tip verified (the community's ``tip_verified``), a coaching
session signed off by both sides (coaching's ``session_completed``) and ratings changed
(personal's ``ratings_saved``); same transaction, they flush, never commit. The periodic
``recognition_award`` job (``flask recognition award``) re-evaluates every badge for a tenant,
for badges created or changed after people met them. The insert is ``ON CONFLICT DO NOTHING``
on (badge, person): two awards racing each other leave one row, and only the one that inserted
notifies the person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import insert as sa_insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from lti_tool.community import services as community
from lti_tool.community.models import Answer, Notification, Post
from lti_tool.extensions import db
from lti_tool.i18n import _, _l, date_text, ngettext
from lti_tool.insights.events import record_event
from lti_tool.insights.models import Verb
from lti_tool.lti.models import utcnow
from lti_tool.paths import services as paths
from lti_tool.paths.models import Assignment, AssignmentStatus, Path
from lti_tool.people.models import Person
from lti_tool.recognition import criteria, designs
from lti_tool.recognition.models import Award, Badge, Criterion, Kudos, Visibility, new_uuid
from lti_tool.roles import services as roles
from lti_tool.roles.models import Skill, Team, TeamMember

NAME_MAX = 120
TEXT_MAX = 2000
MESSAGE_MAX = 1000
KUDOS_MAX = 500
# Thanks a person may send in 24 hours: each one notifies the colleague, so a loop or a script
# must not flood anyone's notifications; a person thanking a whole team in a day stays well under.
KUDOS_PER_DAY = 30
THRESHOLD_MAX = 1000
PAGE_SIZE = 20
INSERT_CHUNK = 500
NEAR_SPREAD = 20  # percentage points either side of one's own progress
NEAR_LIMIT = 12


MAX_ID = 2**31 - 1


def _get(model: Any, pk: int) -> Any:
    """A row by id from the URL (Flask's int converter has no upper bound), or NotFound."""
    row = db.session.get(model, pk) if 0 < pk <= MAX_ID else None
    if row is None:
        raise NotFound(pk)
    return row


def as_id(text: str | None) -> int | None:
    """A row id typed in a form or a query string: plain ASCII digits that fit the database's
    integer, else None (so "²" or 40 digits never reach int() or the database)."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


class NotFound(LookupError):
    pass


class Forbidden(PermissionError):
    pass


@dataclass(frozen=True)
class Actor:
    registration_id: int
    person_id: int
    name: str = ""
    is_instructor: bool = False
    is_leader: bool = False
    is_administrator: bool = False

    @property
    def manages_badges(self) -> bool:
        return self.is_instructor

    @property
    def may_award(self) -> bool:
        return self.is_instructor or self.is_leader

    @property
    def is_staff(self) -> bool:
        return self.is_instructor or self.is_administrator


# --- badges ---------------------------------------------------------------------------------


def badges(include_archived: bool = False) -> list[Badge]:
    stmt = select(Badge).order_by(Badge.archived, func.lower(Badge.name))
    if not include_archived:
        stmt = stmt.where(Badge.archived.is_(False))
    return list(db.session.scalars(stmt))


def badge(pk: int) -> Badge:
    row: Badge = _get(Badge, pk)
    return row


def holder_counts() -> dict[int, int]:
    rows = db.session.execute(select(Award.badge_id, func.count()).group_by(Award.badge_id))
    return {bid: n for bid, n in rows}


def path_choices() -> list[Path]:
    return list(db.session.scalars(select(Path).order_by(func.lower(Path.title))))


def skill_choices() -> list[Skill]:
    return roles.skills()


def describe(b: Badge) -> str:
    """The automatic rule in a few words ("Complete the path …", "3 verified tips")."""
    kind = b.criterion_enum
    if kind is Criterion.PATH_COMPLETED:
        p = db.session.get(Path, b.path_id) if b.path_id else None
        if p:
            return _("Complete the path “%(title)s”", title=p.title)
        return _("Complete any learning path")
    if kind is Criterion.VERIFIED_TIPS:
        return ngettext(
            "%(num)s tip verified by an expert", "%(num)s tips verified by an expert", b.threshold
        )
    if kind is Criterion.COACHING_GIVEN:
        return ngettext(
            "Give %(num)s coaching session", "Give %(num)s coaching sessions", b.threshold
        )
    if kind is Criterion.SKILL_LEVEL:
        s = db.session.get(Skill, b.skill_id) if b.skill_id else None
        if s:
            return _("Reach level %(level)d in %(skill)s", level=b.threshold, skill=s.name)
        return _("Reach level %(level)d in a skill (deleted)", level=b.threshold)
    return _("Awarded by a leader or trainer")


def _int(value: str, low: int, high: int, errors: dict[str, str], key: str, what: Any) -> int:
    """``what`` is the message to show, with %(low)d and %(high)d (lazy, from _WHAT)."""
    text = (value or "").strip()
    number = as_id(text)
    if number is None or not low <= number <= high:
        errors[key] = str(what) % {"low": low, "high": high}
        return low
    return number


_WHAT = {
    "count": _l("Enter a number between %(low)d and %(high)d."),
    "level": _l("Enter a level between %(low)d and %(high)d."),
}


def _at_most(limit: int) -> str:
    return _("Use at most %(num)s characters.", num=limit)


def save_badge(who: Actor, row: Badge | None, values: dict[str, str]) -> tuple[Badge | None, dict]:
    """Create (row None) or edit a badge from the form's values; (badge, {}) or (None, errors)."""
    if not who.manages_badges:
        raise Forbidden("badges")
    errors: dict[str, str] = {}
    name = " ".join((values.get("name") or "").split())
    if not name:
        errors["name"] = _("Give the badge a name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _at_most(NAME_MAX)
    else:
        clash = db.session.scalar(select(Badge.id).where(func.lower(Badge.name) == name.lower()))
        if clash is not None and (row is None or clash != row.id):
            errors["name"] = _("Another badge already has this name.")
    description = (values.get("description") or "").strip()
    if not description:
        errors["description"] = _("Say in a sentence what the badge celebrates.")
    elif len(description) > TEXT_MAX:
        errors["description"] = _at_most(TEXT_MAX)
    criteria_text = (values.get("criteria_text") or "").strip()
    if not criteria_text:
        errors["criteria_text"] = _("Say what someone does to earn it (shown with the badge).")
    elif len(criteria_text) > TEXT_MAX:
        errors["criteria_text"] = _at_most(TEXT_MAX)
    design = values.get("design") or ""
    if design not in designs.DESIGNS:
        errors["design"] = _("Choose a picture.")
    try:
        kind = Criterion(values.get("criterion") or "")
    except ValueError:
        errors["criterion"] = _("Choose how the badge is earned.")
        kind = Criterion.LEADER
    path_id: int | None = None
    skill_id: int | None = None
    threshold = 1
    if kind is Criterion.PATH_COMPLETED:
        raw = (values.get("path_id") or "").strip()
        if raw:
            path_id = as_id(raw)
            if path_id is None or db.session.get(Path, path_id) is None:
                errors["path_id"] = _("Choose one of the paths, or any path.")
                path_id = None
    elif kind in (Criterion.VERIFIED_TIPS, Criterion.COACHING_GIVEN):
        threshold = _int(values.get("count", ""), 1, THRESHOLD_MAX, errors, "count", _WHAT["count"])
    elif kind is Criterion.SKILL_LEVEL:
        raw = (values.get("skill_id") or "").strip()
        skill_id = as_id(raw)
        if skill_id is None or db.session.get(Skill, skill_id) is None:
            errors["skill_id"] = _("Choose the skill.")
            skill_id = None
        threshold = _int(values.get("level", ""), 1, 5, errors, "level", _WHAT["level"])
    if errors:
        return None, errors
    if row is None:
        row = Badge(registration_id=who.registration_id, created_by_id=who.person_id)
        db.session.add(row)
    row.name, row.description, row.criteria_text = name, description, criteria_text
    row.design, row.criterion = design, kind.value
    row.path_id, row.skill_id, row.threshold = path_id, skill_id, threshold
    db.session.flush()
    return row, {}


def delete_or_archive(who: Actor, row: Badge) -> str:
    """A badge nobody holds is deleted; one somebody holds is archived (their award stays).
    Returns "deleted" or "archived"."""
    if not who.manages_badges:
        raise Forbidden("badges")
    held = db.session.scalar(select(func.count()).where(Award.badge_id == row.id)) or 0
    if held:
        row.archived = True
        db.session.flush()
        return "archived"
    db.session.delete(row)
    db.session.flush()
    return "deleted"


def restore(who: Actor, row: Badge) -> None:
    if not who.manages_badges:
        raise Forbidden("badges")
    row.archived = False
    db.session.flush()


# --- awards ---------------------------------------------------------------------------------


def _insert_awards(
    registration_id: int,
    badge_id: int,
    rows: list[tuple[int, str]],
    awarded_by_id: int | None = None,
    message: str = "",
) -> list[int]:
    """Insert an award of the badge for each (person id, evidence), skipping people who hold it
    already; the ids of the people who got it now. Race-safe: the unique constraint on (badge,
    person) decides and ON CONFLICT DO NOTHING turns the loser into a no-op (on PostgreSQL a
    second insert waits for the first transaction, then does nothing). Several rows go in one
    statement, so re-evaluating a whole tenant is not one round trip per award."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    inserted: list[int] = []
    for start in range(0, len(rows), INSERT_CHUNK):
        values = [
            {
                "registration_id": registration_id,
                "uid": new_uuid(),
                "badge_id": badge_id,
                "person_id": person_id,
                "awarded_at": now,
                "awarded_by_id": awarded_by_id,
                "message": message,
                "evidence": evidence,
            }
            for person_id, evidence in rows[start : start + INSERT_CHUNK]
        ]
        stmt = (
            insert(Award)
            .values(values)
            .on_conflict_do_nothing(index_elements=["badge_id", "person_id"])
            .returning(Award.person_id)
        )
        inserted.extend(db.session.execute(stmt).scalars())
    if inserted:
        title = db.session.scalar(select(Badge.name).where(Badge.id == badge_id)) or ""
        for person_id in inserted:
            record_event(registration_id, person_id, Verb.AWARDED, "badge", badge_id, title=title)
        db.session.execute(
            sa_insert(Notification),
            [
                {
                    "registration_id": registration_id,
                    "person_id": person_id,
                    "kind": "badge_given" if awarded_by_id else "badge",
                    "actor_id": awarded_by_id,
                    "created_at": now,
                }
                for person_id in inserted
            ],
        )
    return inserted


def _grant(b: Badge, person_id: int, by: Actor | None, message: str, evidence: str) -> int | None:
    """Award one badge to one person (and notify them); the new award's id, or None when they
    hold it already."""
    got = _insert_awards(
        b.registration_id, b.id, [(person_id, evidence)], by.person_id if by else None, message
    )
    if not got:
        return None
    return db.session.scalar(
        select(Award.id).where(Award.badge_id == b.id, Award.person_id == person_id)
    )


def award_automatic(
    registration_id: int,
    person_ids: Iterable[int] | None = None,
    kinds: Iterable[Criterion] | None = None,
    badge_id: int | None = None,
) -> int:
    """Award every automatic badge (of these kinds, or just this one) its criterion says people
    have earned and they do not hold yet; None means everyone. Returns how many were awarded."""
    stmt = select(Badge).where(Badge.archived.is_(False), Badge.criterion != Criterion.LEADER.value)
    if badge_id is not None:
        stmt = stmt.where(Badge.id == badge_id)
    if kinds is not None:
        stmt = stmt.where(Badge.criterion.in_([k.value for k in kinds]))
    wanted = None if person_ids is None else list(person_ids)
    awarded = 0
    for b in db.session.scalars(stmt).all():
        met = criteria.who_meets(b, wanted)
        if not met:
            continue
        holders = set(
            db.session.scalars(
                select(Award.person_id).where(
                    Award.badge_id == b.id, Award.person_id.in_([m.person_id for m in met])
                )
            )
        )
        new = [(m.person_id, m.evidence) for m in met if m.person_id not in holders]
        awarded += len(_insert_awards(b.registration_id, b.id, new))
    return awarded


def on_path_completed(a: Assignment) -> None:
    award_automatic(a.registration_id, [a.person_id], [Criterion.PATH_COMPLETED])


def on_tip_verified(row: Post) -> None:
    if row.author_id is not None:
        award_automatic(row.registration_id, [row.author_id], [Criterion.VERIFIED_TIPS])


def on_coaching_completed(row: Any) -> None:
    """A session both sides signed off counts for its coach (coaching.models.CoachingSession)."""
    award_automatic(row.registration_id, [row.coach_id], [Criterion.COACHING_GIVEN])


def on_ratings_saved(person: Person) -> None:
    award_automatic(person.registration_id, [person.id], [Criterion.SKILL_LEVEL])


def register_hooks() -> None:
    if on_path_completed not in paths.path_completed:
        paths.path_completed.append(on_path_completed)
    if on_tip_verified not in community.tip_verified:
        community.tip_verified.append(on_tip_verified)
    from lti_tool.coaching import services as coaching
    from lti_tool.paths import personal

    if on_coaching_completed not in coaching.session_completed:
        coaching.session_completed.append(on_coaching_completed)
    if on_ratings_saved not in personal.ratings_saved:
        personal.ratings_saved.append(on_ratings_saved)
    community.NOTIFICATION_TEXT.update(
        {
            "badge": _l("You earned a new badge"),
            "badge_given": _l("%(actor)s awarded you a badge"),
            "kudos": _l("%(actor)s thanked you"),
        }
    )
    community.NOTIFICATION_LINKS.update(
        {
            "badge": "recognition.mine",
            "badge_given": "recognition.mine",
            "kudos": "recognition.mine",
        }
    )


def may_award_to(who: Actor, person_id: int) -> bool:
    if person_id == who.person_id or not who.may_award:
        return False
    if who.is_instructor:
        return True
    leader = roles.team_leader_of(person_id)
    return leader is not None and leader.id == who.person_id


PICK_LIMIT = 200  # more people than this: the award form asks for a name or e-mail instead


def awardable_people(who: Actor) -> list[Person]:
    """Whom this leader or trainer may award: their team members (trainers: everyone, up to
    PICK_LIMIT + 1, which tells the form to ask for a name instead of listing them)."""
    if not who.may_award:
        return []
    if who.is_instructor:
        stmt = select(Person).where(Person.id != who.person_id).limit(PICK_LIMIT + 1)
    else:
        stmt = (
            select(Person)
            .join(TeamMember, TeamMember.person_id == Person.id)
            .join(Team, Team.id == TeamMember.team_id)
            .where(Team.leader_id == who.person_id, Person.id != who.person_id)
        )
    return sorted(db.session.scalars(stmt), key=lambda p: p.display_name.lower())


def award_by_hand(who: Actor, values: dict[str, str]) -> tuple[Award | None, dict[str, str]]:
    """A leader or trainer awards a badge with a message; (award, {}) or (None, errors)."""
    if not who.may_award:
        raise Forbidden("award")
    errors: dict[str, str] = {}
    b: Badge | None = None
    raw_badge = (values.get("badge_id") or "").strip()
    if as_id(raw_badge) is not None:
        b = db.session.get(Badge, as_id(raw_badge))
    if b is None:
        errors["badge_id"] = _("Choose a badge.")
    elif b.archived:
        errors["badge_id"] = _("“%(name)s” is archived: it can no longer be awarded.", name=b.name)
    person: Person | None = None
    raw_person = (values.get("person_id") or "").strip()
    problem = _("Choose the person.")
    if raw_person.isascii() and raw_person.isdigit():
        person = db.session.get(Person, as_id(raw_person)) if as_id(raw_person) else None
    elif raw_person:
        person, problem = roles.find_person(raw_person)
    if person is None:
        errors["person_id"] = problem
    elif person.id == who.person_id:
        errors["person_id"] = _("You cannot award yourself a badge.")
    elif not may_award_to(who, person.id):
        errors["person_id"] = _("Leaders award badges to the members of the teams they lead.")
    message = (values.get("message") or "").strip()
    if not message:
        errors["message"] = _("Say why: the message is shown with the badge.")
    elif len(message) > MESSAGE_MAX:
        errors["message"] = _at_most(MESSAGE_MAX)
    if errors or b is None or person is None:
        return None, errors
    evidence = f"Awarded by {who.name or 'their leader'}: {message}"
    new_id = _grant(b, person.id, who, message, evidence)
    if new_id is None:
        held = db.session.scalar(
            select(Award).where(Award.badge_id == b.id, Award.person_id == person.id)
        )
        if held:
            errors["person_id"] = _(
                "%(person)s holds “%(badge)s” already since %(date)s.",
                person=person.display_name,
                badge=b.name,
                date=date_text(held.awarded_at, "dd MMMM y"),
            )
        else:
            errors["person_id"] = _(
                "%(person)s holds “%(badge)s” already.", person=person.display_name, badge=b.name
            )
        return None, errors
    return db.session.get(Award, new_id), {}


def award(pk: int) -> Award:
    row = (
        None
        if pk > MAX_ID
        else db.session.scalar(
            select(Award)
            .options(selectinload(Award.badge), selectinload(Award.person))
            .where(Award.id == pk)
        )
    )
    if row is None:
        raise NotFound(pk)
    return row


def awards_of(person_id: int) -> list[Award]:
    return list(
        db.session.scalars(
            select(Award)
            .options(selectinload(Award.badge), selectinload(Award.awarded_by))
            .where(Award.person_id == person_id)
            .order_by(Award.awarded_at.desc(), Award.id.desc())
        )
    )


@dataclass
class Page:
    rows: list[Any]
    page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def holders(b: Badge, page: int = 1) -> Page:
    total = db.session.scalar(select(func.count()).where(Award.badge_id == b.id)) or 0
    page = min(max(page, 1), max(1, -(-total // PAGE_SIZE)))
    rows = list(
        db.session.scalars(
            select(Award)
            .options(selectinload(Award.person), selectinload(Award.awarded_by))
            .where(Award.badge_id == b.id)
            .order_by(Award.awarded_at.desc(), Award.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    return Page(rows, page, total)


@dataclass(frozen=True)
class Progress:
    badge: Badge
    rule: str
    have: int
    need: int


def progress_towards(person_id: int, held: set[int]) -> list[Progress]:
    """The automatic badges a person does not hold yet, with how far they are (where counted)."""
    out = []
    for b in badges():
        if b.id in held or not b.automatic:
            continue
        have, need = 0, 1
        if b.criterion_enum is Criterion.VERIFIED_TIPS:
            need = b.threshold
            have = (
                db.session.scalar(
                    select(func.count()).where(
                        Post.author_id == person_id,
                        Post.kind == "tip",
                        Post.status == "visible",
                        Post.verified_at.is_not(None),
                    )
                )
                or 0
            )
        elif b.criterion_enum is Criterion.COACHING_GIVEN:
            need = b.threshold
            have = criteria.coaching_sessions_given([person_id]).get(person_id, 0)
        elif b.criterion_enum is Criterion.SKILL_LEVEL and b.skill_id:
            need = b.threshold
            have = criteria.skill_levels(b.skill_id, [person_id]).get(person_id, 0)
        out.append(Progress(b, describe(b), min(have, need), need))
    return out


# --- kudos ----------------------------------------------------------------------------------


@dataclass
class KudosForm:
    person_id: str = ""
    to: str = ""
    message: str = ""
    post_id: str = ""
    answer_id: str = ""


@dataclass
class KudosTarget:
    """What the thanks is for, when it came from a post or an answer."""

    post: Post | None = None
    answer: Answer | None = None

    @property
    def title(self) -> str:
        if self.post is None:
            return ""
        if self.answer:
            return _("an answer to “%(title)s”", title=self.post.title)
        return f"“{self.post.title}”"


def kudos_target(form: KudosForm) -> KudosTarget:
    target = KudosTarget()
    if as_id(form.answer_id) is not None:
        reply = db.session.get(Answer, as_id(form.answer_id))
        if reply is not None and reply.visible and reply.post.visible:
            target.answer, target.post = reply, reply.post
    elif as_id(form.post_id) is not None:
        row = db.session.get(Post, as_id(form.post_id))
        if row is not None and row.visible:
            target.post = row
    return target


def kudos_recipient(form: KudosForm) -> tuple[Person | None, str]:
    if as_id(form.person_id) is not None:
        person = db.session.get(Person, as_id(form.person_id))
        if person is not None:
            return person, ""
    if not form.to.strip():
        return None, _("Enter the name or email of the colleague you thank.")
    return roles.find_person(form.to)


def give_kudos(who: Actor, form: KudosForm) -> tuple[Kudos | None, dict[str, str]]:
    errors: dict[str, str] = {}
    person, problem = kudos_recipient(form)
    if person is None:
        errors["to"] = problem
    elif person.id == who.person_id:
        errors["to"] = _("Thank a colleague: you cannot thank yourself.")
    message = " ".join(form.message.split())
    if not message:
        errors["message"] = _("Say what they helped you with.")
    elif len(message) > KUDOS_MAX:
        errors["message"] = _(
            "Use at most %(num)s characters (you wrote %(length)d).",
            num=KUDOS_MAX,
            length=len(message),
        )
    elif kudos_sent_since(who.person_id, utcnow() - timedelta(days=1)) >= KUDOS_PER_DAY:
        errors["message"] = (
            _(
                "You have sent %(num)s thanks in the last 24 hours, the most Wayfinder sends in "
                "a day.",
                num=KUDOS_PER_DAY,
            )
            + " "
            + _("Keep this message and send it tomorrow.")
        )
    if errors or person is None:
        return None, errors
    first = db.session.scalar(
        select(Kudos)
        .where(
            Kudos.from_id == who.person_id,
            Kudos.to_id == person.id,
            Kudos.message == message,
            Kudos.created_at >= utcnow() - community.REPEAT_WINDOW,
        )
        .limit(1)
    )
    if first is not None:
        return first, {}  # the same thanks sent again (a second click): no copy, no second note
    target = kudos_target(form)
    row = Kudos(
        registration_id=who.registration_id,
        from_id=who.person_id,
        to_id=person.id,
        message=message,
        post_id=target.post.id if target.post else None,
        answer_id=target.answer.id if target.answer else None,
    )
    db.session.add(row)
    db.session.add(
        Notification(
            registration_id=who.registration_id,
            person_id=person.id,
            kind="kudos",
            actor_id=who.person_id,
        )
    )
    db.session.flush()
    return row, {}


def kudos_sent_since(person_id: int, since: datetime) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(Kudos.from_id == person_id, Kudos.created_at >= since)
        )
        or 0
    )


def kudos_page(person_id: int, direction: str, page: int = 1, size: int = PAGE_SIZE) -> Page:
    column = Kudos.to_id if direction == "received" else Kudos.from_id
    total = db.session.scalar(select(func.count()).where(column == person_id)) or 0
    page = min(max(page, 1), max(1, -(-total // size)))
    rows = list(
        db.session.scalars(
            select(Kudos)
            .options(selectinload(Kudos.sender), selectinload(Kudos.recipient))
            .where(column == person_id)
            .order_by(Kudos.created_at.desc(), Kudos.id.desc())
            .offset((page - 1) * size)
            .limit(size)
        )
    )
    return Page(rows, page, total)


def kudos_posts(rows: Iterable[Kudos]) -> dict[int, Post]:
    ids = {k.post_id for k in rows if k.post_id}
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Post).where(Post.id.in_(ids)))}


# --- visibility and profiles ----------------------------------------------------------------


def visibility(person_id: int) -> Visibility:
    row = db.session.scalar(select(Visibility).where(Visibility.person_id == person_id))
    return row or Visibility(person_id=person_id, in_team_view=True, in_near_me=True)


def set_visibility(who: Actor, in_team_view: bool, in_near_me: bool) -> None:
    row = db.session.scalar(select(Visibility).where(Visibility.person_id == who.person_id))
    if row is None:
        row = Visibility(registration_id=who.registration_id, person_id=who.person_id)
        db.session.add(row)
    row.in_team_view, row.in_near_me = in_team_view, in_near_me
    db.session.flush()


def _hidden(column: str) -> set[int]:
    col = getattr(Visibility, column)
    return set(db.session.scalars(select(Visibility.person_id).where(col.is_(False))))


@dataclass
class Profile:
    person: Person
    awards: list[Award]
    received: Page
    given: Page
    posts: dict[int, Post] = field(default_factory=dict)
    visibility: Visibility | None = None


PROFILE_KUDOS = 5


def profile(person_id: int) -> Profile:
    person: Person = _get(Person, person_id)
    received = kudos_page(person_id, "received", 1, PROFILE_KUDOS)
    given = kudos_page(person_id, "given", 1, PROFILE_KUDOS)
    return Profile(
        person,
        awards_of(person_id),
        received,
        given,
        kudos_posts(received.rows + given.rows),
        visibility(person_id),
    )


# --- the team view and people near me -------------------------------------------------------


@dataclass
class MemberRecognition:
    person: Person
    awards: list[Award]
    kudos_received: int
    latest_kudos: Kudos | None


@dataclass
class TeamRecognition:
    team: Team
    members: list[MemberRecognition]
    hidden: int  # members who chose to leave the view (not named)


def teams_for(who: Actor) -> list[Team]:
    """Teams whose view this person may open: their own, the ones they lead; staff: all."""
    if who.is_staff:
        return roles.teams()
    found = {t.id: t for t in roles.teams_led_by(who.person_id)}
    own = roles.team_of(who.person_id)
    if own is not None:
        found[own.id] = own
    return sorted(found.values(), key=lambda t: t.name.lower())


def team_recognition(t: Team) -> TeamRecognition:
    hidden = _hidden("in_team_view")
    member_ids = [m.person_id for m in t.members]
    shown = [pid for pid in member_ids if pid not in hidden]
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(shown)))}
    awards: dict[int, list[Award]] = {}
    for a in db.session.scalars(
        select(Award)
        .options(selectinload(Award.badge))
        .where(Award.person_id.in_(shown))
        .order_by(Award.awarded_at.desc())
    ):
        awards.setdefault(a.person_id, []).append(a)
    counts = dict(
        db.session.execute(
            select(Kudos.to_id, func.count()).where(Kudos.to_id.in_(shown)).group_by(Kudos.to_id)
        ).all()
    )
    latest: dict[int, Kudos] = {}
    for k in db.session.scalars(
        select(Kudos)
        .options(selectinload(Kudos.sender))
        .where(Kudos.to_id.in_(shown))
        .order_by(Kudos.created_at.desc(), Kudos.id.desc())
        .limit(200)
    ):
        latest.setdefault(k.to_id, k)
    members = [
        MemberRecognition(people[pid], awards.get(pid, []), counts.get(pid, 0), latest.get(pid))
        for pid in shown
        if pid in people
    ]
    members.sort(key=lambda m: m.person.display_name.lower())
    return TeamRecognition(t, members, len(member_ids) - len(shown))


@dataclass
class Near:
    person: Person
    percent: int
    badges: int


@dataclass
class NearMe:
    role_name: str
    my_percent: int | None
    people: list[Near]


def _role_progress(role_id: int, person_ids: list[int]) -> dict[int, int]:
    """Percent complete of each person's active paths for the role (their mean)."""
    assignments = list(
        db.session.scalars(
            select(Assignment)
            .join(Path, Path.id == Assignment.path_id)
            .where(
                Path.role_id == role_id,
                Assignment.status == AssignmentStatus.ACTIVE.value,
                Assignment.person_id.in_(person_ids),
            )
        )
    )
    found: dict[int, list[int]] = {}
    for lr in paths.evaluate_assignments(assignments, utcnow()):
        found.setdefault(lr.assignment.person_id, []).append(lr.view.percent)
    return {pid: round(sum(v) / len(v)) for pid, v in found.items()}


def near_me(who: Actor) -> NearMe | None:
    """Colleagues holding the same job role whose progress on the role's paths is close to
    one's own (within NEAR_SPREAD points), nearest first; None without a job role."""
    role_id = roles.effective_role_id(who.person_id)
    if role_id is None:
        return None
    role = roles.role(role_id)
    hidden = _hidden("in_near_me")
    others = [
        pid for pid in paths.role_holders(role_id) if pid != who.person_id and pid not in hidden
    ]
    progress = _role_progress(role_id, [*others, who.person_id])
    mine = progress.get(who.person_id)
    centre = mine if mine is not None else 0
    # Someone with no path for the role yet has made no progress on it: 0%.
    close = [pid for pid in others if abs(progress.get(pid, 0) - centre) <= NEAR_SPREAD]
    close.sort(key=lambda pid: (abs(progress.get(pid, 0) - centre), pid))
    close = close[:NEAR_LIMIT]
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(close)))}
    counts = dict(
        db.session.execute(
            select(Award.person_id, func.count())
            .where(Award.person_id.in_(close))
            .group_by(Award.person_id)
        ).all()
    )
    return NearMe(
        role.name,
        mine,
        [
            Near(people[pid], progress.get(pid, 0), counts.get(pid, 0))
            for pid in close
            if pid in people
        ],
    )


def person(pk: int) -> Person:
    row: Person = _get(Person, pk)
    return row


def latest_award_at(person_id: int) -> datetime | None:
    return db.session.scalar(select(func.max(Award.awarded_at)).where(Award.person_id == person_id))
