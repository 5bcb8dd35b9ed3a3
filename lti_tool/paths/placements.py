"""Where a learning path (or one of its steps) was placed in an LMS course by deep linking.

A placement is recorded when an instructor picks the path in Wayfinder's picker (the course of
the deep-linking launch), and confirmed (or recorded, for a course copied in the LMS) when a
launch of the placed link arrives: that launch names the resource link. Progress write-back
(paths/gradebook.py) sends each learner's progress to the line items of the graded placements
in the courses they belong to.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.extensions import db
from lti_tool.lti.models import utcnow
from lti_tool.numbers import as_id
from lti_tool.tenancy import TenantScoped

KIND = "path"  # the content provider's kind: wayfinder_item=path:<path id>[.<step key>]
LINE_ITEM_TAG = "wayfinder"  # the tag of placed line items (grades.models.LineItem.tag)


def item_key(path_id: int, step_key: str = "") -> str:
    """The placed item's key: the custom parameter, the line item's resourceId and the
    grades.LineItem item_key."""
    return f"{KIND}:{path_id}" + (f".{step_key}" if step_key else "")


def item_id(path_id: int, step_key: str = "") -> str:
    return item_key(path_id, step_key).split(":", 1)[1]


def parse_item_id(value: str) -> tuple[int, str] | None:
    """'12' -> (12, ''), '12.ab34' -> (12, 'ab34'); None for anything else."""
    pid, _, step = value.strip().partition(".")
    path_id = as_id(pid)
    if path_id is None or len(step) > 40:
        return None
    if step and not all(c.isalnum() or c in "-_" for c in step):
        return None
    return path_id, step


class PathPlacement(TenantScoped, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "path_placements"
    __table_args__ = (
        UniqueConstraint("course_id", "item_key", name="uq_path_placements_course_item"),
        Index("ix_path_placements_path", "path_id", "course_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    path_id: Mapped[int] = mapped_column(ForeignKey("paths.id", ondelete="CASCADE"))
    step_key: Mapped[str] = mapped_column(String(40), default="")  # "" for the whole path
    item_key: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(255), default="")
    # With a gradebook column (a line item sent in the deep-linking answer).
    graded: Mapped[bool] = mapped_column(Boolean, default=False)
    placed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    placed_by: Mapped[str] = mapped_column(String(255), default="")
    # Learned from the first launch of the placed link.
    resource_link_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


def placement(course_id: int, key: str) -> PathPlacement | None:
    return db.session.scalar(
        select(PathPlacement).where(
            PathPlacement.course_id == course_id, PathPlacement.item_key == key
        )
    )


def record_placed(
    registration_id: int,
    course_id: int,
    path_id: int,
    step_key: str,
    title: str,
    *,
    graded: bool,
    placed_by: str,
) -> PathPlacement:
    """An instructor placed the path (or step) in the course by deep linking (flushed). Placing
    it again updates the row: one placement per course and item."""
    key = item_key(path_id, step_key)
    row = placement(course_id, key)
    if row is None:
        row = PathPlacement(
            registration_id=registration_id,
            course_id=course_id,
            path_id=path_id,
            step_key=step_key,
            item_key=key,
        )
        db.session.add(row)
    row.title = title[:255]
    row.graded = graded
    row.placed_by = placed_by[:255]
    row.placed_at = utcnow()
    db.session.flush()
    return row


def confirm_launch(
    registration_id: int,
    course_id: int,
    path_id: int,
    step_key: str,
    title: str,
    resource_link_id: str,
    *,
    lineitem_claim: bool,
) -> tuple[PathPlacement, bool]:
    """A launch of a placed link: the placement (recorded now when the link came another way,
    e.g. a course copied in the LMS) learns its resource link. Returns (placement, whether it
    is newly confirmed or moved to another link), flushed. A launch carrying AGS's `lineitem`
    claim shows the link has a gradebook column."""
    key = item_key(path_id, step_key)
    row = placement(course_id, key)
    if row is None:
        row = PathPlacement(
            registration_id=registration_id,
            course_id=course_id,
            path_id=path_id,
            step_key=step_key,
            item_key=key,
            title=title[:255],
            graded=lineitem_claim,
            placed_by="a launch of the placed link",
            placed_at=utcnow(),
        )
        db.session.add(row)
    elif lineitem_claim and not row.graded:
        row.graded = True
    news = row.resource_link_id != resource_link_id
    if news:
        row.resource_link_id = resource_link_id[:255]
        row.confirmed_at = utcnow()
    db.session.flush()
    return row, news
