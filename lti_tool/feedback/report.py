"""What trainers see of the ratings: per item the average, the count and the comments, the
monthly trend, and the items rated lowest. Read straight from ``feedback_ratings`` (one row per
person and subject: small next to the learning events), grouped in the database.

Comments show the rater's first name only, to trainers and administrators alike: enough to
follow up in person, without turning feedback into a record about someone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, literal_column, select

from lti_tool.extensions import db
from lti_tool.feedback.models import Kind, Rating
from lti_tool.i18n import _, date_text
from lti_tool.insights import dashboard
from lti_tool.people.models import Person

PERIODS = (3, 6, 12, 24)
LOWEST_MIN = 3  # an item needs this many ratings to be among the lowest rated
LOWEST_SHOWN = 10
PER_PAGE = 10


@dataclass(frozen=True)
class Item:
    kind: Kind
    item_key: str
    title: str
    count: int
    average: float
    comments: int


@dataclass(frozen=True)
class Comment:
    first_name: str
    stars: int
    comment: str
    at: datetime

    @property
    def day(self) -> str:
        """The day it was written, in the page's language ("04 December 2026")."""
        return date_text(self.at, "dd MMMM y")


def _month(column: Any) -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date_trunc(literal_column("'month'"), column).cast(db.Date)
    return func.date(column, literal_column("'start of month'"))


def _where(query: Any, kind: Kind | None, since: date | None, role_id: int | None = None) -> Any:
    if kind is not None:
        query = query.where(Rating.kind == kind.value)
    if since is not None:
        query = query.where(Rating.created_at >= datetime(since.year, since.month, since.day))
    if role_id is not None:
        query = query.where(Rating.role_id == role_id)
    return query


def items(kind: Kind | None = None, since: date | None = None) -> list[Item]:
    """Every rated item of the period, best known title, most rated first."""
    has_comment = func.sum(case((Rating.comment != "", 1), else_=0))
    query = _where(
        select(
            Rating.kind,
            Rating.item_key,
            func.max(Rating.title),
            func.count(),
            func.avg(Rating.stars),
            has_comment,
        ).group_by(Rating.kind, Rating.item_key),
        kind,
        since,
    )
    rows = [
        Item(Kind(k), key, title or _("(untitled)"), int(n), round(float(avg), 2), int(c or 0))
        for k, key, title, n, avg, c in db.session.execute(query)
    ]
    return sorted(rows, key=lambda r: (-r.count, r.average, r.title))


def lowest(rows: list[Item], minimum: int = LOWEST_MIN, limit: int = LOWEST_SHOWN) -> list[Item]:
    """Items with at least ``minimum`` ratings, lowest average first (more ratings first when
    two averages tie: the surer signal)."""
    found = [r for r in rows if r.count >= minimum]
    return sorted(found, key=lambda r: (r.average, -r.count, r.title))[:limit]


def trend(
    months: int, kind: Kind | None = None, role_id: int | None = None, today: date | None = None
) -> tuple[list[date], dict[Kind, list[float | None]], list[float | None], list[int]]:
    """Per month of the period: the average by kind, the average of all, and the count
    (months without ratings: None)."""
    span = dashboard.months_back(months, today)
    index = {m: i for i, m in enumerate(span)}
    month = _month(Rating.created_at)
    query = _where(
        select(month, Rating.kind, func.count(), func.sum(Rating.stars)).group_by(
            month, Rating.kind
        ),
        kind,
        span[0],
        role_id,
    )
    counts: dict[Kind, list[int]] = {k: [0] * len(span) for k in Kind}
    sums: dict[Kind, list[int]] = {k: [0] * len(span) for k in Kind}
    for m, k, n, total in db.session.execute(query):
        i = index.get(m if isinstance(m, date) else date.fromisoformat(str(m)[:10]))
        if i is None:
            continue
        counts[Kind(k)][i] += int(n)
        sums[Kind(k)][i] += int(total or 0)
    by_kind: dict[Kind, list[float | None]] = {
        k: [round(sums[k][i] / counts[k][i], 2) if counts[k][i] else None for i in range(len(span))]
        for k in Kind
        if any(counts[k])
    }
    total_n = [sum(counts[k][i] for k in Kind) for i in range(len(span))]
    overall = [
        round(sum(sums[k][i] for k in Kind) / total_n[i], 2) if total_n[i] else None
        for i in range(len(span))
    ]
    return span, by_kind, overall, total_n


def comments(kind: Kind, item_key: str, page: int = 1) -> tuple[list[Comment], bool]:
    """The item's comments, newest first; (a page of them, whether there are more)."""
    rows = db.session.execute(
        select(Rating.stars, Rating.comment, Rating.updated_at, Person.given_name, Person.name)
        .join(Person, Person.id == Rating.person_id)
        .where(Rating.kind == kind.value, Rating.item_key == item_key, Rating.comment != "")
        .order_by(Rating.updated_at.desc(), Rating.id.desc())
        .limit(PER_PAGE + 1)
        .offset((page - 1) * PER_PAGE)
    ).all()
    found = [
        Comment(first_name(given, name), stars, text, at)
        for stars, text, at, given, name in rows[:PER_PAGE]
    ]
    return found, len(rows) > PER_PAGE


def first_name(given: str, name: str) -> str:
    return (given or name or "").split(" ")[0] or _("A colleague")


def item_title(kind: Kind, item_key: str) -> str | None:
    return db.session.scalar(
        select(func.max(Rating.title)).where(Rating.kind == kind.value, Rating.item_key == item_key)
    )


def items_table(rows: list[Item]) -> dashboard.Table:
    return dashboard.Table(
        "feedback",
        _("Ratings per item"),
        [_("Item"), _("Kind"), _("Ratings"), _("Average stars"), _("Comments")],
        [[r.title, r.kind.label, r.count, r.average, r.comments] for r in rows],
        numeric_from=2,
    )


def dashboard_feedback(
    months: int, role_id: int | None = None, today: date | None = None
) -> tuple[list[tuple[str, list[float | None]]], dashboard.Table]:
    """For the insights dashboard: the monthly average per kind (chart series) and a table
    (month, average of all, number of ratings, average per kind)."""
    span, by_kind, overall, counts = trend(months, role_id=role_id, today=today)
    kinds = list(by_kind)
    labels = [dashboard.label(m) for m in span]
    table = dashboard.Table(
        "feedback",
        _("Average rating per month, by kind"),
        [_("Month"), _("Average stars"), _("Ratings"), *[k.label for k in kinds]],
        [
            [labels[i], overall[i], counts[i], *[by_kind[k][i] for k in kinds]]
            for i in range(len(span))
        ],
    )
    return [(k.label, by_kind[k]) for k in kinds], table
