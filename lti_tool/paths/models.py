"""Learning paths per job role: versions, their tree of sets and steps, assignments, progress,
sign-off requests and the event log (per tenant).

A path has numbered versions. A draft can be edited; a published version never changes again
(editing starts a new draft copied from it). Nodes of a version form a tree: sets (with a rule)
and steps (the leaves). A step's ``key`` is stable across versions: progress is stored per
(assignment, step key), so moving someone to a newer version carries their progress over
wherever the step still exists.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.extensions import db
from lti_tool.i18n import _l
from lti_tool.id_lists import ids_of
from lti_tool.lti.models import utcnow
from lti_tool.people.models import Person
from lti_tool.roles.models import JobRole
from lti_tool.tenancy import TenantScoped


class Rule(enum.StrEnum):
    IN_ORDER = "in_order"
    ANY_ORDER = "any_order"
    AT_LEAST = "at_least"

    @property
    def label(self) -> str:
        return str(RULE_LABELS[self])


class StepKind(enum.StrEnum):
    LMS = "lms"
    LINK = "link"
    SHADOWING = "shadowing"
    COACHING = "coaching"
    CHECK = "check"
    REFLECTION = "reflection"

    @property
    def label(self) -> str:
        return str(STEP_KIND_LABELS[self])

    @property
    def short_label(self) -> str:
        """The label without its explanation ("Check" for "Check (signed off by ...)")."""
        return str(STEP_KIND_SHORT_LABELS[self])

    @property
    def needs_signoff(self) -> bool:
        return self in (StepKind.SHADOWING, StepKind.COACHING, StepKind.CHECK)


RULE_LABELS = {
    Rule.IN_ORDER: _l("all, in order"),
    Rule.ANY_ORDER: _l("all, in any order"),
    Rule.AT_LEAST: _l("at least N of them"),
}

# Lazy: read in the page's language when shown (templates index this dict too).
STEP_KIND_LABELS = {
    StepKind.LMS: _l("LMS course or activity"),
    StepKind.LINK: _l("External link"),
    StepKind.SHADOWING: _l("Shadowing session"),
    StepKind.COACHING: _l("Coaching session"),
    StepKind.CHECK: _l("Check (signed off by a QA analyst or leader)"),
    StepKind.REFLECTION: _l("Reflection"),
}

STEP_KIND_SHORT_LABELS = {
    **STEP_KIND_LABELS,
    # Translators: a kind of step: a QA analyst or leader checks the learner's work
    StepKind.CHECK: _l("Check"),
}


class Format(enum.StrEnum):
    VIDEO = "video"
    READING = "reading"
    HANDS_ON = "hands_on"
    PEER = "peer"
    LIVE = "live"

    @property
    def label(self) -> str:
        """Lower case, as in "a video step"; capitalised where it stands alone."""
        return str(FORMAT_LABELS[self])


FORMAT_LABELS = {
    # Translators: a learning format, lower case ("a video step")
    Format.VIDEO: _l("video"),
    # Translators: a learning format, lower case ("a reading step")
    Format.READING: _l("reading"),
    # Translators: a learning format, lower case ("a hands-on step")
    Format.HANDS_ON: _l("hands-on"),
    # Translators: a learning format, lower case: learning with colleagues
    Format.PEER: _l("peer"),
    # Translators: a learning format, lower case: a live session
    Format.LIVE: _l("live"),
}


class VersionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class StepState(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    WAIVED = "waived"

    @property
    def label(self) -> str:
        return str(STEP_STATE_LABELS[self])

    @property
    def done(self) -> bool:
        return self in (StepState.COMPLETED, StepState.WAIVED)


STEP_STATE_LABELS = {
    StepState.NOT_STARTED: _l("not started"),
    StepState.IN_PROGRESS: _l("in progress"),
    StepState.COMPLETED: _l("completed"),
    StepState.WAIVED: _l("waived"),
}


class AssignmentStatus(enum.StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class SignOffStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class Path(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "paths"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SET NULL: deleting a role leaves its paths (and everyone's progress) readable.
    role_id: Mapped[int | None] = mapped_column(
        ForeignKey("job_roles.id", ondelete="SET NULL"), nullable=True, index=True
    )
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    role: Mapped[JobRole | None] = relationship()
    versions: Mapped[list[PathVersion]] = relationship(
        back_populates="path",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="PathVersion.number",
    )


class PathVersion(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "path_versions"
    __table_args__ = (UniqueConstraint("path_id", "number", name="uq_path_versions_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("paths.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=VersionStatus.DRAFT.value)
    # How the top-level sets are completed (the tree's root behaves as a set).
    rule: Mapped[str] = mapped_column(String(20), default=Rule.IN_ORDER.value)
    min_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    published_by: Mapped[str] = mapped_column(String(255), default="")

    path: Mapped[Path] = relationship(back_populates="versions")
    nodes: Mapped[list[PathNode]] = relationship(
        back_populates="version",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(PathNode.parent_id, PathNode.position)",
    )

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT.value


class PathNode(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """A set (kind ``set``) or a step (kind one of StepKind) of one version."""

    __tablename__ = "path_nodes"
    __table_args__ = (
        UniqueConstraint("version_id", "key", name="uq_path_nodes_key"),
        Index("ix_path_nodes_version_parent", "version_id", "parent_id", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("path_versions.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("path_nodes.id", ondelete="CASCADE"), nullable=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Stable across versions: a copied draft keeps its nodes' keys.
    key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    # Sets
    rule: Mapped[str] = mapped_column(String(20), default=Rule.IN_ORDER.value)
    min_count: Mapped[int] = mapped_column(Integer, default=0)
    # Steps
    why: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(1000), default="")
    format: Mapped[str] = mapped_column(String(20), default=Format.READING.value)
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    due_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    self_report: Mapped[bool] = mapped_column(Boolean, default=False)
    skill_ids: Mapped[list[int]] = mapped_column(JSON, default=list, info=ids_of("skills"))
    # Check and shadowing steps: what is looked at, one item each (coaching offers reuse it).
    checklist: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")

    version: Mapped[PathVersion] = relationship(back_populates="nodes")

    @property
    def is_set(self) -> bool:
        return self.kind == "set"


class Assignment(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """A person on one version of a path."""

    __tablename__ = "path_assignments"
    __table_args__ = (
        Index("ix_path_assignments_person_status", "person_id", "status"),
        Index("ix_path_assignments_path_status", "path_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    path_id: Mapped[int] = mapped_column(ForeignKey("paths.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(
        ForeignKey("path_versions.id", ondelete="CASCADE"), index=True
    )
    # "role" (automatic, by job role) or "manual" (an instructor or leader).
    source: Mapped[str] = mapped_column(String(20), default="role")
    status: Mapped[str] = mapped_column(String(20), default=AssignmentStatus.ACTIVE.value)
    assigned_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    assigned_by: Mapped[str] = mapped_column(String(255), default="")
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Set when the person's job role changed away from the path's role after they started it:
    # the assignment stays, marked.
    outside_role_since: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    path: Mapped[Path] = relationship()
    version: Mapped[PathVersion] = relationship()
    person: Mapped[Person] = relationship()


class StepProgress(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """The largest table (a million rows for a big contact center). Its tenant column gets no
    index of its own but leads one with the assignment: every query names assignments, and
    SQLite without statistics would otherwise pick a tenant index (matching every row)."""

    __tablename__ = "step_progress"
    __table_args__ = (
        UniqueConstraint("assignment_id", "step_key", name="uq_step_progress_step"),
        Index("ix_step_progress_registration_assignment", "registration_id", "assignment_id"),
    )

    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("path_assignments.id", ondelete="CASCADE")
    )
    step_key: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20), default=StepState.NOT_STARTED.value)
    # How it was completed: self_report, signoff, lms, waived.
    evidence: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class SignOffRequest(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "signoff_requests"
    __table_args__ = (Index("ix_signoff_requests_status", "status", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("path_assignments.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    step_key: Mapped[str] = mapped_column(String(40))
    step_title: Mapped[str] = mapped_column(String(200))
    step_kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=SignOffStatus.PENDING.value)
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    decided_by: Mapped[str] = mapped_column(String(255), default="")
    decided_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    decision_note: Mapped[str] = mapped_column(Text, default="")

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    assignment: Mapped[Assignment] = relationship()


class PathEvent(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """Every change, for later reports: who did what to whom, from what to what, when."""

    __tablename__ = "path_events"
    __table_args__ = (Index("ix_path_events_person", "person_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(40))
    # Whose learning it is about (None for authoring events).
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), nullable=True
    )
    path_id: Mapped[int | None] = mapped_column(
        ForeignKey("paths.id", ondelete="CASCADE"), nullable=True, index=True
    )
    assignment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    step_key: Mapped[str] = mapped_column(String(40), default="")
    from_value: Mapped[str] = mapped_column(String(60), default="")
    to_value: Mapped[str] = mapped_column(String(60), default="")
    actor: Mapped[str] = mapped_column(String(255), default="")
    actor_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    detail: Mapped[str] = mapped_column(Text, default="")
