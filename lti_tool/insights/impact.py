"""The impact report: did completing a path (or one of its steps) go with a better KPI?

Difference in differences, per person:

- **Completers**: people holding the job role who completed it (their learning event), at
  least one window ago. Each one's change = mean of the KPI in the ``window`` days after the
  completion day minus the mean in the ``window`` days before it.
- **Comparison group**: people holding the same job role who have not completed it. Each one's
  change is measured over the *same calendar windows* as the completers (around every
  completion date, weighted by how many completed that day; by week when there are many dates).
- A person counts when they have at least one value in each of their two windows.

The report gives the difference of the two groups' mean changes with Welch's 95% confidence
interval, the group sizes and one sentence that reads the difference in the metric's
direction (for AHT, lower is better). It refuses to conclude while either group is smaller
than ``min_group`` and says why. It is an association: people are not assigned at random.
"""

from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.insights import stats
from lti_tool.insights.models import ImpactReport, KpiMetric, KpiValue, LearningEvent, Verb
from lti_tool.lti.models import utcnow
from lti_tool.paths.models import Path, PathNode, PathVersion
from lti_tool.roles.models import JobRole

WINDOWS = (14, 28, 60, 90)
MAX_DATES = 40  # more distinct completion dates than this: comparison windows by week
CHUNK = 5000

CAVEAT = (
    "This compares groups: people were not picked at random to complete it, so it shows how "
    "the KPI moved alongside the learning, not proof that the learning caused it."
)


@dataclass(frozen=True)
class Question:
    path: Path
    step_key: str
    metric: KpiMetric
    role: JobRole | None
    window_days: int
    min_group: int

    @property
    def subject(self) -> str:
        if not self.step_key:
            return f"“{self.path.title}”"
        return f"the step “{step_title(self.path, self.step_key)}” of “{self.path.title}”"


def step_title(path: Path, key: str) -> str:
    title = db.session.scalar(
        select(PathNode.title)
        .join(PathVersion, PathVersion.id == PathNode.version_id)
        .where(PathVersion.path_id == path.id, PathNode.key == key)
        .order_by(PathVersion.number.desc())
        .limit(1)
    )
    return title or key


def steps_of(path: Path) -> list[tuple[str, str]]:
    """(key, title) of the newest version's steps."""
    v = db.session.scalar(
        select(PathVersion)
        .where(PathVersion.path_id == path.id)
        .order_by(PathVersion.number.desc())
        .limit(1)
    )
    if v is None:
        return []
    return [(n.key, n.title) for n in v.nodes if not n.is_set]


def _completions(q: Question) -> dict[int, date]:
    object_type, object_id = (
        ("step", f"{q.path.id}:{q.step_key}") if q.step_key else ("path", str(q.path.id))
    )
    return {
        pid: when.date()
        for pid, when in db.session.execute(
            select(LearningEvent.person_id, LearningEvent.occurred_at).where(
                LearningEvent.object_type == object_type,
                LearningEvent.object_id == object_id,
                LearningEvent.verb == Verb.COMPLETED.value,
            )
        )
    }


def _series(
    metric_id: int, people: list[int], first: date, last: date
) -> dict[int, tuple[list[int], list[float]]]:
    """Each person's (day ordinals, prefix sums of values), sorted by day."""
    raw: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for start in range(0, len(people), CHUNK):
        for pid, day, value in db.session.execute(
            select(KpiValue.person_id, KpiValue.day, KpiValue.value).where(
                KpiValue.metric_id == metric_id,
                KpiValue.person_id.in_(people[start : start + CHUNK]),
                KpiValue.day >= first,
                KpiValue.day <= last,
            )
        ):
            raw[pid].append((day.toordinal(), value))
    series = {}
    for pid, points in raw.items():
        points.sort()
        days = [d for d, _ in points]
        sums = [0.0]
        for _, v in points:
            sums.append(sums[-1] + v)
        series[pid] = (days, sums)
    return series


def _mean(days: list[int], sums: list[float], lo: int, hi: int) -> float | None:
    """Mean of the values on days lo..hi (inclusive), None without any."""
    i, j = bisect.bisect_left(days, lo), bisect.bisect_right(days, hi)
    if j <= i:
        return None
    return (sums[j] - sums[i]) / (j - i)


def _change(
    s: tuple[list[int], list[float]], day: int, w: int
) -> tuple[float, float, float] | None:
    before = _mean(s[0], s[1], day - w, day - 1)
    after = _mean(s[0], s[1], day + 1, day + w)
    if before is None or after is None:
        return None
    return after - before, before, after


def compute(q: Question, role_holders: list[int], today: date | None = None) -> dict[str, Any]:
    """The report's numbers and sentences (plain data, stored as the report's result)."""
    today = today or utcnow().date()
    w = q.window_days
    holders = set(role_holders)
    done = _completions(q)
    completed_in_role = {pid: d for pid, d in done.items() if pid in holders}
    recent = {pid for pid, d in completed_in_role.items() if d + timedelta(days=w) > today}
    treated = {pid: d for pid, d in completed_in_role.items() if pid not in recent}
    controls = sorted(holders - set(done))
    result: dict[str, Any] = {
        "subject": q.subject,
        "metric": q.metric.name,
        "unit": q.metric.unit,
        "higher_is_better": q.metric.higher_is_better,
        "role": q.role.name if q.role else "",
        "window_days": w,
        "min_group": q.min_group,
        "completed": len(done),
        "completed_in_role": len(completed_in_role),
        "too_recent": len(recent),
        "role_holders": len(holders),
        "caveat": CAVEAT,
    }
    treated_changes: list[float] = []
    control_changes: list[float] = []
    means: dict[str, list[float]] = {
        "treated_before": [],
        "treated_after": [],
        "control_before": [],
        "control_after": [],
    }
    if treated:
        first = min(treated.values()) - timedelta(days=w)
        last = max(treated.values()) + timedelta(days=w)
        series = _series(q.metric.id, sorted(treated) + controls, first, last)
        for pid, d in treated.items():
            s = series.get(pid)
            found = _change(s, d.toordinal(), w) if s else None
            if found is not None:
                treated_changes.append(found[0])
                means["treated_before"].append(found[1])
                means["treated_after"].append(found[2])
        weights: dict[int, int] = defaultdict(int)
        for d in treated.values():
            weights[d.toordinal()] += 1
        if len(weights) > MAX_DATES:  # group by week: the comparison windows move by 7 days
            weekly: dict[int, int] = defaultdict(int)
            for day, n in weights.items():
                weekly[day - (day % 7) + 3] += n
            weights = weekly
        for pid in controls:
            s = series.get(pid)
            if s is None:
                continue
            total = weight = 0.0
            before_sum = after_sum = 0.0
            for day, n in weights.items():
                found = _change(s, day, w)
                if found is not None:
                    total += n * found[0]
                    before_sum += n * found[1]
                    after_sum += n * found[2]
                    weight += n
            if weight:
                control_changes.append(total / weight)
                means["control_before"].append(before_sum / weight)
                means["control_after"].append(after_sum / weight)
        result["first_completion"] = min(treated.values()).isoformat()
        result["last_completion"] = max(treated.values()).isoformat()
    n1, n2 = len(treated_changes), len(control_changes)
    result.update({"n_treated": n1, "n_control": n2})
    for key, values in means.items():
        result[key] = statistics.fmean(values) if values else None
    if n1 < q.min_group or n2 < q.min_group:
        result["status"] = "refused"
        result["sentence"] = _refusal(q, result, n1, n2)
        return result
    test = stats.welch(treated_changes, control_changes)
    sign = 1.0 if q.metric.higher_is_better else -1.0
    low, high = sorted((sign * test.low, sign * test.high))
    result.update(
        {
            "status": "ok",
            "treated_change": statistics.fmean(treated_changes),
            "control_change": statistics.fmean(control_changes),
            "difference": test.difference,
            "low": test.low,
            "high": test.high,
            "p_value": test.p_value,
            "improvement": sign * test.difference,
            "improvement_low": low,
            "improvement_high": high,
            "conclusive": test.excludes_zero,
        }
    )
    result["sentence"] = _sentence(q, result)
    return result


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "\u2013"
    digits = 0 if abs(value) >= 100 else 1
    text = f"{value:,.{digits}f}".replace("-", "\u2212")
    if text in ("\u22120.0", "\u22120"):
        text = text[1:]
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def _sentence(q: Question, r: dict[str, Any]) -> str:
    name, unit = q.metric.name, q.metric.unit
    unit_word = " percentage points" if unit == "%" else (f" {unit}" if unit else "")
    direction = "" if q.metric.higher_is_better else " (lower is better)"
    role = f" ({q.role.name})" if q.role else ""
    tail = (
        f"(95% CI {fmt(r['improvement_low'])} to {fmt(r['improvement_high'])}; "
        f"{r['n_treated']} vs {r['n_control']} people)"
    )
    size = fmt(abs(r["improvement"]))
    if r["conclusive"] and r["improvement"] > 0:
        return (
            f"People who completed {q.subject} improved {name}{direction} by {size}{unit_word} "
            f"more than colleagues in the same role{role} who had not {tail}."
        )
    if r["conclusive"]:
        return (
            f"People who completed {q.subject} did worse on {name}{direction}: {size}{unit_word} "
            f"less improvement than colleagues in the same role{role} who had not {tail}."
        )
    return (
        f"No clear difference: the change in {name}{direction} of people who completed "
        f"{q.subject} was within chance of that of colleagues in the same role{role} who had "
        f"not {tail}. The interval includes zero, so the report does not claim an effect."
    )


def _refusal(q: Question, r: dict[str, Any], n1: int, n2: int) -> str:
    need = q.min_group
    parts = []
    if n1 < need:
        why = []
        if r["too_recent"]:
            why.append(
                f"{r['too_recent']} completed it less than {q.window_days} days ago (their "
                "after-window is not over)"
            )
        missing = r["completed_in_role"] - r["too_recent"] - n1
        if missing > 0:
            why.append(f"{missing} have no {q.metric.name} values before and after")
        extra = f": {'; '.join(why)}" if why else ""
        parts.append(
            f"only {n1} {'person' if n1 == 1 else 'people'} who completed it can be compared "
            f"(at least {need} needed){extra}"
        )
    if n2 < need:
        parts.append(
            f"only {n2} {'colleague' if n2 == 1 else 'colleagues'} in the same role who had not "
            f"completed it {'has' if n2 == 1 else 'have'} {q.metric.name} values in the same "
            f"windows (at least {need} needed)"
        )
    return f"Not enough people to conclude about {q.subject}: " + "; and ".join(parts) + "."


# --- stored reports -----------------------------------------------------------------------


def run(
    registration_id: int, q: Question, role_holders: list[int], by: str, today: date | None = None
) -> ImpactReport:
    row = ImpactReport(
        registration_id=registration_id,
        path_id=q.path.id,
        step_key=q.step_key,
        metric_id=q.metric.id,
        role_id=q.role.id if q.role else None,
        window_days=q.window_days,
        min_group=q.min_group,
        result=compute(q, role_holders, today),
        ran_by=by[:255],
    )
    db.session.add(row)
    db.session.flush()
    return row


def report(pk: int) -> ImpactReport | None:
    return db.session.get(ImpactReport, pk)


def reports(page: int = 1, per_page: int = 20) -> tuple[list[ImpactReport], bool]:
    rows = list(
        db.session.scalars(
            select(ImpactReport)
            .order_by(ImpactReport.ran_at.desc(), ImpactReport.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    return rows[:per_page], len(rows) > per_page


def latest_reports(limit: int = 8) -> list[ImpactReport]:
    """The newest report of each question, newest first (the dashboard's impact chart)."""
    seen: set[tuple[Any, ...]] = set()
    found = []
    for row in db.session.scalars(
        select(ImpactReport).order_by(ImpactReport.ran_at.desc(), ImpactReport.id.desc()).limit(200)
    ):
        key = (row.path_id, row.step_key, row.metric_id, row.role_id, row.window_days)
        if key in seen:
            continue
        seen.add(key)
        found.append(row)
        if len(found) >= limit:
            break
    return found


def delete(row: ImpactReport) -> None:
    db.session.delete(row)
    db.session.flush()
