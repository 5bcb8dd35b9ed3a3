"""Training suggestions with votes, and pulse surveys per job role (per tenant).

Pulse answers are anonymous by design: ``PulseAnswer`` has no person, no timestamp and a random
primary key (so neither a column nor the order of ids ties an answer to a person), and
``PulseResponse`` records only that a person responded (so nobody answers twice). The two are
written in the same transaction and never joined.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
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
from lti_tool.i18n import _, _l, lazy_pgettext
from lti_tool.lti.models import utcnow
from lti_tool.people.models import Person
from lti_tool.tenancy import TenantScoped


class Status(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    PLANNED = "planned"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    Status.OPEN: _l("Open"),
    Status.ANSWERED: _l("Answered"),
    Status.PLANNED: lazy_pgettext("suggestion", "Planned"),
    Status.CLOSED: _l("Closed"),
}


class Suggestion(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """ "I wish there was a course on…": open until a trainer answers, plans or closes it."""

    __tablename__ = "voice_suggestions"
    __table_args__ = (Index("ix_voice_suggestions_listing", "registration_id", "status", "votes"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    details: Mapped[str] = mapped_column(Text, default="")
    skill_id: Mapped[int | None] = mapped_column(
        ForeignKey("skills.id", ondelete="SET NULL"), nullable=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(12), default=Status.OPEN.value)
    # Kept equal to the number of votes rows (the list sorts by it without counting).
    votes: Mapped[int] = mapped_column(Integer, default=0)
    # The trainer's answer, shown on the suggestion to everyone.
    message: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    answered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Planned: optionally the path or catalog item that answers it.
    path_id: Mapped[int | None] = mapped_column(
        ForeignKey("paths.id", ondelete="SET NULL"), nullable=True
    )
    catalog_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_items.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author: Mapped[Person | None] = relationship(foreign_keys=[author_id])
    answered_by: Mapped[Person | None] = relationship(foreign_keys=[answered_by_id])

    @property
    def status_enum(self) -> Status:
        return Status(self.status)


class SuggestionVote(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "voice_votes"
    __table_args__ = (
        UniqueConstraint("suggestion_id", "person_id", name="uq_voice_votes_once"),
        Index("ix_voice_votes_person", "person_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("voice_suggestions.id", ondelete="CASCADE")
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


MAX_QUESTIONS = 5


class PulseSurvey(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """A short survey for one job role (or everyone), open from opens_on to closes_on
    (both days included). Runs of the same survey share a series (the comparison page)."""

    __tablename__ = "voice_pulse_surveys"
    __table_args__ = (Index("ix_voice_pulse_open", "registration_id", "closes_on", "opens_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series: Mapped[str] = mapped_column(String(36), default=lambda: str(uuid.uuid4()), index=True)
    title: Mapped[str] = mapped_column(String(160))
    everyone: Mapped[bool] = mapped_column(Boolean, default=False)
    # The role it is for; if the role is deleted the survey stays (for its results) for nobody.
    role_id: Mapped[int | None] = mapped_column(
        ForeignKey("job_roles.id", ondelete="SET NULL"), nullable=True
    )
    role_name: Mapped[str] = mapped_column(String(120), default="")
    # 1 to 5 statements, each answered on a 1-5 scale.
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The optional free-text question ("" = none).
    comment_question: Mapped[str] = mapped_column(String(300), default="")
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Set when a trainer closed it before closes_on (which keeps the day that was planned).
    closed_early_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    @property
    def audience(self) -> str:
        if self.everyone:
            return _("Everyone")
        return self.role_name if self.role_id else _("%(role)s (role deleted)", role=self.role_name)

    def is_open(self, today: date) -> bool:
        return self.closed_early_at is None and self.opens_on <= today <= self.closes_on

    def is_closed(self, today: date) -> bool:
        """No more answers, for good: closed early, or its last day has passed."""
        return self.closed_early_at is not None or today > self.closes_on

    def is_scheduled(self, today: date) -> bool:
        return self.closed_early_at is None and today < self.opens_on


def new_answer_id() -> str:
    return str(uuid.uuid4())


class PulseAnswer(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """One anonymous set of answers: no person, no time, a random id."""

    __tablename__ = "voice_pulse_answers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_answer_id)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("voice_pulse_surveys.id", ondelete="CASCADE"), index=True
    )
    q1: Mapped[int | None] = mapped_column(Integer, nullable=True)
    q2: Mapped[int | None] = mapped_column(Integer, nullable=True)
    q3: Mapped[int | None] = mapped_column(Integer, nullable=True)
    q4: Mapped[int | None] = mapped_column(Integer, nullable=True)
    q5: Mapped[int | None] = mapped_column(Integer, nullable=True)
    comment: Mapped[str] = mapped_column(Text, default="")


class PulseResponse(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """That a person responded to a survey (nothing about what they answered, nor when)."""

    __tablename__ = "voice_pulse_responses"
    __table_args__ = (
        UniqueConstraint("survey_id", "person_id", name="uq_voice_pulse_responses_once"),
        Index("ix_voice_pulse_responses_person", "person_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("voice_pulse_surveys.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
