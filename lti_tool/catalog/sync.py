"""Catalog sync: bring the LMS's courses into the catalog without losing what trainers curated.

The sync writes only the LMS's columns of LMS items (title, summary, link, language, duration,
format, enrolment method, category; see models). Curated columns (skills, level, format chosen by
a trainer, hidden, featured) and local items are never touched. A course the LMS no longer
lists (or hides) is marked ``gone_at`` rather than deleted; if it comes back, the mark goes and
everything curated about it is still there. Each page of courses is committed with the job's
progress, so a sync that fails half-way keeps what it wrote and the next run finishes the job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from adapters.base import AdapterError, Course, LmsAdapter
from lti_tool.catalog import services
from lti_tool.catalog.models import CatalogItem, ItemFormat, Source
from lti_tool.extensions import db
from lti_tool.lti.models import utcnow

PAGE_SIZE = 100
MAX_PAGES = 1000  # 100,000 courses: a cap, so a looping cursor cannot run forever

Progress = Callable[[int, int | None, str], None]


@dataclass
class SyncResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    gone: int = 0
    back: int = 0
    seen: set[str] = field(default_factory=set)

    def summary(self) -> str:
        parts = [
            f"{len(self.seen)} courses from the LMS: {self.added} new, {self.updated} changed, "
            f"{self.unchanged} unchanged"
        ]
        if self.gone:
            parts.append(f"{self.gone} no longer offered (marked, kept with their curation)")
        if self.back:
            parts.append(f"{self.back} offered again")
        return "; ".join(parts) + "."


def _lms_values(course: Course, categories: dict[str, str]) -> dict[str, object]:
    try:
        fmt = ItemFormat(course.format.value).value
    except ValueError:
        fmt = ItemFormat.COURSE.value
    return {
        "title": (course.title or course.short_name or f"Course {course.id}")[:255],
        "summary": course.summary[:20_000],
        "url": course.url[:1000],
        "language": course.language[:20],
        "duration_minutes": course.duration_minutes,
        "lms_format": fmt,
        "lms_enrolment": course.enrolment.value,
        "lms_category": categories.get(course.category_id or "", "")[:255],
    }


def sync_catalog(registration_id: int, adapter: LmsAdapter, progress: Progress) -> SyncResult:
    """Bring the LMS's catalog in. Commits once per page (through `progress`)."""
    result = SyncResult()
    try:
        categories = {c.id: c.name for c in adapter.list_categories()}
    except AdapterError:  # categories only label items; a sync works without them
        categories = {}
    existing = {
        row.external_id: row
        for row in db.session.scalars(
            select(CatalogItem).where(
                CatalogItem.registration_id == registration_id,
                CatalogItem.source == Source.LMS.value,
            )
        )
    }
    skill_names = services.skill_names_by_item([row.id for row in existing.values()])
    now = utcnow()
    cursor: str | None = None
    total: int | None = None
    for _ in range(MAX_PAGES):
        page = adapter.list_courses(cursor, PAGE_SIZE)
        total = page.total if page.total is not None else total
        for course in page.items:
            if not course.visible or course.id in result.seen:
                continue
            result.seen.add(course.id)
            values = _lms_values(course, categories)
            row = existing.get(course.id)
            if row is None:
                row = CatalogItem(
                    registration_id=registration_id,
                    source=Source.LMS.value,
                    external_id=course.id,
                    hidden=False,
                    featured=False,
                    needs_approval=False,
                    curated_by="",
                    created_at=now,
                    **values,
                )
                row.search_text = services.search_text(row, [])
                db.session.add(row)
                existing[course.id] = row
                result.added += 1
            else:
                changed = any(getattr(row, k) != v for k, v in values.items())
                if changed:
                    for key, value in values.items():
                        setattr(row, key, value)
                    row.search_text = services.search_text(row, skill_names.get(row.id, []))
                    result.updated += 1
                else:
                    result.unchanged += 1
                if row.gone_at is not None:
                    row.gone_at = None
                    result.back += 1
            row.lms_seen_at = now
        db.session.flush()
        progress(len(result.seen), total, f"Read {len(result.seen)} courses from the LMS.")
        cursor = page.next_cursor
        if cursor is None:
            break
    for external_id, row in existing.items():
        if external_id not in result.seen and row.gone_at is None:
            row.gone_at = now
            result.gone += 1
    db.session.flush()
    return result
