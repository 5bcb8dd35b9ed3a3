"""Launch diagnostics for an administrator: the recent failed launches of their registration, a
count per cause, and for each failure the likely cause in plain words and what to do.

The words come from lti_tool.errors.PROBLEMS (the same ones the person who hit the problem saw);
this module only adds what a log can tell that a single page cannot: the clock difference behind
an expired token, and whether an unknown deployment is still waiting for approval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from lti_tool.admin import services
from lti_tool.errors import PROBLEMS
from lti_tool.extensions import db
from lti_tool.i18n import _, ngettext
from lti_tool.lti.models import Deployment, DeploymentStatus, LaunchEvent, utcnow

PAGE_SIZE = 20
# Written by lti_tool.lti.launch for token_expired / token_not_yet_valid.
_CLOCK = re.compile(r"iat (-?\d+), exp (-?\d+); Wayfinder's clock (-?\d+)")


@dataclass(frozen=True)
class Explanation:
    title: str  # the likely cause, in plain words
    what_happened: str
    what_to_do: str
    skew_seconds: int | None = None
    skew_words: str = ""


@dataclass(frozen=True)
class FailureRow:
    event: LaunchEvent
    explanation: Explanation
    pending_deployment: Deployment | None  # for unknown_deployment still waiting: approve it


@dataclass(frozen=True)
class FailurePage:
    rows: list[FailureRow]
    page: int
    pages: int
    total: int
    cause: str


@dataclass(frozen=True)
class CauseCount:
    code: str
    title: str
    last_day: int
    last_week: int


def clock_skew(code: str, detail: str) -> tuple[int | None, str]:
    """Seconds of clock difference read from a token_expired / token_not_yet_valid detail."""
    match = _CLOCK.search(detail or "")
    if not match or code not in ("token_expired", "token_not_yet_valid"):
        return None, ""
    iat, exp, now = (int(g) for g in match.groups())
    if code == "token_not_yet_valid":
        ahead = iat - now
        return ahead, ngettext(
            "The token was issued %(num)s second in Wayfinder's future: the LMS server's clock is "
            "about %(num)s second ahead of Wayfinder's.",
            "The token was issued %(num)s seconds in Wayfinder's future: the LMS server's clock "
            "is about %(num)s seconds ahead of Wayfinder's.",
            ahead,
        )
    late = now - exp
    return late, ngettext(
        "The token reached Wayfinder %(num)s second after it expired (it was valid for "
        "%(valid)d seconds): the LMS server's clock is about %(num)s second behind Wayfinder's, "
        "or the browser took that long to post it.",
        "The token reached Wayfinder %(num)s seconds after it expired (it was valid for "
        "%(valid)d seconds): the LMS server's clock is about %(num)s seconds behind "
        "Wayfinder's, or the browser took that long to post it.",
        late,
        valid=exp - iat,
    )


def explain(
    code: str, detail: str = "", deployment_status: DeploymentStatus | None = None
) -> Explanation:
    problem = PROBLEMS.get(code)
    if problem is None:
        return Explanation(
            _("Unrecognised problem (%(code)s)", code=code)
            if code
            else _("Unrecognised problem (no code)"),
            _("Wayfinder recorded a failure it has no description for."),
            _("Look at the detail, and at Wayfinder's server log around that time."),
        )
    what_to_do = problem.admin_fix
    if code == "unknown_deployment":
        what_to_do = {
            DeploymentStatus.PENDING: " ".join(
                (
                    _(
                        "If this deployment is yours, approve it with the button below; launches "
                        "from it work as soon as it is approved."
                    ),
                    _("If you do not recognise it, leave it waiting."),
                )
            ),
            DeploymentStatus.ACTIVE: _("It has been approved since: nothing left to do."),
            DeploymentStatus.DISABLED: _(
                "It has been disabled since; approve it from the Deployments page if that was "
                "a mistake."
            ),
        }.get(deployment_status, what_to_do)  # type: ignore[arg-type]
    skew, words = clock_skew(code, detail)
    return Explanation(problem.title, problem.explanation, what_to_do, skew, words)


def known_causes() -> dict[str, str]:
    return {code: problem.title for code, problem in PROBLEMS.items()}


def failures(registration_id: int, *, cause: str = "", page: int = 1) -> FailurePage:
    """One page of the registration's failed launches, newest first, optionally of one cause."""
    where = [LaunchEvent.registration_id == registration_id, LaunchEvent.ok.is_(False)]
    if cause:
        where.append(LaunchEvent.code == cause)
    total = db.session.scalar(select(func.count()).select_from(LaunchEvent).where(*where)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    events = list(
        db.session.scalars(
            select(LaunchEvent)
            .where(*where)
            .order_by(LaunchEvent.created_at.desc(), LaunchEvent.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    named = {e.deployment_id for e in events if e.code == "unknown_deployment"}
    known = {
        d.deployment_id: d
        for d in services.deployments(registration_id)
        if d.deployment_id in named
    }
    rows = []
    for event in events:
        dep = known.get(event.deployment_id) if event.code == "unknown_deployment" else None
        rows.append(
            FailureRow(
                event,
                explain(event.code, event.detail, dep.status if dep else None),
                dep if dep is not None and dep.status is DeploymentStatus.PENDING else None,
            )
        )
    return FailurePage(rows, page, pages, total, cause)


def summary(registration_id: int, now: datetime | None = None) -> list[CauseCount]:
    """Failures per cause over the last 24 hours and 7 days, most frequent first."""
    now = now or utcnow()
    day, week = now - timedelta(days=1), now - timedelta(days=7)
    rows = db.session.execute(
        select(
            LaunchEvent.code,
            func.count().filter(LaunchEvent.created_at >= day),
            func.count(),
        )
        .where(
            LaunchEvent.registration_id == registration_id,
            LaunchEvent.ok.is_(False),
            LaunchEvent.created_at >= week,
        )
        .group_by(LaunchEvent.code)
    )
    counts = [
        CauseCount(code, explain(code).title, int(last_day or 0), int(last_week or 0))
        for code, last_day, last_week in rows
    ]
    counts.sort(key=lambda c: (-c.last_week, -c.last_day, c.code))
    return counts


def pending_count(registration_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Deployment)
            .where(
                Deployment.registration_id == registration_id,
                Deployment.status == DeploymentStatus.PENDING,
            )
        )
        or 0
    )
