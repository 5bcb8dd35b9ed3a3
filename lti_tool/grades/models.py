"""The line items Wayfinder writes to and the outbox of scores waiting to be (or already) sent.
Each course's gradebook (AGS) endpoint is kept on its row (people.models.Course)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.extensions import db
from lti_tool.lti.models import utcnow
from lti_tool.people.models import Course, Person
from lti_tool.tenancy import TenantScoped


class LineItem(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """One gradebook column Wayfinder writes to: per course and Wayfinder item (a path, a step),
    optionally bound to the resource link the item was placed with. `lineitem_url` is the
    platform's id for it, filled in once found (looked up) or created."""

    __tablename__ = "line_items"
    __table_args__ = (UniqueConstraint("course_id", "item_key", name="uq_line_items_course_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    item_key: Mapped[str] = mapped_column(String(200))
    resource_link_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    label: Mapped[str] = mapped_column(String(255), default="")
    score_maximum: Mapped[float] = mapped_column(Float, default=100.0)
    tag: Mapped[str] = mapped_column(String(100), default="wayfinder")
    lineitem_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    # False for a column the LMS makes itself from a deep-linking answer (a placed learning
    # path): the sender only looks it up, and waits while it is not there yet (the teacher
    # may not have saved the activity), instead of making a stray column of its own.
    create_missing: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    course: Mapped[Course] = relationship()


class SendState(enum.StrEnum):
    PENDING = "pending"  # waiting for its next try (next_try_at)
    SENDING = "sending"  # claimed by the sender right now
    SENT = "sent"  # the platform accepted it (or already had it)
    FAILED = "failed"  # the platform refused it, or we gave up: an admin may retry
    SUPERSEDED = "superseded"  # a newer score for the same person and line item replaced it


class ScoreSend(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """One score in the outbox. Written by record_progress in the caller's transaction.

    `recorded_at` is when the progress changed; `timestamp` is the AGS timestamp chosen at the
    first try and kept for every re-send of this row, so a re-send is recognisably the same
    score (AGS scores replace: nothing is ever counted twice). `uncertain` means an earlier try
    may have reached the platform (timeout, 5xx) without us knowing.
    """

    __tablename__ = "score_sends"
    __table_args__ = (
        Index("ix_score_sends_pair", "line_item_id", "person_id"),
        Index("ix_score_sends_due", "registration_id", "state", "next_try_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("line_items.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    score_given: Mapped[float | None] = mapped_column(Float, nullable=True)
    score_maximum: Mapped[float | None] = mapped_column(Float, nullable=True)
    activity_progress: Mapped[str] = mapped_column(String(20))
    grading_progress: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[SendState] = mapped_column(
        Enum(
            SendState,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=SendState.PENDING,
    )
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    timestamp: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    uncertain: Mapped[bool] = mapped_column(default=False)
    next_try_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_try_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    line_item: Mapped[LineItem] = relationship()
    person: Mapped[Person] = relationship()
