"""One ratings table for every kind of learning (path steps, catalog items, coaching sessions),
and the "not now" choices of the "Waiting for your rating" list.

A rating names its subject by kind and id, as learning events do: ``step`` is
``"<path id>:<step key>"`` (so a rating survives a new version of the path), ``catalog_item``
the item id, ``coaching`` the session id. ``item_key`` is what trainers see it grouped under
(for coaching: the offer, so all sessions of one offer read as one item) and ``title`` its name
when rated, so the trainers' page needs no join per kind. The rater's job role at the time is
kept, so "people in your role rated it" stays what it was when they rated.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.extensions import db
from lti_tool.i18n import _l, ngettext, number
from lti_tool.lti.models import utcnow
from lti_tool.people.models import Person
from lti_tool.tenancy import TenantScoped


class Kind(enum.StrEnum):
    STEP = "step"
    CATALOG_ITEM = "catalog_item"
    COACHING = "coaching"

    @property
    def label(self) -> str:
        """The kind's name in the page's language ("Path step")."""
        return str(KIND_LABELS[self])

    @property
    def plural(self) -> str:
        """Several of the kind ("Path steps"), as the trainers' filter lists them."""
        return str(KIND_PLURALS[self])


KIND_LABELS = {
    Kind.STEP: _l("Path step"),
    Kind.CATALOG_ITEM: _l("Catalog item"),
    Kind.COACHING: _l("Coaching"),
}
KIND_PLURALS = {
    Kind.STEP: _l("Path steps"),
    Kind.CATALOG_ITEM: _l("Catalog items"),
    Kind.COACHING: _l("Coaching sessions"),
}


@dataclass(frozen=True)
class RoleAverage:
    """How the people of one job role rated one subject (at least feedback.MIN_GROUP of them),
    as suggestions and the catalog say it."""

    average: float
    count: int

    def __str__(self) -> str:
        return str(
            ngettext(
                "rated %(average)s of 5 by %(num)s person in your role",
                "rated %(average)s of 5 by %(num)s people in your role",
                self.count,
                average=number(self.average),
            )
        )

    @property
    def as_reason(self) -> str:
        """The same, leading a line (the page ends it)."""
        return str(
            ngettext(
                "Rated %(average)s of 5 by %(num)s person in your role",
                "Rated %(average)s of 5 by %(num)s people in your role",
                self.count,
                average=number(self.average),
            )
        )


class Rating(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "feedback_ratings"
    __table_args__ = (
        UniqueConstraint(
            "registration_id", "kind", "subject_id", "person_id", name="uq_feedback_ratings_once"
        ),
        Index("ix_feedback_ratings_item", "registration_id", "kind", "item_key", "updated_at"),
        Index("ix_feedback_ratings_subject_role", "kind", "subject_id", "role_id"),
        Index("ix_feedback_ratings_created", "registration_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(80))
    item_key: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200), default="")
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role_id: Mapped[int | None] = mapped_column(
        ForeignKey("job_roles.id", ondelete="SET NULL"), nullable=True
    )
    stars: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    person: Mapped[Person] = relationship()

    @property
    def kind_enum(self) -> Kind:
        return Kind(self.kind)


class Dismissal(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    """A person chose "not now" for one completion in the "Waiting for your rating" list."""

    __tablename__ = "feedback_dismissals"
    __table_args__ = (
        UniqueConstraint(
            "registration_id", "kind", "subject_id", "person_id", name="uq_feedback_dismissals_once"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(80))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
