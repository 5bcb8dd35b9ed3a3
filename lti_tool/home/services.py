"""What the home page and profile show; plain functions over the launch's tenant."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.lti.context import LaunchContext
from lti_tool.lti.models import Deployment, DeploymentStatus, LaunchEvent
from lti_tool.people.models import Course, Membership, Person


@dataclass(frozen=True)
class TenantSummary:
    people: int
    courses: int
    pending_deployments: list[Deployment]
    recent_failures: list[LaunchEvent]


def person(ctx: LaunchContext) -> Person:
    row = db.session.get(Person, ctx.person_id)
    assert row is not None, "the launch's person belongs to the launch's tenant"
    return row


def course_memberships(person_id: int) -> list[tuple[Membership, Course]]:
    rows = db.session.execute(
        select(Membership, Course)
        .join(Course, Course.id == Membership.course_id)
        .where(Membership.person_id == person_id, Membership.active.is_(True))
        .order_by(Course.title)
    )
    return [(m, c) for m, c in rows]


def update_profile(row: Person, preferred_name: str) -> None:
    row.preferred_name = preferred_name.strip()
    db.session.flush()


def tenant_summary(ctx: LaunchContext) -> TenantSummary:
    people = db.session.scalar(select(func.count()).select_from(Person)) or 0
    courses = db.session.scalar(select(func.count()).select_from(Course)) or 0
    pending = list(
        db.session.scalars(
            select(Deployment)
            .where(
                Deployment.registration_id == ctx.registration_id,
                Deployment.status == DeploymentStatus.PENDING,
            )
            .order_by(Deployment.created_at.desc())
        )
    )
    failures = list(
        db.session.scalars(
            select(LaunchEvent)
            .where(LaunchEvent.registration_id == ctx.registration_id, LaunchEvent.ok.is_(False))
            .order_by(LaunchEvent.created_at.desc())
            .limit(10)
        )
    )
    return TenantSummary(people, courses, pending, failures)
