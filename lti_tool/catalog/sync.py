"""Catalog sync: bring the LMS's courses into the catalog without losing what trainers curated.

The sync writes only the LMS's columns of LMS items (title, summary, link, language, duration,
format, enrolment method, category; see models). Curated columns (skills, level, format chosen by
a trainer, hidden, featured, needs_approval) and local items are never touched. A course the LMS
no longer lists (or hides) is marked ``gone_at`` rather than deleted; if it comes back, the mark
goes and everything curated about it is still there. Each page of courses is written in bulk
and committed with the job's progress, so a sync that fails half-way keeps what it wrote and the
next run finishes the job. Rows are compared with a snapshot read once (plain tuples, not ORM
objects, which every progress commit would expire and reload one by one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update

from adapters.base import AdapterError, Course, LmsAdapter
from lti_tool.catalog import services, wording
from lti_tool.catalog.models import CatalogItem, ItemFormat, Source
from lti_tool.extensions import db
from lti_tool.i18n_stored import written
from lti_tool.lti.models import utcnow

PAGE_SIZE = 100
MAX_PAGES = 1000  # 100,000 courses: a cap, so a looping cursor cannot run forever
LMS_COLUMNS = (
    "title",
    "summary",
    "url",
    "language",
    "duration_minutes",
    "lms_format",
    "lms_enrolment",
    "lms_category",
)

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
        """In English, as jobs write (``wording.shown`` says it in the page's language)."""
        parts = [
            written(
                wording.SYNCED,
                num=len(self.seen),
                new=self.added,
                changed=self.updated,
                unchanged=self.unchanged,
            )
        ]
        if self.gone:
            parts.append(written(wording.GONE, num=self.gone))
        if self.back:
            parts.append(written(wording.BACK, num=self.back))
        return " ".join(parts)


def _lms_values(course: Course, categories: dict[str, str]) -> dict[str, Any]:
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


@dataclass
class _Known:
    id: int
    values: tuple[Any, ...]
    gone: bool


def _snapshot(registration_id: int) -> dict[str, _Known]:
    columns = [getattr(CatalogItem, name) for name in LMS_COLUMNS]
    rows = db.session.execute(
        select(CatalogItem.external_id, CatalogItem.id, CatalogItem.gone_at, *columns).where(
            CatalogItem.registration_id == registration_id,
            CatalogItem.source == Source.LMS.value,
        )
    )
    return {row[0]: _Known(row[1], tuple(row[3:]), row[2] is not None) for row in rows}


def sync_catalog(registration_id: int, adapter: LmsAdapter, progress: Progress) -> SyncResult:
    """Bring the LMS's catalog in. Commits once per page (through `progress`)."""
    result = SyncResult()
    try:
        categories = {c.id: c.name for c in adapter.list_categories()}
    except AdapterError:  # categories only label items; a sync works without them
        categories = {}
    known = _snapshot(registration_id)
    skill_names = services.skill_names_by_item([k.id for k in known.values()])
    now = utcnow()
    cursor: str | None = None
    total: int | None = None
    for _ in range(MAX_PAGES):
        page = adapter.list_courses(cursor, PAGE_SIZE)
        total = page.total if page.total is not None else total
        new_rows: list[dict[str, Any]] = []
        changed_rows: list[dict[str, Any]] = []
        for course in page.items:
            if not course.visible or course.id in result.seen:
                continue
            result.seen.add(course.id)
            values = _lms_values(course, categories)
            text = services.search_text_of(
                values["title"], values["summary"], values["lms_category"], []
            )
            row = known.get(course.id)
            if row is None:
                new_rows.append(
                    {
                        "registration_id": registration_id,
                        "source": Source.LMS.value,
                        "external_id": course.id,
                        "hidden": False,
                        "featured": False,
                        "needs_approval": False,
                        "curated_by": "",
                        "created_at": now,
                        "lms_seen_at": now,
                        "search_text": text,
                        **values,
                    }
                )
                result.added += 1
                continue
            fresh = tuple(values[name] for name in LMS_COLUMNS)
            if fresh != row.values or row.gone:
                names = skill_names.get(row.id, [])
                changed_rows.append(
                    {
                        "id": row.id,
                        "gone_at": None,
                        "lms_seen_at": now,
                        "search_text": services.search_text_of(
                            values["title"], values["summary"], values["lms_category"], names
                        ),
                        **values,
                    }
                )
                result.updated += fresh != row.values
                result.unchanged += fresh == row.values
                result.back += row.gone
            else:
                result.unchanged += 1
        if new_rows:
            db.session.execute(insert(CatalogItem), new_rows)
        if changed_rows:
            db.session.execute(update(CatalogItem), changed_rows)
        progress(len(result.seen), total, written(wording.READ, num=len(result.seen)))
        cursor = page.next_cursor
        if cursor is None:
            break
    vanished = [
        k.id for external_id, k in known.items() if external_id not in result.seen and not k.gone
    ]
    for start in range(0, len(vanished), 500):
        db.session.execute(
            update(CatalogItem)
            .where(CatalogItem.id.in_(vanished[start : start + 500]))
            .values(gone_at=now)
            .execution_options(synchronize_session=False)
        )
    result.gone = len(vanished)
    # Unchanged rows are not written at all (not even a "seen" time): on PostgreSQL every
    # UPDATE leaves a dead row version, and a daily sync would double the table each time.
    db.session.flush()
    return result
