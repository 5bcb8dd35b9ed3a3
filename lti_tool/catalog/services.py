"""The catalog: what trainers curate, what learners search, and ratings. Plain functions over
the current tenant's session; they add and flush, the view commits once.

Search
------
One function (`search`) for both databases. PostgreSQL: full text over ``search_vector``
(``to_tsvector('english', search_text)`` kept by a trigger, GIN-indexed; migration
0010_catalog) with ``websearch_to_tsquery('english', …)``, best match first. Elsewhere (SQLite): ``search_text`` holds title, summary,
category and skill names in lower case, and each word of the query must appear in it (LIKE,
wildcards escaped). Filters: skill, level, format, duration and language. Sorting by fit scores
the matching items with `fit.py` and pages the scored list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, and_, case, exists, func, literal_column, select
from sqlalchemy.orm import aliased

from lti_tool.catalog import fit as fitting
from lti_tool.catalog.models import (
    LEVEL_LABELS,
    CatalogItem,
    CatalogItemSkill,
    ItemFormat,
    PlanItem,
    PlanStatus,
    Source,
)
from lti_tool.extensions import db
from lti_tool.feedback import services as feedback
from lti_tool.feedback.models import Kind, Rating
from lti_tool.lti.models import utcnow
from lti_tool.roles import services as roles
from lti_tool.roles.models import JobRole, Skill

PAGE_SIZE = 20
TITLE_MAX = 200
SUMMARY_MAX = 4000
COMMENT_MAX = 1000
MIN_GROUP = 3  # ratings by role are shown only from this many raters (privacy)
DURATIONS = {
    "short": ("Under 30 minutes", 0, 29),
    "medium": ("30 minutes to 2 hours", 30, 120),
    "long": ("Over 2 hours", 121, None),
}
SORTS = ("relevance", "fit")


class NotFound(LookupError):
    pass


# --- search text ----------------------------------------------------------------------------


def search_text(item: CatalogItem, skill_names: Iterable[str]) -> str:
    return search_text_of(item.title, item.summary, item.lms_category, skill_names)


def search_text_of(title: str, summary: str, category: str, skill_names: Iterable[str]) -> str:
    parts = [title, summary, category, " ".join(skill_names)]
    return " ".join(p for p in parts if p).lower()[:30_000]


def skill_names_by_item(item_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if not item_ids:
        return found
    rows = db.session.execute(
        select(CatalogItemSkill.item_id, Skill.name)
        .join(Skill, Skill.id == CatalogItemSkill.skill_id)
        .order_by(Skill.name)
    )
    wanted = set(item_ids)
    for item_id, name in rows:
        if item_id in wanted:
            found.setdefault(item_id, []).append(name)
    return found


def refresh_search_text(item: CatalogItem) -> None:
    names = list(
        db.session.scalars(
            select(Skill.name)
            .join(CatalogItemSkill, CatalogItemSkill.skill_id == Skill.id)
            .where(CatalogItemSkill.item_id == item.id)
        )
    )
    item.search_text = search_text(item, names)


# --- reading --------------------------------------------------------------------------------


def item(pk: int, *, staff: bool = False) -> CatalogItem:
    """An item; learners do not see hidden ones (trainers do)."""
    row = db.session.get(CatalogItem, pk)
    if row is None or (row.hidden and not staff):
        raise NotFound(pk)
    return row


def skill_ids_of(item_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(CatalogItemSkill.skill_id).where(CatalogItemSkill.item_id == item_id)
        )
    )


def languages() -> list[str]:
    return [
        lang
        for lang in db.session.scalars(
            select(CatalogItem.language)
            .where(CatalogItem.language != "", CatalogItem.hidden.is_(False))
            .distinct()
            .order_by(CatalogItem.language)
        )
    ]


def counts() -> dict[str, int]:
    rows = db.session.execute(
        select(
            func.count(),
            func.sum(case((CatalogItem.source == Source.LOCAL.value, 1), else_=0)),
            func.sum(case((CatalogItem.hidden.is_(True), 1), else_=0)),
            func.sum(case((CatalogItem.featured.is_(True), 1), else_=0)),
            func.sum(case((CatalogItem.gone_at.is_not(None), 1), else_=0)),
        ).select_from(CatalogItem)
    ).one()
    total, local, hidden, featured, gone = (int(v or 0) for v in rows)
    return {"total": total, "local": local, "hidden": hidden, "featured": featured, "gone": gone}


# --- search ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    q: str = ""
    skill_id: int | None = None
    level: int | None = None
    format: str = ""
    duration: str = ""
    language: str = ""
    sort: str = "relevance"
    page: int = 1

    @classmethod
    def parse(cls, args: Any) -> Filters:
        def number(name: str) -> int | None:
            raw = (args.get(name) or "").strip()
            return int(raw) if raw.isdigit() and len(raw) < 10 else None

        level = number("level")
        fmt = args.get("format", "")
        duration = args.get("duration", "")
        sort = args.get("sort", "relevance")
        return cls(
            q=(args.get("q") or "").strip()[:200],
            skill_id=number("skill"),
            level=level if level in LEVEL_LABELS else None,
            format=fmt if fmt in {f.value for f in ItemFormat} else "",
            duration=duration if duration in DURATIONS else "",
            language=(args.get("language") or "").strip()[:20],
            sort=sort if sort in SORTS else "relevance",
            page=max(1, min(number("page") or 1, 10_000)),
        )

    @property
    def active(self) -> bool:
        return bool(
            self.q or self.skill_id or self.level or self.format or self.duration or self.language
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        values = {
            "q": self.q,
            "skill": self.skill_id or "",
            "level": self.level or "",
            "format": self.format,
            "duration": self.duration,
            "language": self.language,
            "sort": self.sort,
            "page": self.page,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None)}


@dataclass
class Result:
    item: CatalogItem
    fit: fitting.Fit
    skills: list[str] = field(default_factory=list)


@dataclass
class SearchPage:
    results: list[Result]
    total: int
    page: int
    pages: int
    gaps: list[fitting.Gap] = field(default_factory=list)


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _text_match(q: str) -> tuple[ColumnElement[bool], Any]:
    """Items matching q, and an ordering expression (best first)."""
    if db.session.get_bind().dialect.name == "postgresql":
        query = func.websearch_to_tsquery(literal_column("'english'"), q)
        document = CatalogItem.search_vector
        return document.op("@@")(query), func.ts_rank(document, query).desc()
    words = [w.lower() for w in re.split(r"\s+", q) if w][:8]
    clauses = [CatalogItem.search_text.like(_like(w), escape="\\") for w in words]
    title_first = case(
        (func.lower(CatalogItem.title).like(_like(words[0]), escape="\\"), 1), else_=0
    )
    return and_(*clauses), title_first.desc()


def _where(filters: Filters, *, staff: bool) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if not staff:
        where += [CatalogItem.hidden.is_(False), CatalogItem.gone_at.is_(None)]
    if filters.skill_id:
        where.append(
            exists().where(
                CatalogItemSkill.item_id == CatalogItem.id,
                CatalogItemSkill.skill_id == filters.skill_id,
            )
        )
    if filters.level:
        where.append(CatalogItem.level == filters.level)
    if filters.format:
        where.append(func.coalesce(CatalogItem.format, CatalogItem.lms_format) == filters.format)
    if filters.duration:
        _label, low, high = DURATIONS[filters.duration]
        where.append(CatalogItem.duration_minutes >= low)
        if high is not None:
            where.append(CatalogItem.duration_minutes <= high)
    if filters.language:
        where.append(CatalogItem.language == filters.language)
    return where


def search(
    filters: Filters,
    *,
    person_id: int | None = None,
    staff: bool = False,
    per_page: int = PAGE_SIZE,
) -> SearchPage:
    """One page of items matching the filters, each with its fit for the person."""
    where = _where(filters, staff=staff)
    order: list[Any] = []
    if filters.q:
        matched, rank = _text_match(filters.q)
        where.append(matched)
        order.append(rank)
    order += [CatalogItem.featured.desc(), CatalogItem.title, CatalogItem.id]
    gaps = fitting.skill_gaps(db.session, person_id) if person_id else []
    formats = fitting.preferred_formats(db.session, person_id)
    if filters.sort == "fit" or not filters.q:
        # Browsing (no text) pages through an index and counts cheaply on its own; a window
        # count there would read and sort every visible item before the first page.
        total = _count(where)
        pages = max(1, -(-total // per_page))
        page = min(filters.page, pages)
        if filters.sort == "fit":
            items = _by_fit(where, order, gaps, page, per_page)
        else:
            items = list(
                db.session.scalars(
                    select(CatalogItem)
                    .where(*where)
                    .order_by(*order)
                    .limit(per_page)
                    .offset((page - 1) * per_page)
                )
            )
    else:
        items, total, page = _page(where, order, filters.page, per_page)
        pages = max(1, -(-total // per_page))
    skills = _skills_for([i.id for i in items])
    results = [
        Result(
            i,
            fitting.explain(
                skills.get(i.id, []),
                i.level,
                gaps,
                person_known=person_id is not None,
                formats=formats,
                item_format=i.effective_format,
            ),
            [name for _sid, name in skills.get(i.id, [])],
        )
        for i in items
    ]
    return SearchPage(results, total, page, pages, gaps)


def _count(where: list[ColumnElement[bool]]) -> int:
    return db.session.scalar(select(func.count()).select_from(CatalogItem).where(*where)) or 0


def _page(
    where: list[ColumnElement[bool]], order: list[Any], page: int, per_page: int
) -> tuple[list[CatalogItem], int, int]:
    """(items, total, page): one page and the number of matches in one statement (a window
    count, so a text search is matched once); a page past the end shows the last one."""

    def fetch(number: int) -> tuple[list[CatalogItem], int | None]:
        rows = db.session.execute(
            select(CatalogItem, func.count().over())
            .where(*where)
            .order_by(*order)
            .limit(per_page)
            .offset((number - 1) * per_page)
        ).all()
        return [row[0] for row in rows], (rows[0][1] if rows else None)

    items, total = fetch(page)
    if total is not None:
        return items, total, page
    total = _count(where) if page > 1 else 0
    last = max(1, -(-total // per_page))
    if total and page > last:
        items, _total = fetch(last)
    return items, total, min(page, last)


def _by_fit(
    where: list[ColumnElement[bool]],
    order: list[Any],
    gaps: list[fitting.Gap],
    page: int,
    per_page: int,
) -> list[CatalogItem]:
    """One page of the matching items, best fit first (ties keep the relevance order): every
    match is scored from one narrow query (id, level, and its links to skills with a gap)."""
    by_skill = fitting.open_gaps(gaps)
    # An alias, so that the skill filter's EXISTS (same table) is not correlated with it.
    gap_link = aliased(CatalogItemSkill)
    link = and_(
        gap_link.item_id == CatalogItem.id,
        gap_link.skill_id.in_(list(by_skill) or [-1]),
    )
    rows = db.session.execute(
        select(CatalogItem.id, CatalogItem.level, gap_link.skill_id)
        .outerjoin(gap_link, link)
        .where(*where)
        .order_by(*order)
    ).all()
    levels: dict[int, int | None] = {}
    links: dict[int, list[tuple[int, str]]] = {}
    for pk, level, skill_id in rows:
        levels.setdefault(pk, level)
        if skill_id is not None:
            links.setdefault(pk, []).append((skill_id, ""))
    scored = sorted(
        (-fitting.score(links.get(pk, []), level, gaps, by_skill=by_skill), index, pk)
        for index, (pk, level) in enumerate(levels.items())
    )
    ids = [pk for _s, _i, pk in scored[(page - 1) * per_page : page * per_page]]
    found = db.session.scalars(select(CatalogItem).where(CatalogItem.id.in_(ids)))
    by_id = {row.id: row for row in found}
    return [by_id[pk] for pk in ids if pk in by_id]


def _skills_for(item_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    found: dict[int, list[tuple[int, str]]] = {}
    if not item_ids:
        return found
    for chunk_start in range(0, len(item_ids), 900):
        chunk = item_ids[chunk_start : chunk_start + 900]
        rows = db.session.execute(
            select(CatalogItemSkill.item_id, Skill.id, Skill.name)
            .join(Skill, Skill.id == CatalogItemSkill.skill_id)
            .where(CatalogItemSkill.item_id.in_(chunk))
            .order_by(Skill.name)
        )
        for item_id, skill_id, name in rows:
            found.setdefault(item_id, []).append((skill_id, name))
    return found


def item_fit(row: CatalogItem, person_id: int) -> fitting.Fit:
    gaps = fitting.skill_gaps(db.session, person_id)
    skills = _skills_for([row.id]).get(row.id, [])
    return fitting.explain(
        skills,
        row.level,
        gaps,
        person_known=True,
        formats=fitting.preferred_formats(db.session, person_id),
        item_format=row.effective_format,
    )


# --- curation -------------------------------------------------------------------------------


def _clean_url(value: str) -> tuple[str, str]:
    value = value.strip()
    if not value:
        return "", ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return value, "Give a full web address starting with https://."
    if len(value) > 1000:
        return value, "Use at most 1000 characters."
    return value, ""


def _int_field(raw: str, name: str, low: int, high: int, errors: dict[str, str]) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        errors[name] = f"Give a whole number from {low} to {high}."
        return None
    return int(raw)


def _skill_choice(raw_ids: Iterable[str], errors: dict[str, str]) -> list[int]:
    tenant_skills = {s.id for s in roles.skills()}
    chosen = []
    for raw in raw_ids:
        if raw.isdigit() and int(raw) in tenant_skills:
            chosen.append(int(raw))
        elif raw:
            errors["skills"] = "Choose skills from the list."
    return sorted(set(chosen))


def _set_skills(registration_id: int, row: CatalogItem, skill_ids: list[int]) -> None:
    current = {
        link.skill_id: link
        for link in db.session.scalars(
            select(CatalogItemSkill).where(CatalogItemSkill.item_id == row.id)
        )
    }
    for skill_id, link in current.items():
        if skill_id not in skill_ids:
            db.session.delete(link)
    for skill_id in skill_ids:
        if skill_id not in current:
            db.session.add(
                CatalogItemSkill(registration_id=registration_id, item_id=row.id, skill_id=skill_id)
            )
    db.session.flush()
    db.session.expire(row, ["skills"])


@dataclass(frozen=True)
class CurationForm:
    skills: list[str]
    level: str = ""
    format: str = ""
    hidden: bool = False
    featured: bool = False
    needs_approval: bool = False


def curate(
    registration_id: int, row: CatalogItem, form: CurationForm, *, by: str
) -> dict[str, str]:
    """A trainer's decisions about an item: skills, level, format, hidden, featured, approval.
    These columns are never written by the sync."""
    errors: dict[str, str] = {}
    skill_ids = _skill_choice(form.skills, errors)
    level = _int_field(form.level, "level", 1, 5, errors)
    fmt = form.format.strip()
    if fmt and fmt not in {f.value for f in ItemFormat}:
        errors["format"] = "Choose a format from the list."
    if errors:
        return errors
    row.level = level
    row.format = fmt or None
    row.hidden = form.hidden
    row.featured = form.featured
    row.needs_approval = form.needs_approval
    row.curated_at = utcnow()
    row.curated_by = by[:255]
    _set_skills(registration_id, row, skill_ids)
    refresh_search_text(row)
    db.session.flush()
    return {}


@dataclass(frozen=True)
class LocalForm:
    title: str
    summary: str
    url: str
    format: str
    duration: str = ""
    language: str = ""
    capacity: str = ""
    starts_at: str = ""


def save_local(
    registration_id: int, row: CatalogItem | None, form: LocalForm, *, by: str
) -> tuple[CatalogItem | None, dict[str, str]]:
    """Add (row None) or edit an item that lives only in Wayfinder: a link, a document, a video
    or a live session."""
    errors: dict[str, str] = {}
    title = form.title.strip()
    if not title:
        errors["title"] = "Give the item a title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Use at most {TITLE_MAX} characters."
    summary = form.summary.strip()
    if len(summary) > SUMMARY_MAX:
        errors["summary"] = f"Use at most {SUMMARY_MAX} characters."
    url, problem = _clean_url(form.url)
    if problem:
        errors["url"] = problem
    fmt = form.format.strip()
    if fmt not in {ItemFormat.LINK, ItemFormat.DOCUMENT, ItemFormat.VIDEO, ItemFormat.LIVE}:
        errors["format"] = "Choose a link, a document, a video or a live session."
    if not url and fmt != ItemFormat.LIVE.value and "format" not in errors:
        errors["url"] = "Give the address where people open it."
    duration = _int_field(form.duration, "duration", 1, 10_000, errors)
    capacity = _int_field(form.capacity, "capacity", 1, 10_000, errors)
    language = form.language.strip()
    if len(language) > 20:
        errors["language"] = "Use a short language code, like en or es."
    starts_at = None
    if form.starts_at.strip():
        try:
            starts_at = datetime.fromisoformat(form.starts_at.strip())
        except ValueError:
            errors["starts_at"] = "Give a date and time, like 2026-05-04 14:00."
    if errors:
        return None, errors
    if row is None:
        row = CatalogItem(
            registration_id=registration_id,
            source=Source.LOCAL.value,
            external_id="new",
            lms_format=fmt,
            lms_enrolment="open",
            lms_category="",
            hidden=False,
            featured=False,
            needs_approval=False,
            created_at=utcnow(),
            title=title,
        )
        db.session.add(row)
    row.title, row.summary, row.url = title, summary, url
    row.lms_format = fmt
    row.format = None
    row.duration_minutes = duration
    row.language = language
    row.capacity = capacity if fmt == ItemFormat.LIVE.value else None
    row.starts_at = starts_at.replace(tzinfo=None) if starts_at else None
    row.curated_at, row.curated_by = utcnow(), by[:255]
    db.session.flush()
    if row.external_id == "new":
        row.external_id = f"local-{row.id}"
    refresh_search_text(row)
    db.session.flush()
    return row, {}


# --- ratings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleRatings:
    role_name: str
    count: int
    average: float | None  # None below MIN_GROUP
    comments: list[str]


def may_rate(person_id: int, item_id: int) -> bool:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(PlanItem)
            .where(
                PlanItem.person_id == person_id,
                PlanItem.item_id == item_id,
                PlanItem.status.in_((PlanStatus.ENROLLED.value, PlanStatus.COMPLETED.value)),
            )
        )
        or 0
    ) > 0


def my_rating(person_id: int, item_id: int) -> Rating | None:
    return feedback.mine(person_id, Kind.CATALOG_ITEM, str(item_id))


def rate(
    registration_id: int, person_id: int, item_id: int, stars: str, comment: str
) -> dict[str, str]:
    """Ratings of every kind live in one table (lti_tool/feedback): this is one of them."""
    _row, errors = feedback.rate(
        registration_id, person_id, Kind.CATALOG_ITEM.value, str(item_id), stars, comment
    )
    return errors


def role_ratings(item_id: int, person_id: int) -> RoleRatings | None:
    """How people in the viewer's job role rated the item; the average and comments only from
    MIN_GROUP raters, so nobody's rating can be singled out. None without a job role."""
    role_id = roles.effective_role_id(person_id)
    if role_id is None:
        return None
    role = db.session.get(JobRole, role_id)
    rows = feedback.ratings_of_item_by_role(item_id, role_id)
    name = role.name if role else ""
    if len(rows) < MIN_GROUP:
        return RoleRatings(name, len(rows), None, [])
    average = sum(r.stars for r in rows) / len(rows)
    comments = [
        r.comment for r in sorted(rows, key=lambda r: r.updated_at, reverse=True) if r.comment
    ]
    return RoleRatings(name, len(rows), round(average, 1), comments[:10])
