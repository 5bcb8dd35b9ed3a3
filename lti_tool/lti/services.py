"""What a launch does to Wayfinder's records: people, courses and memberships upserted within the
launch's registration, the launch context saved, and every outcome logged for diagnostics."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError

from lti_tool.errors import LaunchError
from lti_tool.extensions import db
from lti_tool.lti.context import Claims, CourseRef, LaunchContext
from lti_tool.lti.models import Deployment, DeploymentStatus, LaunchEvent, Registration, utcnow
from lti_tool.lti.session import new_launch_id, save_launch
from lti_tool.people.models import Course, Membership, Person
from lti_tool.tenancy import tenant_scope

log = logging.getLogger(__name__)


def _get_or_create(model: Any, lookup: dict[str, Any]) -> Any:
    """One row per natural key, also when two first launches race each other."""
    query = select(model).filter_by(**lookup)
    row = db.session.scalar(query)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = model(**lookup)
            db.session.add(row)
    except IntegrityError:
        row = db.session.scalar(query)
    return row


LAST_SEEN_RESOLUTION = timedelta(minutes=5)


def _stale(seen: datetime | None, now: datetime) -> bool:
    return seen is None or now - seen >= LAST_SEEN_RESOLUTION


def _known_records(
    registration_id: int, claims: Claims
) -> tuple[Person | None, Course | None, Membership | None]:
    """The person, the course and their membership, in one query (a repeat launch's case)."""
    context_id = claims.context_id or ""
    row = db.session.execute(
        select(Person, Course, Membership)
        .select_from(Person)
        .outerjoin(
            Course, and_(Course.registration_id == registration_id, Course.context_id == context_id)
        )
        .outerjoin(
            Membership, and_(Membership.course_id == Course.id, Membership.person_id == Person.id)
        )
        .where(Person.registration_id == registration_id, Person.sub == claims.sub)
    ).first()
    if row is None:
        return None, None, None
    return row[0], row[1], row[2]


def custom_value(custom: dict[str, str], name: str) -> str:
    """Moodle lowercases custom parameter names; accept either spelling."""
    return (custom.get(name) or custom.get(name.lower()) or "").strip()


def complete_launch(
    registration: Registration, deployment: Deployment, claims: Claims, job_role_param: str
) -> LaunchContext:
    now = utcnow()
    # "Last seen" needs minutes, not milliseconds: a repeat launch then writes nothing at all.
    if _stale(deployment.last_launch_at, now):
        deployment.last_launch_at = now
    with tenant_scope(db.session, registration.id):
        person, course, membership = _known_records(registration.id, claims)
        if person is None:
            person = _get_or_create(Person, {"registration_id": registration.id, "sub": claims.sub})
        # Name and email arrive only when the LMS shares them; keep what we knew otherwise.
        for attr in ("name", "given_name", "family_name", "email"):
            value = getattr(claims, attr)
            if value:
                setattr(person, attr, value)
        if _stale(person.last_launch_at, now):
            person.last_launch_at = now
        job_role = custom_value(claims.custom, job_role_param)
        if job_role:
            person.job_role = job_role[:120]

        course_ref = None
        if claims.context_id:
            if course is None:
                course = _get_or_create(
                    Course, {"registration_id": registration.id, "context_id": claims.context_id}
                )
            course.title = claims.context_title or course.title
            course.label = claims.context_label or course.label
            if claims.services.nrps_memberships_url:  # roster sync (lti_tool/roster) reads it
                course.roster_url = claims.services.nrps_memberships_url
            if membership is None:
                db.session.flush()
                membership = _get_or_create(
                    Membership,
                    {
                        "registration_id": registration.id,
                        "course_id": course.id,
                        "person_id": person.id,
                    },
                )
            membership.lti_roles = list(claims.lti_roles)
            membership.roles = sorted(r.value for r in claims.roles)
            membership.active = True
            course_ref = CourseRef(course.id, course.context_id, course.title, course.label)
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
    )
    save_launch(ctx)
    return ctx


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
