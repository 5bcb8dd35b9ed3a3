"""Tips, questions, answers and everything around them, per tenant.

Nothing is ever removed: hiding (a moderator) and deleting (the author, or a moderator) only set
``status``; edits keep the earlier text as a Revision; every moderation step is a
ModerationAction with its reason. A moderator can bring any of it back.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.extensions import db
from lti_tool.lti.models import utcnow
from lti_tool.people.models import Person
from lti_tool.roles.models import Skill
from lti_tool.tenancy import TenantScoped

if TYPE_CHECKING:
    from lti_tool.coaching.models import CoachingSession


class Kind(enum.StrEnum):
    TIP = "tip"
    QUESTION = "question"


class Status(enum.StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"  # by a moderator
    DELETED = "deleted"  # by its author or a moderator


class Target(enum.StrEnum):
    POST = "post"
    ANSWER = "answer"


class GrantKind(enum.StrEnum):
    MODERATOR = "moderator"
    EXPERT = "expert"


class Post(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """A tip (how-to) or a question."""

    __tablename__ = "community_posts"
    __table_args__ = (
        Index("ix_community_posts_feed", "registration_id", "status", "last_activity_at"),
        # The weekly digest: posts shared, and posts verified, in a week.
        Index(
            "ix_community_posts_created",
            "registration_id",
            "created_at",
            postgresql_include=["author_id", "kind", "status", "helpful_count", "id"],
        ),
        Index("ix_community_posts_verified", "registration_id", "verified_at"),
        # Full-text search on PostgreSQL (services._matching): a GIN index over the generated
        # tsvector column search_doc that migration 0011_coaching adds on PostgreSQL only (so
        # the column is not mapped here; services.is_search_object).
        Index(
            "ix_community_posts_search",
            text("search_doc"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True, index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    contact_reason: Mapped[str] = mapped_column(String(120), default="")
    kb_url: Mapped[str] = mapped_column(String(1000), default="")
    # Set when the linked knowledge-base article was marked as changed; verifying clears it.
    kb_changed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=Status.VISIBLE.value)
    verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    verified_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    helpful_count: Mapped[int] = mapped_column(Integer, default=0)
    answer_count: Mapped[int] = mapped_column(Integer, default=0)
    accepted_answer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_activity_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author: Mapped[Person | None] = relationship(foreign_keys=[author_id])
    verified_by: Mapped[Person | None] = relationship(foreign_keys=[verified_by_id])
    skills: Mapped[list[Skill]] = relationship(
        secondary="community_post_skills", order_by="Skill.name", viewonly=True
    )

    @property
    def is_tip(self) -> bool:
        return self.kind == Kind.TIP.value

    @property
    def visible(self) -> bool:
        return self.status == Status.VISIBLE.value


class PostSkill(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "community_post_skills"
    __table_args__ = (UniqueConstraint("post_id", "skill_id", name="uq_community_post_skills"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("community_posts.id", ondelete="CASCADE"))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)


class Answer(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "community_answers"
    __table_args__ = (
        # The weekly digest (coaching.peers.digest): an index-only scan of a week on PostgreSQL.
        Index(
            "ix_community_answers_created",
            "registration_id",
            "created_at",
            postgresql_include=["author_id", "status", "helpful_count", "post_id", "id"],
        ),
        Index(
            "ix_community_answers_search",
            text("search_doc"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(
        ForeignKey("community_posts.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True, index=True
    )
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=Status.VISIBLE.value)
    helpful_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    author: Mapped[Person | None] = relationship(foreign_keys=[author_id])
    post: Mapped[Post] = relationship()

    @property
    def visible(self) -> bool:
        return self.status == Status.VISIBLE.value


class Helpful(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """A reader found a post or an answer helpful: once each (unique per target and person)."""

    __tablename__ = "community_helpful"
    __table_args__ = (
        UniqueConstraint("target", "target_id", "person_id", name="uq_community_helpful_once"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Revision(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """The text a post or answer had before an edit."""

    __tablename__ = "community_revisions"
    __table_args__ = (Index("ix_community_revisions_target", "target", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="")
    body_md: Mapped[str] = mapped_column(Text)
    # The version shown above was replaced by this person, at this time, for this reason.
    replaced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    replaced_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(500), default="")

    replaced_by: Mapped[Person | None] = relationship()


class Flag(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """Someone asked moderators to look at a post or answer. Open while resolved_at is NULL."""

    __tablename__ = "community_flags"
    __table_args__ = (Index("ix_community_flags_open", "registration_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(Integer)
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    resolution: Mapped[str] = mapped_column(String(20), default="")

    reporter: Mapped[Person | None] = relationship(foreign_keys=[reporter_id])


class ModerationAction(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """One step taken on content by a moderator or its author (hide, restore, edit, delete,
    dismiss flags, verify, article changed), with the reason given."""

    __tablename__ = "community_moderation_actions"
    __table_args__ = (Index("ix_community_actions_target", "target", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    actor: Mapped[Person | None] = relationship()


class Grant(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """A person made a moderator, or an expert in one skill, by an instructor."""

    __tablename__ = "community_grants"
    __table_args__ = (
        UniqueConstraint("person_id", "kind", "skill_id", name="uq_community_grants_once"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    skill_id: Mapped[int | None] = mapped_column(
        ForeignKey("skills.id", ondelete="CASCADE"), nullable=True
    )
    granted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    skill: Mapped[Skill | None] = relationship()


class Notification(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """Something in the community for one person: unread while read_at is NULL."""

    __tablename__ = "community_notifications"
    __table_args__ = (Index("ix_community_notifications_unread", "person_id", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("community_posts.id", ondelete="CASCADE"), nullable=True
    )
    answer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Coaching and shadowing: bookings, changes, cancellations, sign-off requests.
    coaching_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("coaching_sessions.id", ondelete="CASCADE"), nullable=True, index=True
    )
    # The one thing outside the community a notification of another feature's kind is about
    # (a training suggestion): opening it leads there (services.NOTIFICATION_ITEM_LINKS).
    subject_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    actor: Mapped[Person | None] = relationship(foreign_keys=[actor_id])
    post: Mapped[Post | None] = relationship()
    coaching_session: Mapped[CoachingSession | None] = relationship()


# Notification.coaching_session names CoachingSession: its module must be loaded before the
# mappers are configured (e.g. by services' selectinload options at import time).
from lti_tool.coaching import models as _coaching_models  # noqa: E402, F401
