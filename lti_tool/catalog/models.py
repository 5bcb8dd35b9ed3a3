"""The catalog, personal plans, enrolment requests and ratings (per tenant).

A catalog item keeps what its source says apart from what trainers decided. The ``lms_*`` columns
belong to the sync: it overwrites them from the LMS each time and never touches anything else.
Curated columns (level, format, skills, hidden, featured, needs_approval) belong to trainers and
win over the LMS where both speak (``format``). An item the LMS stops listing gets ``gone_at``
instead of being deleted, so plans, ratings and curation survive it (and come back with it).
Local items (``source = "local"``) are written by trainers only; the sync never sees them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator, TypeEngine

from lti_tool.extensions import db
from lti_tool.i18n import _l
from lti_tool.lti.models import utcnow
from lti_tool.people.models import Person
from lti_tool.roles.models import Skill
from lti_tool.tenancy import TenantScoped


class SearchVector(TypeDecorator[str]):
    """tsvector on PostgreSQL, plain text (unused) elsewhere."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(TSVECTOR())
        return dialect.type_descriptor(Text())


class Source(enum.StrEnum):
    LMS = "lms"
    LOCAL = "local"


class ItemFormat(enum.StrEnum):
    COURSE = "course"
    VIDEO = "video"
    DOCUMENT = "document"
    LINK = "link"
    LIVE = "live"

    @property
    def label(self) -> str:
        return str(FORMAT_LABELS[self.value])


# Lower case: pages capitalize them where they start a line.
FORMAT_LABELS = {
    "course": _l("course"),
    "video": _l("video"),
    "document": _l("document"),
    "link": _l("web link"),
    "live": _l("live session"),
}

LEVEL_LABELS = {
    1: _l("Foundation"),
    2: _l("Developing"),
    3: _l("Proficient"),
    4: _l("Advanced"),
    5: _l("Expert"),
}


class GoalKind(enum.StrEnum):
    CAREER_GOAL = "career_goal"
    SKILL_GAP = "skill_gap"
    INTEREST = "interest"

    @property
    def label(self) -> str:
        return str(GOAL_LABELS[self.value])

    @property
    def their_label(self) -> str:
        """The same, as the leader reads it about the person ("For their career goal")."""
        return str(GOAL_THEIR_LABELS[self.value])


GOAL_LABELS = {
    "career_goal": _l("My career goal"),
    "skill_gap": _l("A skill I want to grow"),
    "interest": _l("My own interest"),
}
GOAL_THEIR_LABELS = {
    "career_goal": _l("their career goal"),
    "skill_gap": _l("a skill they want to grow"),
    "interest": _l("their own interest"),
}


class PlanStatus(enum.StrEnum):
    PLANNED = "planned"  # added; not enrolled yet (or an enrolment failed and can be retried)
    REQUESTED = "requested"  # waiting for the leader's approval
    APPROVED = "approved"  # the leader agreed; Wayfinder could not enrol by itself
    ENROLLED = "enrolled"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return str(PLAN_STATUS_LABELS[self.value])


PLAN_STATUS_LABELS = {
    "planned": _l("Planned"),
    "requested": _l("Waiting for approval"),
    "approved": _l("Approved"),
    "enrolled": _l("Enrolled"),
    "completed": _l("Completed"),
}


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class CatalogSource(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """How Wayfinder reaches this tenant's LMS REST API (one row per registration), and how the
    last sync went. Secrets are stored encrypted (catalog.access)."""

    __tablename__ = "catalog_sources"
    __table_args__ = (UniqueConstraint("registration_id", name="uq_catalog_sources_registration"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20), default="")  # moodle, canvas, "" = local
    base_url: Mapped[str] = mapped_column(String(500), default="")
    token_encrypted: Mapped[str] = mapped_column(Text, default="")
    # A Canvas administrator's OAuth connection (catalog.accounts.CatalogTokens) in place of a
    # pasted token: the access token is in token_encrypted; empty for a pasted token.
    refresh_token_encrypted: Mapped[str] = mapped_column(Text, default="", server_default="")
    token_expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)  # epoch seconds
    connected_as: Mapped[str] = mapped_column(String(100), default="", server_default="")
    account_id: Mapped[str] = mapped_column(String(60), default="self")
    # Canvas API developer key for per-person OAuth2 (the secret encrypted like the token).
    client_id: Mapped[str] = mapped_column(String(100), default="")
    client_secret_encrypted: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(255), default="")
    synced_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The last problem talking to the LMS (sync, enrolment or completion), for the admin.
    problem_kind: Mapped[str] = mapped_column(String(20), default="")
    problem: Mapped[str] = mapped_column(Text, default="")
    problem_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    @hybrid_property
    def key_only(self) -> bool:
        """Canvas with a developer key and no admin token: people may connect their own Canvas
        account, but a catalog sync (the whole account's courses, read by a job acting for
        nobody in particular) cannot run. Also a condition in queries."""
        return self.platform == "canvas" and not self.token_encrypted

    @key_only.inplace.expression
    @classmethod
    def _key_only_condition(cls) -> ColumnElement[bool]:
        return and_(cls.platform == "canvas", cls.token_encrypted == "")


class CatalogItem(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "catalog_items"
    __table_args__ = (
        UniqueConstraint("registration_id", "source", "external_id", name="uq_catalog_items_ext"),
        Index("ix_catalog_items_listing", "registration_id", "hidden", "featured", "title"),
        # Browsing (no text): visible items, featured first, then by title, read in order
        # through this index on PostgreSQL instead of sorting the tenant's whole catalog.
        Index(
            "ix_catalog_items_browse",
            "registration_id",
            text("featured DESC"),
            "title",
            "id",
            postgresql_where=text("hidden IS false AND gone_at IS NULL"),
        ).ddl_if(dialect="postgresql"),
        # Full-text search on PostgreSQL (services.search); on SQLite the column stays empty.
        Index("ix_catalog_items_search", "search_vector", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(10), default=Source.LOCAL.value)
    external_id: Mapped[str] = mapped_column(String(100))
    # What people see: the LMS's fields for LMS items, the trainer's for local ones.
    title: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(1000), default="")
    language: Mapped[str] = mapped_column(String(20), default="")
    duration_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The LMS's own say (overwritten by every sync): format, enrolment method, category.
    lms_format: Mapped[str] = mapped_column(String(20), default=ItemFormat.COURSE.value)
    lms_enrolment: Mapped[str] = mapped_column(String(20), default="unknown")
    lms_category: Mapped[str] = mapped_column(String(255), default="")
    # When a sync last wrote the LMS's fields (new or changed; unchanged rows are not written).
    lms_seen_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    gone_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Curated by trainers; the sync never writes these.
    format: Mapped[str | None] = mapped_column(String(20), nullable=True)
    level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)  # local live sessions
    starts_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    curated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    curated_by: Mapped[str] = mapped_column(String(255), default="")
    # Title, summary, skills and category in one lower-case text, for search (kept by services).
    search_text: Mapped[str] = mapped_column(Text, default="")
    # PostgreSQL: to_tsvector('english', search_text), kept by a trigger (migration 0010_catalog)
    # so ranking reads a stored vector instead of parsing every match again. Never written here.
    search_vector: Mapped[str | None] = mapped_column(SearchVector, nullable=True, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    skills: Mapped[list[Skill]] = relationship(
        secondary="catalog_item_skills", order_by="Skill.name", viewonly=True
    )

    @property
    def effective_format(self) -> str:
        return self.format or self.lms_format

    @property
    def format_label(self) -> str:
        try:
            return ItemFormat(self.effective_format).label
        except ValueError:
            return self.effective_format

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS.get(self.level or 0, ""))

    @property
    def is_local(self) -> bool:
        return self.source == Source.LOCAL.value


class CatalogItemSkill(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "catalog_item_skills"
    __table_args__ = (UniqueConstraint("item_id", "skill_id", name="uq_catalog_item_skills_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_items.id", ondelete="CASCADE"))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)


class PlanItem(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """One catalog item in a person's personal plan."""

    __tablename__ = "plan_items"
    __table_args__ = (
        UniqueConstraint("person_id", "item_id", name="uq_plan_items_person_item"),
        Index("ix_plan_items_status", "registration_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_items.id", ondelete="CASCADE"), index=True
    )
    goal_kind: Mapped[str] = mapped_column(String(20))
    goal_skill_id: Mapped[int | None] = mapped_column(
        ForeignKey("skills.id", ondelete="SET NULL"), nullable=True
    )
    goal_note: Mapped[str] = mapped_column(String(300), default="")
    target_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=PlanStatus.PLANNED.value)
    # The person's id in the LMS's API (Moodle: the LTI sub; Canvas: $Canvas.user.id).
    lms_user_id: Mapped[str] = mapped_column(String(100), default="")
    enrolled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    enrolment_method: Mapped[str] = mapped_column(String(20), default="")
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    progress_done: Mapped[int | None] = mapped_column(Integer, nullable=True)
    progress_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    completion_checked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The last enrolment problem in plain words (the item stays; the person can try again).
    problem: Mapped[str] = mapped_column(Text, default="")
    # Only the person can enrol (Moodle self-enrolment without their token): the LMS's own
    # enrolment page, opened in a new window; the completion check notices the enrolment.
    enrol_page: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    item: Mapped[CatalogItem] = relationship()
    person: Mapped[Person] = relationship()
    goal_skill: Mapped[Skill | None] = relationship()

    @property
    def status_enum(self) -> PlanStatus:
        return PlanStatus(self.status)


class EnrolmentRequest(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """A learner asks their team leader to let them enrol."""

    __tablename__ = "enrolment_requests"
    __table_args__ = (Index("ix_enrolment_requests_status", "registration_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_item_id: Mapped[int] = mapped_column(
        ForeignKey("plan_items.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    # Who decides: the team leader when the person has one (None: instructors/administrators).
    leader_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True, index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    decided_by: Mapped[str] = mapped_column(String(255), default="")
    decided_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    message: Mapped[str] = mapped_column(Text, default="")

    plan_item: Mapped[PlanItem] = relationship()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])


class LmsAccount(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """A person's own authority in the LMS, so Wayfinder can act as them where the service
    account may not: a Canvas OAuth2 token pair (from "Connect your Canvas account") or a Moodle
    web-service token they pasted (for self-enrolment). Tokens are stored encrypted
    (catalog.access.encrypt); a token the LMS stops accepting is deleted, not kept."""

    __tablename__ = "lms_accounts"
    __table_args__ = (
        UniqueConstraint("registration_id", "person_id", "platform", name="uq_lms_accounts_person"),
        Index("ix_lms_accounts_lms_user", "registration_id", "platform", "lms_user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))  # canvas, moodle
    lms_user_id: Mapped[str] = mapped_column(String(100))
    access_token_encrypted: Mapped[str] = mapped_column(Text, default="")
    refresh_token_encrypted: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)  # epoch seconds
    token_type: Mapped[str] = mapped_column(String(20), default="Bearer")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
