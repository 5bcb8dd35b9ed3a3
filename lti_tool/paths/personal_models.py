"""Personalisation (per tenant): what a learner told Wayfinder about themselves at onboarding
(interests, preferred formats, where they are in it), skill ratings by themselves and by their
team leader, and the suggestions they dismissed. The rules are in lti_tool/paths/personal.py.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.extensions import db
from lti_tool.id_lists import ids_of
from lti_tool.lti.models import utcnow
from lti_tool.tenancy import TenantScoped


class Rater(enum.StrEnum):
    SELF = "self"
    LEADER = "leader"


class LearnerProfile(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """One per person, created when they first open the onboarding (or skip it)."""

    __tablename__ = "learner_profiles"
    __table_args__ = (UniqueConstraint("person_id", name="uq_learner_profiles_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    # Skill ids the person wants to grow in, whatever their role needs.
    interests: Mapped[list[int]] = mapped_column(JSON, default=list, info=ids_of("skills"))
    # Values of lti_tool.paths.models.Format.
    formats: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The onboarding step to resume at ("" before the first one is saved).
    onboarding_step: Mapped[str] = mapped_column(String(20), default="")
    onboarded_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    skipped_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # A leader's own learning is shown to their team unless they turn it off.
    share_with_team: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class SkillRating(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """A person's level in a skill as rated by themselves or by their team leader (the latest
    rating of each kind; who and when are kept)."""

    __tablename__ = "skill_ratings"
    __table_args__ = (
        UniqueConstraint("person_id", "skill_id", "rater", name="uq_skill_ratings_person_skill"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)
    rater: Mapped[str] = mapped_column(String(10))
    level: Mapped[int] = mapped_column(Integer)
    rated_by: Mapped[str] = mapped_column(String(255), default="")
    rated_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    rated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class DismissedSuggestion(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """A suggested step (path and step key) the person does not want to see again."""

    __tablename__ = "dismissed_suggestions"
    __table_args__ = (
        UniqueConstraint("person_id", "path_id", "step_key", name="uq_dismissed_suggestions_step"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    path_id: Mapped[int] = mapped_column(ForeignKey("paths.id", ondelete="CASCADE"))
    step_key: Mapped[str] = mapped_column(String(40))
    dismissed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
