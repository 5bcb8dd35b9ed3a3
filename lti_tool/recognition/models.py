"""Badges, their awards, kudos and each person's visibility choices (per tenant).

A badge is never deleted once someone holds it (it is archived instead: their award and its
Open Badges export stay valid). The same badge is awarded to a person at most once: the
database refuses a second row (``uq_recognition_awards_once``) and the service inserts with
ON CONFLICT DO NOTHING, so two awards racing each other leave one row and one notification.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.extensions import db
from lti_tool.i18n import _l
from lti_tool.lti.models import utcnow
from lti_tool.people.models import Person
from lti_tool.tenancy import TenantScoped


class Criterion(enum.StrEnum):
    PATH_COMPLETED = "path_completed"
    VERIFIED_TIPS = "verified_tips"
    COACHING_GIVEN = "coaching_given"
    SKILL_LEVEL = "skill_level"
    LEADER = "leader"  # no automatic rule: only a leader or trainer awards it

    @property
    def label(self) -> str:
        return str(CRITERION_LABELS[self])


CRITERION_LABELS = {
    Criterion.PATH_COMPLETED: _l("A learning path completed"),
    Criterion.VERIFIED_TIPS: _l("A number of tips verified"),
    Criterion.COACHING_GIVEN: _l("A number of coaching sessions given"),
    Criterion.SKILL_LEVEL: _l("A skill reached a level"),
    Criterion.LEADER: _l("Awarded by a leader or trainer only"),
}


def new_uuid() -> str:
    return str(uuid.uuid4())


class Badge(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "recognition_badges"
    __table_args__ = (
        UniqueConstraint("registration_id", "name", name="uq_recognition_badges_name"),
        Index("ix_recognition_badges_criterion", "registration_id", "archived", "criterion"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    # One of designs.DESIGNS: a built-in SVG picture, no uploads.
    design: Mapped[str] = mapped_column(String(40))
    criteria_text: Mapped[str] = mapped_column(Text, default="")
    criterion: Mapped[str] = mapped_column(String(20))
    # path_completed: which path (None: any path).
    path_id: Mapped[int | None] = mapped_column(
        ForeignKey("paths.id", ondelete="SET NULL"), nullable=True
    )
    # skill_level: which skill.
    skill_id: Mapped[int | None] = mapped_column(
        ForeignKey("skills.id", ondelete="SET NULL"), nullable=True
    )
    # verified_tips, coaching_given: how many; skill_level: the level (1-5).
    threshold: Mapped[int] = mapped_column(Integer, default=1)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )

    @property
    def criterion_enum(self) -> Criterion:
        return Criterion(self.criterion)

    @property
    def automatic(self) -> bool:
        return self.criterion != Criterion.LEADER.value


class Award(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """A badge held by a person: automatically (awarded_by_id NULL) or from a leader."""

    __tablename__ = "recognition_awards"
    __table_args__ = (
        UniqueConstraint("badge_id", "person_id", name="uq_recognition_awards_once"),
        Index("ix_recognition_awards_person", "person_id", "awarded_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The credential's id (urn:uuid:…) in the Open Badges export; never changes.
    uid: Mapped[str] = mapped_column(String(36), default=new_uuid, unique=True)
    badge_id: Mapped[int] = mapped_column(ForeignKey("recognition_badges.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    awarded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    awarded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    message: Mapped[str] = mapped_column(Text, default="")
    # What earned it, in words (the export's evidence).
    evidence: Mapped[str] = mapped_column(Text, default="")

    badge: Mapped[Badge] = relationship()
    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    awarded_by: Mapped[Person | None] = relationship(foreign_keys=[awarded_by_id])


class Kudos(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """One person thanks another, optionally for a post or an answer of the community."""

    __tablename__ = "recognition_kudos"
    __table_args__ = (
        Index("ix_recognition_kudos_to", "to_id", "created_at"),
        Index("ix_recognition_kudos_from", "from_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    to_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(String(500))
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_posts.id", ondelete="SET NULL"), nullable=True
    )
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_answers.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    sender: Mapped[Person] = relationship(foreign_keys=[from_id])
    recipient: Mapped[Person] = relationship(foreign_keys=[to_id])


class Visibility(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """A person's choices for the two views; no row means both on (the default)."""

    __tablename__ = "recognition_visibility"
    __table_args__ = (UniqueConstraint("person_id", name="uq_recognition_visibility_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    in_team_view: Mapped[bool] = mapped_column(Boolean, default=True)
    in_near_me: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
