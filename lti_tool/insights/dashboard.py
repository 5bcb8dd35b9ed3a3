"""What the dashboards show, read from the monthly summary of learning events
(``learning_months``: a few rows per month, path and role, whatever the number of people).

Every table a page shows is a :class:`Table` (title, column names, rows), so the page and its
CSV export are built from the same numbers.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.i18n import _, _l, date_text, pgettext
from lti_tool.insights.models import LearningMonth, Verb
from lti_tool.lti.models import utcnow
from lti_tool.paths.models import Path
from lti_tool.roles.models import JobRole

PERIODS = (6, 12, 24)
MAX_SERIES = 6
ENGAGEMENT = (
    ("tips", _l("Tips shared"), Verb.SHARED, ("tip",)),
    ("questions", _l("Questions asked"), Verb.SHARED, ("question",)),
    ("answers", _l("Answers given"), Verb.SHARED, ("answer",)),
    ("coaching", _l("Coaching sessions"), Verb.COACHED, None),
    ("ratings", _l("Ratings given"), Verb.RATED, None),
    ("badges", _l("Badges awarded"), Verb.AWARDED, None),
)


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    numeric_from: int = 1  # columns from this index are numbers (right-aligned)

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow(
                [
                    f"{v:.1f}" if isinstance(v, float) else _safe(v) if isinstance(v, str) else v
                    for v in row
                ]
            )
        return out.getvalue()


def _safe(text: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def months_back(n: int, today: date | None = None) -> list[date]:
    today = today or utcnow().date()
    y, m = today.year, today.month
    found = []
    for _month in range(n):
        found.append(date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return found[::-1]


def label(month: date) -> str:
    """ "Mar 2026", in the page's language ("mar 2026")."""
    return date_text(month, "MMM y")


class Series(NamedTuple):
    name: str
    values: list[float]


@dataclass
class Dashboard:
    months: list[date]
    role: JobRole | None
    completion: list[Series]
    completion_table: Table
    by_path: Table
    hours: list[float]
    hours_table: Table
    engagement: list[Series]
    engagement_table: Table

    @property
    def labels(self) -> list[str]:
        return [label(m) for m in self.months]

    @property
    def tables(self) -> dict[str, Table]:
        return {
            t.key: t
            for t in (self.completion_table, self.by_path, self.hours_table, self.engagement_table)
        }

    @property
    def empty(self) -> bool:
        return (
            not self.by_path.rows
            and not any(self.hours)
            and not any(sum(s.values) for s in self.engagement)
        )


def build(months: int = 12, role_id: int | None = None, today: date | None = None) -> Dashboard:
    span = months_back(months, today)
    first = span[0]
    index = {m: i for i, m in enumerate(span)}
    role_names = {r.id: r.name for r in db.session.scalars(select(JobRole))}
    paths = {p.id: p for p in db.session.scalars(select(Path))}
    query = (
        select(
            LearningMonth.month,
            LearningMonth.verb,
            LearningMonth.object_type,
            LearningMonth.path_id,
            LearningMonth.role_id,
            func.sum(LearningMonth.events),
            func.sum(LearningMonth.minutes),
        )
        .where(LearningMonth.month >= first)
        .group_by(
            LearningMonth.month,
            LearningMonth.verb,
            LearningMonth.object_type,
            LearningMonth.path_id,
            LearningMonth.role_id,
        )
    )
    if role_id is not None:
        query = query.where(LearningMonth.role_id == role_id)
    completions: dict[int, list[float]] = defaultdict(lambda: [0.0] * len(span))
    per_path: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    minutes = [0.0] * len(span)
    steps = [0] * len(span)
    engagement = {key: [0.0] * len(span) for key, *_rest in ENGAGEMENT}
    seen_engagement: set[str] = set()
    for month, verb, object_type, path_id, rid, events, mins in db.session.execute(query):
        i = index.get(month if isinstance(month, date) else date.fromisoformat(str(month)))
        if i is None:
            continue
        events, mins = int(events or 0), int(mins or 0)
        if object_type == "path":
            slot = {"assigned": 0, "started": 1, "completed": 2}.get(verb)
            if slot is not None:
                per_path[(rid, path_id)][slot] += events
            if verb == Verb.COMPLETED.value:
                completions[rid][i] += events
        if verb == Verb.COMPLETED.value and object_type != "path":
            minutes[i] += mins
            steps[i] += events
        for key, _name, wanted, kinds in ENGAGEMENT:
            if verb == wanted.value and (kinds is None or object_type in kinds):
                engagement[key][i] += events
                seen_engagement.add(key)
    series = sorted(
        (Series(role_names.get(rid, _("No job role")), vals) for rid, vals in completions.items()),
        key=lambda s: (-sum(s.values), s.name),
    )
    if len(series) > MAX_SERIES:
        rest = series[MAX_SERIES - 1 :]
        other = [sum(s.values[i] for s in rest) for i in range(len(span))]
        series = [*series[: MAX_SERIES - 1], Series(_("Other roles"), other)]
    labels = [label(m) for m in span]
    completion_table = Table(
        "completion",
        _("Paths completed per month, by job role"),
        [_("Month"), *[s.name for s in series], _("Total")],
        [
            [labels[i], *[int(s.values[i]) for s in series], int(sum(s.values[i] for s in series))]
            for i in range(len(span))
        ],
    )
    by_path = Table(
        "by_path",
        _("Assigned, started and completed by job role and path"),
        [
            _("Job role"),
            _("Path"),
            pgettext("people", "Assigned"),
            pgettext("people", "Started"),
            pgettext("people", "Completed"),
        ],
        sorted(
            (
                [
                    role_names.get(rid, _("No job role")),
                    paths[pid].title if pid in paths else _("(deleted path)"),
                    *counts,
                ]
                for (rid, pid), counts in per_path.items()
            ),
            key=lambda r: (r[0], r[1]),
        ),
        numeric_from=2,
    )
    hours = [round(m / 60.0, 1) for m in minutes]
    hours_table = Table(
        "hours",
        _("Learning hours per month (completed steps)"),
        [_("Month"), _("Hours"), _("Steps completed")],
        [[labels[i], hours[i], steps[i]] for i in range(len(span))],
    )
    names = {key: str(name) for key, name, *_rest in ENGAGEMENT}
    shown = [key for key in names if key in seen_engagement] or list(names)[:3]
    engagement_series = [Series(names[key], engagement[key]) for key in shown]
    engagement_table = Table(
        "engagement",
        _("Engagement per month"),
        [_("Month"), *[names[key] for key in shown]],
        [[labels[i], *[int(engagement[k][i]) for k in shown]] for i in range(len(span))],
    )
    role = db.session.get(JobRole, role_id) if role_id is not None else None
    return Dashboard(
        span,
        role,
        series,
        completion_table,
        by_path,
        hours,
        hours_table,
        engagement_series,
        engagement_table,
    )
