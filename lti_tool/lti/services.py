"""What a launch does to Wayfinder's records: people, courses and memberships upserted within the
launch's registration, the launch context saved, and every outcome logged for diagnostics."""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lti_tool.errors import LaunchError
from lti_tool.extensions import db
from lti_tool.grades.services import endpoint_values
from lti_tool.lti import registry
from lti_tool.lti.context import Claims, CourseRef, LaunchContext
from lti_tool.lti.models import Deployment, DeploymentStatus, LaunchEvent, utcnow
from lti_tool.lti.registry import DeploymentInfo, RegistrationInfo
from lti_tool.lti.session import new_launch_id, save_launch
from lti_tool.people.models import Course, Membership, Person
from lti_tool.roles import services as job_roles
from lti_tool.tenancy import tenant_scope

log = logging.getLogger(__name__)


def _insert_or_get(model: Any, key: dict[str, Any], values: dict[str, Any]) -> Any:
    """One row per natural key, also when two first launches race each other: insert it with
    its values (one statement, the row comes back), or load the one a concurrent launch made."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    row = db.session.scalar(
        insert(model)
        .values(**key, **values)
        .on_conflict_do_nothing()
        .returning(model)
        .execution_options(populate_existing=True)
    )
    return row if row is not None else db.session.scalar(select(model).filter_by(**key))


LAST_SEEN_RESOLUTION = timedelta(minutes=5)


def _stale(seen: datetime | None, now: datetime) -> bool:
    return seen is None or now - seen >= LAST_SEEN_RESOLUTION


@functools.cache
def _known_records_query() -> Any:
    """Built once: a repeat launch's one query, with its values as bound parameters."""
    registration_id: Any = bindparam("registration_id")
    one_row = select(literal(1).label("one")).subquery()
    return (
        select(Person, Course, Membership)
        .select_from(one_row)
        .outerjoin(
            Person, and_(Person.registration_id == registration_id, Person.sub == bindparam("sub"))
        )
        .outerjoin(
            Course,
            and_(
                Course.registration_id == registration_id,
                Course.context_id == bindparam("context_id"),
            ),
        )
        .outerjoin(
            Membership, and_(Membership.course_id == Course.id, Membership.person_id == Person.id)
        )
    )


def _known_records(
    registration_id: int, claims: Claims
) -> tuple[Person | None, Course | None, Membership | None]:
    """The person, the course and their membership, each None where it does not exist yet, in
    one query."""
    row = db.session.execute(
        _known_records_query(),
        {
            "registration_id": registration_id,
            "context_id": claims.context_id or "",
            "sub": claims.sub,
        },
    ).first()
    if row is None:
        return None, None, None
    return row[0], row[1], row[2]


def _assign(row: Any, values: dict[str, Any]) -> None:
    """Set only what changed: a repeat launch leaves its rows clean, so nothing is flushed."""
    for attr, value in values.items():
        if getattr(row, attr) != value:
            setattr(row, attr, value)


def custom_value(custom: dict[str, str], name: str) -> str:
    """Moodle lowercases custom parameter names; accept either spelling."""
    return (custom.get(name) or custom.get(name.lower()) or "").strip()


def complete_launch(
    registration: RegistrationInfo, deployment: DeploymentInfo, claims: Claims, job_role_param: str
) -> tuple[LaunchContext, Person, bool]:
    """Record the launch; returns its context, the person (loaded, for the page shown next) and
    whether anything was written (a repeat launch usually writes nothing: no commit needed)."""
    now = utcnow()
    wrote = False
    # "Last seen" needs minutes, not milliseconds: a repeat launch then writes nothing at all.
    if _stale(deployment.last_launch_at, now):
        wrote = True
        db.session.execute(
            update(Deployment)
            .where(Deployment.id == deployment.id)
            .values(last_launch_at=now)
            .execution_options(synchronize_session=False)
        )
        registry.note_launch(deployment, now)
    with tenant_scope(db.session, registration.id):
        person, course, membership = _known_records(registration.id, claims)
        # Name and email arrive only when the LMS shares them; keep what we knew otherwise.
        changes: dict[str, Any] = {
            attr: getattr(claims, attr)
            for attr in ("name", "given_name", "family_name", "email")
            if getattr(claims, attr)
        }
        if claims.locale:  # the LMS sends it with every launch; keep what we knew otherwise
            changes["locale"] = claims.locale
        if claims.timezone:  # only when the LMS fills $Person.address.timezone
            changes["timezone"] = claims.timezone
        job_role = custom_value(claims.custom, job_role_param)[:120]
        known_job_role = person.job_role if person is not None else None
        if job_role:
            changes["job_role"] = job_role
        if person is None:
            wrote = True
            person = _insert_or_get(
                Person,
                {"registration_id": registration.id, "sub": claims.sub},
                {**changes, "last_launch_at": now},
            )
        if _stale(person.last_launch_at, now):
            changes["last_launch_at"] = now
        _assign(person, changes)
        if job_role and job_role != known_job_role:  # a new value: map it to a JobRole
            wrote = True
            job_roles.lti_value_seen(person, job_role)

        course_ref = None
        if claims.context_id:
            titles = {"title": claims.context_title, "label": claims.context_label}
            if claims.services.nrps_memberships_url:  # roster sync (lti_tool/roster) reads it
                titles["roster_url"] = claims.services.nrps_memberships_url
            titles = {k: v for k, v in titles.items() if v}
            if claims.services.ags_lineitems_url:  # grade write-back (lti_tool/grades) reads it
                # Only the container URL: Moodle drops the `lineitem` claim once a link has
                # two line items, so grades.ags always looks line items up there.
                titles.update(
                    endpoint_values(claims.services.ags_lineitems_url, claims.services.ags_scopes)
                )
            if course is None:
                wrote = True
                course = _insert_or_get(
                    Course,
                    {"registration_id": registration.id, "context_id": claims.context_id},
                    titles,
                )
            _assign(course, titles)
            roles = {
                "lti_roles": list(claims.lti_roles),
                "roles": sorted(r.value for r in claims.roles),
                "active": True,
            }
            if membership is None:
                wrote = True
                membership = _insert_or_get(
                    Membership,
                    {
                        "registration_id": registration.id,
                        "course_id": course.id,
                        "person_id": person.id,
                    },
                    roles,
                )
            _assign(membership, roles)
            course_ref = CourseRef(course.id, course.context_id, course.title, course.label)
        wrote = wrote or bool(db.session.dirty or db.session.new or db.session.deleted)
        db.session.flush()

    ctx = LaunchContext(
        launch_id=new_launch_id(),
        registration_id=registration.id,
        issuer=registration.issuer,
        client_id=registration.client_id,
        platform=registration.platform.value,
        deployment_pk=deployment.id,
        deployment_id=deployment.deployment_id,
        person_id=person.id,
        sub=claims.sub,
        name=person.display_name,
        email=person.email,
        roles=claims.roles,
        lti_roles=claims.lti_roles,
        message_type=claims.message_type,
        resource_link_id=claims.resource_link_id,
        resource_link_title=claims.resource_link_title,
        course=course_ref,
        custom=claims.custom,
        services=claims.services,
        return_url=claims.return_url,
        product_family=claims.product_family,
        locale=claims.locale,
        timezone=person.timezone,
    )
    save_launch(ctx)
    return ctx, person, wrote


def record_failure(error: LaunchError, stage: str) -> None:
    """Log a failed login or launch (after the request's work was rolled back) and, for an
    unknown deployment of a known registration, record it as pending for an admin."""
    ctx = error.context
    registration_id = ctx.get("registration_id")
    try:
        if error.code == "unknown_deployment" and registration_id and ctx.get("deployment_id"):
            existing = db.session.scalar(
                select(Deployment).where(
                    Deployment.registration_id == registration_id,
                    Deployment.deployment_id == ctx["deployment_id"],
                )
            )
            if existing is None:
                db.session.add(
                    Deployment(
                        registration_id=registration_id,
                        deployment_id=ctx["deployment_id"],
                        status=DeploymentStatus.PENDING,
                    )
                )
        db.session.add(
            LaunchEvent(
                stage=stage.removeprefix("lti.")[:20],
                ok=False,
                code=error.code,
                detail=error.detail[:2000],
                issuer=str(ctx.get("issuer") or "")[:255],
                client_id=str(ctx.get("client_id") or "")[:255],
                deployment_id=str(ctx.get("deployment_id") or "")[:255],
                registration_id=registration_id,
            )
        )
        db.session.commit()
    except Exception:  # the failure page matters more than its log line
        db.session.rollback()
        log.exception("could not record the launch failure %s", error.code)
