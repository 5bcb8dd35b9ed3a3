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

from flask_babel import force_locale
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.i18n import _, _l, ngettext, number, with_percent_sign
from lti_tool.insights import stats
from lti_tool.insights.kpi import in_page_language
from lti_tool.insights.models import ImpactReport, KpiMetric, KpiValue, LearningEvent, Verb
from lti_tool.lti.models import utcnow
from lti_tool.paths.models import Path, PathNode, PathVersion
from lti_tool.roles.models import JobRole

WINDOWS = (14, 28, 60, 90)
MAX_DATES = 40  # more distinct completion dates than this: comparison windows by week
CHUNK = 5000

CAVEAT = _l(
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
    def step_title(self) -> str:
        return step_title(self.path, self.step_key) if self.step_key else ""

    @property
    def subject(self) -> str:
        return subject_of({"path_title": self.path.title, "step_title": self.step_title})


def subject_of(r: dict[str, Any]) -> str:
    """What the report is about, in the page's language ("the step “X” of “Y”"). Reports run
    before titles were stored apart keep their stored (English) subject."""
    if "path_title" not in r:
        return str(r.get("subject", ""))
    if not r.get("step_title"):
        return f"“{r['path_title']}”"
    return _("the step “%(step)s” of “%(path)s”", step=r["step_title"], path=r["path_title"])


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
        days = [d for d, _v in points]
        sums = [0.0]
        for _d, v in points:
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
        "path_title": q.path.title,
        "step_title": q.step_title,
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
        return _worded(result)
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
    return _worded(result)


def _worded(result: dict[str, Any]) -> dict[str, Any]:
    """The stored words are English (for the CSV and the record); a page words the report
    again in its reader's language (``localized``)."""
    with force_locale("en"):
        result.update(subject=subject_of(result), sentence=sentence_of(result), caveat=str(CAVEAT))
    return result


def localized(result: dict[str, Any]) -> dict[str, Any]:
    """A stored report's result worded in the page's language, with its p-value as text."""
    words = dict(result)
    if "path_title" in result:
        words.update(subject=subject_of(result), sentence=sentence_of(result))
    words["caveat"] = str(CAVEAT)
    p = result.get("p_value")
    if p is not None:
        words["p_text"] = f"p < {number(0.001, 3)}" if p < 0.001 else f"p = {number(p, 3)}"
    return words


def sentence_of(r: dict[str, Any]) -> str:
    """The report in one sentence (or why it refuses to conclude)."""
    return _sentence(r) if r.get("status") == "ok" else _refusal(r)


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "\u2013"
    digits = 0 if abs(value) >= 100 else 1
    text = number(value, digits)
    if not any(c in "123456789" for c in text):  # rounded to zero: no sign
        text = text.lstrip("-")
    text = text.replace("-", "\u2212")
    if not unit:
        return text
    return with_percent_sign(text) if unit == "%" else f"{text} {in_page_language(unit)}"


def _sentence(r: dict[str, Any]) -> str:
    name, unit = r["metric"], r.get("unit", "")
    size = fmt(abs(r["improvement"]))
    if unit == "%":
        amount = _("%(size)s percentage points", size=size)
    else:
        amount = f"{size} {in_page_language(unit)}" if unit else size
    kpi = name if r.get("higher_is_better", True) else _("%(kpi)s (lower is better)", kpi=name)
    words = {
        "subject": subject_of(r),
        "kpi": kpi,
        "amount": amount,
        "role": f" ({r['role']})" if r.get("role") else "",
        "tail": _(
            "(95%% CI %(low)s to %(high)s; %(treated)d vs %(control)d people)",
            low=fmt(r["improvement_low"]),
            high=fmt(r["improvement_high"]),
            treated=r["n_treated"],
            control=r["n_control"],
        ),
    }
    if r["conclusive"] and r["improvement"] > 0:
        return _(
            "People who completed %(subject)s improved %(kpi)s by %(amount)s more than "
            "colleagues in the same role%(role)s who had not %(tail)s.",
            **words,
        )
    if r["conclusive"]:
        return _(
            "People who completed %(subject)s did worse on %(kpi)s: %(amount)s less improvement "
            "than colleagues in the same role%(role)s who had not %(tail)s.",
            **words,
        )
    return _(
        "No clear difference: the change in %(kpi)s of people who completed %(subject)s was "
        "within chance of that of colleagues in the same role%(role)s who had not %(tail)s. The "
        "interval includes zero, so the report does not claim an effect.",
        **words,
    )


def _refusal(r: dict[str, Any]) -> str:
    need, name = r["min_group"], r["metric"]
    n1, n2 = r.get("n_treated", 0), r.get("n_control", 0)
    parts = []
    if n1 < need:
        why = []
        if r["too_recent"]:
            why.append(
                ngettext(
                    "%(num)s completed it less than %(days)d days ago (their after-window is "
                    "not over)",
                    "%(num)s completed it less than %(days)d days ago (their after-window is "
                    "not over)",
                    r["too_recent"],
                    days=r["window_days"],
                )
            )
        missing = r["completed_in_role"] - r["too_recent"] - n1
        if missing > 0:
            why.append(
                ngettext(
                    "%(num)s has no %(kpi)s values before and after",
                    "%(num)s have no %(kpi)s values before and after",
                    missing,
                    kpi=name,
                )
            )
        extra = f": {'; '.join(why)}" if why else ""
        parts.append(
            ngettext(
                "only %(num)s person who completed it can be compared (at least %(need)d "
                "needed)%(why)s",
                "only %(num)s people who completed it can be compared (at least %(need)d "
                "needed)%(why)s",
                n1,
                need=need,
                why=extra,
            )
        )
    if n2 < need:
        parts.append(
            ngettext(
                "only %(num)s colleague in the same role who had not completed it has %(kpi)s "
                "values in the same windows (at least %(need)d needed)",
                "only %(num)s colleagues in the same role who had not completed it have %(kpi)s "
                "values in the same windows (at least %(need)d needed)",
                n2,
                kpi=name,
                need=need,
            )
        )
    reasons = (
        parts[0]
        if len(parts) == 1
        else _("%(first)s; and %(second)s", first=parts[0], second=parts[1])
    )
    return _(
        "Not enough people to conclude about %(subject)s: %(reasons)s.",
        subject=subject_of(r),
        reasons=reasons,
    )


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
