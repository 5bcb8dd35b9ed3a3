"""The catalog: what trainers curate, what learners search, and ratings. Plain functions over
the current tenant's session; they add and flush, the view commits once.

Search
------
One function (`search`) for both databases. PostgreSQL: full text over ``search_vector``
(``to_tsvector('english', search_text)`` kept by a trigger, GIN-indexed; migration
0010_catalog) with ``websearch_to_tsquery('english', …)``, best match first. Elsewhere (SQLite): ``search_text`` holds title, summary,
category and skill names in lower case, and each word of the query must appear in it (LIKE,
wildcards escaped). Filters: skill, level, format, duration and language. Sorting by fit scores
every match in the database by `fit.py`'s rules (`fitting.level_weights`) and pages the result.
A search is two statements, each built once per shape of filters with the values bound: the
person's gaps and formats (`fitting.measure`) and the page with its skills and the count.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Numeric,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    null,
    select,
)
from sqlalchemy.orm import aliased

from lti_tool import timezones
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
from lti_tool.i18n import _, _l
from lti_tool.lti.models import utcnow
from lti_tool.numbers import as_id, whole_number
from lti_tool.roles import services as roles
from lti_tool.roles.models import JobRole, Skill
from lti_tool.web_address import is_web_address

PAGE_SIZE = 20
TITLE_MAX = 200
SUMMARY_MAX = 4000
COMMENT_MAX = 1000
MIN_GROUP = feedback.MIN_GROUP  # ratings by role are shown only from this many raters
DURATIONS = {
    "short": (_l("Under 30 minutes"), 0, 29),
    "medium": (_l("30 minutes to 2 hours"), 30, 120),
    "long": (_l("Over 2 hours"), 121, None),
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
            return as_id(raw)

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


@dataclass(frozen=True)
class _Shape:
    """Which filters a search uses: its statements are built once per shape (`_page_statement`,
    `_count_statement`), and the filters' values go in as bound parameters."""

    postgresql: bool
    staff: bool
    words: int  # PostgreSQL: 1 with a text query; SQLite: how many of its words must match
    skill: bool
    level: bool
    format: bool
    duration: str
    language: bool
    peers: bool = False  # the person has a job role: its ratings (``peer_role``) count


def _shape(
    filters: Filters, *, staff: bool, peer_role: int | None = None
) -> tuple[_Shape, dict[str, Any]]:
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    params: dict[str, Any] = {}
    words = 0
    if filters.q and postgresql:
        params["q"] = filters.q
        words = 1
    elif filters.q:
        found = [w.lower() for w in re.split(r"\s+", filters.q) if w][:8]
        params.update({f"w{n}": _like(w) for n, w in enumerate(found)})
        words = len(found)
    if filters.skill_id:
        params["skill_id"] = filters.skill_id
    if filters.level:
        params["level"] = filters.level
    if filters.format:
        params["format"] = filters.format
    if filters.duration:
        _label, params["low"], params["high"] = DURATIONS[filters.duration]
    if filters.language:
        params["language"] = filters.language
    if peer_role is not None:
        params["peer_role"] = peer_role
    shape = _Shape(
        postgresql,
        staff,
        words,
        bool(filters.skill_id),
        bool(filters.level),
        bool(filters.format),
        filters.duration,
        bool(filters.language),
        peer_role is not None,
    )
    return shape, params


def _text_match(shape: _Shape) -> tuple[ColumnElement[bool], ColumnElement[Any]]:
    """Items matching the query, and a relevance (higher first)."""
    if shape.postgresql:
        query = func.websearch_to_tsquery(literal_column("'english'"), bindparam("q", type_=String))
        document = CatalogItem.search_vector
        return document.op("@@")(query), func.ts_rank(document, query)
    clauses = [
        CatalogItem.search_text.like(bindparam(f"w{n}", type_=String), escape="\\")
        for n in range(shape.words)
    ]
    title_first = case(
        (func.lower(CatalogItem.title).like(bindparam("w0", type_=String), escape="\\"), 1),
        else_=0,
    )
    return and_(*clauses), title_first


def _where(shape: _Shape) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if not shape.staff:
        where += [CatalogItem.hidden.is_(False), CatalogItem.gone_at.is_(None)]
    if shape.words:
        where.append(_text_match(shape)[0])
    if shape.skill:
        where.append(
            exists().where(
                CatalogItemSkill.item_id == CatalogItem.id,
                CatalogItemSkill.skill_id == bindparam("skill_id", type_=Integer),
            )
        )
    if shape.level:
        where.append(CatalogItem.level == bindparam("level", type_=Integer))
    if shape.format:
        where.append(
            func.coalesce(CatalogItem.format, CatalogItem.lms_format)
            == bindparam("format", type_=String)
        )
    if shape.duration:
        where.append(CatalogItem.duration_minutes >= bindparam("low", type_=Integer))
        if DURATIONS[shape.duration][2] is not None:
            where.append(CatalogItem.duration_minutes <= bindparam("high", type_=Integer))
    if shape.language:
        where.append(CatalogItem.language == bindparam("language", type_=String))
    return where


@functools.cache
def _count_statement(shape: _Shape) -> Select[Any]:
    return select(func.count()).select_from(CatalogItem).where(*_where(shape))


def _peer_rating() -> tuple[Any, Any]:
    """The row's item as rated by people who held the job role ``peer_role`` when they rated:
    (average stars, NULL below feedback.MIN_GROUP raters; number of raters), each a correlated
    subquery over the (kind, subject, role) index."""
    where = (
        Rating.kind == Kind.CATALOG_ITEM.value,
        Rating.subject_id == cast(CatalogItem.id, String),
        Rating.role_id == bindparam("peer_role", type_=Integer),
    )
    average = (
        select(case((func.count() >= MIN_GROUP, func.avg(Rating.stars))))
        .where(*where)
        .scalar_subquery()
    )
    count = select(func.count()).select_from(Rating).where(*where).scalar_subquery()
    return average, count


def _fit_score(gap_count: int, peers: bool) -> tuple[Any, ColumnElement[Any]]:
    """(the item's links to skills with an open gap, the item's fit score): per gap ``g<n>``
    its skill and ``g<n>_<level>`` what an item of that level (0: none) scores for it, from
    `fitting.level_weights`, so that the scoring rules stay in fit.py; with ``peers``, what
    people in the person's role rated it (`fitting.peer_points`). Rounded as `fitting.score`
    rounds, so that ties fall back on relevance alike."""
    extra: Any = literal(0.0)
    if peers:
        stars = cast(func.coalesce(_peer_rating()[0], 3), Float)
        extra = literal(fitting.PEER_WEIGHT) * (stars - 3) / 2
    if not gap_count:
        return None, func.round(cast(extra, Numeric), 4)
    gap_link = aliased(CatalogItemSkill)  # not correlated with the skill filter's EXISTS
    level = func.coalesce(CatalogItem.level, 0)
    weight = case(
        {
            bindparam(f"g{n}", type_=Integer): case(
                {lv: bindparam(f"g{n}_{lv}", type_=Float) for lv in (0, *LEVEL_LABELS)},
                value=level,
            )
            for n in range(gap_count)
        },
        value=gap_link.skill_id,
    )
    link = and_(
        gap_link.item_id == CatalogItem.id,
        gap_link.skill_id.in_([bindparam(f"g{n}", type_=Integer) for n in range(gap_count)]),
    )
    score = func.round(cast(func.coalesce(func.sum(weight), 0) + extra, Numeric), 4)
    return (gap_link, link), score


@functools.cache
def _page_statement(shape: _Shape, gap_count: int, fit: bool = False) -> Select[Any]:
    """One page of matching items (parameters ``limit`` and ``offset``), best first, each row
    an item with the number of matches, one of its skills (by name; none: NULL) and how people
    in the person's role rated it (average, NULL when too few or no role; raters), in one
    statement. Sorting by ``fit`` with open gaps or a role, every match is scored in the
    database (`_fit_score`) and ties keep the relevance order. The page's ids are chosen from narrow
    rows before the items are read. The number of matches: a window count where the matches
    are all read anyway (text or fit), else a count of its own (browsing pages through an
    index; a window count would read and sort every visible item before the first page)."""
    where = _where(shape)
    keys: list[tuple[Any, bool]] = []  # (expression, descending)
    if shape.words:
        keys.append((_text_match(shape)[1], True))
    keys += [(CatalogItem.featured, True), (CatalogItem.title, False), (CatalogItem.id, False)]
    scored = fit and (gap_count > 0 or shape.peers)
    if scored or shape.words:
        total: Any = func.count().over()
    else:
        total = _count_statement(shape).scalar_subquery()
    inner = select(CatalogItem.id.label("item_id"))
    if scored:
        gap_join, score = _fit_score(gap_count, shape.peers)
        keys.insert(0, (score, True))
        if gap_join is not None:
            inner = inner.outerjoin(*gap_join).group_by(CatalogItem.id)
    labels = [expression.label(f"k{n}") for n, (expression, _desc) in enumerate(keys)]
    page = (
        inner.add_columns(total.label("total"), *labels)
        .where(*where)
        .order_by(
            *(
                label.desc() if desc else label
                for label, (_e, desc) in zip(labels, keys, strict=True)
            )
        )
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("page")
    )
    peers: tuple[Any, Any] = _peer_rating() if shape.peers else (null(), null())
    return (
        select(CatalogItem, page.c.total, Skill.id, Skill.name, *peers)
        .select_from(page)
        .join(CatalogItem, CatalogItem.id == page.c.item_id)
        .outerjoin(CatalogItemSkill, CatalogItemSkill.item_id == CatalogItem.id)
        .outerjoin(Skill, Skill.id == CatalogItemSkill.skill_id)
        .order_by(
            *(
                page.c[f"k{n}"].desc() if desc else page.c[f"k{n}"]
                for n, (_e, desc) in enumerate(keys)
            ),
            Skill.name,
        )
    )


def search(
    filters: Filters,
    *,
    person_id: int | None = None,
    staff: bool = False,
    per_page: int = PAGE_SIZE,
) -> SearchPage:
    """One page of items matching the filters, each with its fit for the person: two
    statements (the person's gaps and formats, `fitting.measure`; the page with its skills and
    the number of matches, `_page_statement`), a third only for a page past the end."""
    measure = fitting.measure(db.session, person_id)
    shape, params = _shape(filters, staff=staff, peer_role=measure.role_id)
    gap_count = 0
    if filters.sort == "fit":
        for n, (skill_id, gap) in enumerate(fitting.open_gaps(measure.gaps).items()):
            params[f"g{n}"] = skill_id
            params.update({f"g{n}_{lv or 0}": w for lv, w in fitting.level_weights(gap).items()})
            gap_count = n + 1
    items, skills, peers, total, page = _fetch(
        shape, (gap_count, filters.sort == "fit"), params, filters.page, per_page
    )
    results = [
        Result(
            i,
            fitting.explain(
                skills[i.id],
                i.level,
                measure.gaps,
                person_known=person_id is not None,
                formats=measure.formats,
                item_format=i.effective_format,
                peers=peers.get(i.id),
            ),
            [name for _sid, name in skills[i.id]],
        )
        for i in items
    ]
    return SearchPage(results, total, page, max(1, -(-total // per_page)), measure.gaps)


_Page = tuple[list[CatalogItem], dict[int, list[tuple[int, str]]], dict[int, fitting.Peers], int]


def _fetch(
    shape: _Shape, scoring: tuple[int, bool], params: dict[str, Any], page: int, per_page: int
) -> tuple[list[CatalogItem], dict[int, list[tuple[int, str]]], dict[int, fitting.Peers], int, int]:
    """(items, their skills, their peers' ratings, total, page); ``scoring`` is (open gaps,
    sorted by fit); a page past the end shows the last one."""

    def fetch(number: int) -> _Page:
        rows = db.session.execute(
            _page_statement(shape, *scoring),
            {**params, "limit": per_page, "offset": (number - 1) * per_page},
        ).all()
        items: list[CatalogItem] = []
        skills: dict[int, list[tuple[int, str]]] = {}
        peers: dict[int, fitting.Peers] = {}
        for row, _total, skill_id, name, average, raters in rows:
            if row.id not in skills:
                skills[row.id] = []
                items.append(row)
                if average is not None:
                    peers[row.id] = fitting.Peers(float(average), raters)
            if skill_id is not None:
                skills[row.id].append((skill_id, name))
        return items, skills, peers, (rows[0][1] if rows else -1)

    items, skills, peers, total = fetch(page)
    if total >= 0:
        return items, skills, peers, total, page
    total = (db.session.scalar(_count_statement(shape), params) or 0) if page > 1 else 0
    last = max(1, -(-total // per_page))
    if total and page > last:
        items, skills, peers, _total = fetch(last)
    return items, skills, peers, total, min(page, last)


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


def item_fit(
    row: CatalogItem, measure: fitting.Measure, *, person_known: bool = True
) -> fitting.Fit:
    """One item's fit, against the person's `fitting.measure` (read once by the page)."""
    skills = _skills_for([row.id]).get(row.id, [])
    return fitting.explain(
        skills,
        row.level,
        measure.gaps,
        person_known=person_known,
        formats=measure.formats,
        item_format=row.effective_format,
    )


# --- curation -------------------------------------------------------------------------------


def _clean_url(value: str) -> tuple[str, str]:
    value = value.strip()
    if not value:
        return "", ""
    if not is_web_address(value):
        return value, _("Give a full web address starting with https://.")
    if len(value) > 1000:
        return value, _("Use at most %(num)s characters.", num=1000)
    return value, ""


def _int_field(raw: str, name: str, low: int, high: int, errors: dict[str, str]) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    number = whole_number(raw)
    if number is None or not low <= number <= high:
        errors[name] = _("Give a whole number from %(low)d to %(high)d.", low=low, high=high)
        return None
    return number


def _skill_choice(raw_ids: Iterable[str], errors: dict[str, str]) -> list[int]:
    tenant_skills = {s.id for s in roles.skills()}
    chosen = []
    for raw in raw_ids:
        pk = as_id(raw)
        if pk is not None and pk in tenant_skills:
            chosen.append(pk)
        elif raw:
            errors["skills"] = _("Choose skills from the list.")
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
        errors["format"] = _("Choose a format from the list.")
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
        errors["title"] = _("Give the item a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Use at most %(num)s characters.", num=TITLE_MAX)
    summary = form.summary.strip()
    if len(summary) > SUMMARY_MAX:
        errors["summary"] = _("Use at most %(num)s characters.", num=SUMMARY_MAX)
    url, problem = _clean_url(form.url)
    if problem:
        errors["url"] = problem
    fmt = form.format.strip()
    if fmt not in {ItemFormat.LINK, ItemFormat.DOCUMENT, ItemFormat.VIDEO, ItemFormat.LIVE}:
        errors["format"] = _("Choose a link, a document, a video or a live session.")
    if not url and fmt != ItemFormat.LIVE.value and "format" not in errors:
        errors["url"] = _("Give the address where people open it.")
    duration = _int_field(form.duration, "duration", 1, 10_000, errors)
    capacity = _int_field(form.capacity, "capacity", 1, 10_000, errors)
    language = form.language.strip()
    if len(language) > 20:
        errors["language"] = _("Use a short language code, like en or es.")
    starts_at = None
    if form.starts_at.strip():
        try:
            starts_at = datetime.fromisoformat(form.starts_at.strip())
        except ValueError:
            errors["starts_at"] = _("Give a date and time, like 2026-05-04 14:00.")
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
    row.starts_at = timezones.stored(starts_at) if starts_at else None  # typed in their zone
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
