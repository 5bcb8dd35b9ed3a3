"""What leaders see of their teams beyond paths, in a fixed number of statements.

Team signals (``team_signals``): one statement with a row per team and correlated
subqueries per figure: enrolment requests waiting, coaching sessions given by the team's
members and its leader in the last ``LEADER_COACHING_DAYS``, the team's open path assignments
and its latest learning activity (for the stall nudge), and the leader's dismissal. A second
statement loads the latest few coaching sessions, only when there are any. The team page
adds these two to ``paths.team.team_view``; the home page runs the first one for every team
the person leads.

Stalled: the team has open path assignments (active, not completed), and nobody in it
started or completed anything (a path, a step, a plan course) for ``LEADER_STALL_DAYS``,
counted from the latest activity or, when nothing happened yet, from the oldest open
assignment (a team assigned yesterday has not stalled).

Scorecard (``scorecard``): one row per team lead under an operations manager (a person who
leads a team whose members lead teams; administrators see every lead), over 30 or 90 days.
Six statements, whatever the number of leads: the leads with their team sizes; grouped by
lead, coaching sessions they gave (both signed off), enrolment requests they decided and
approved, tips they verified, and their teams' learning hours (the minutes recorded on
"completed" learning events, which are the path steps' estimated minutes: as the Learning
dashboards); and the team signals statement above, to mark the teams that stalled.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import DateTime, Integer, Select, bindparam, case, func, literal, or_, select
from sqlalchemy.orm import aliased, joinedload

from lti_tool.catalog.models import EnrolmentRequest, PlanItem
from lti_tool.catalog.models import RequestStatus as EnrolmentStatus
from lti_tool.coaching.models import CoachingSession, SessionStatus
from lti_tool.community.models import Kind, Post
from lti_tool.extensions import db
from lti_tool.insights.dashboard import Table
from lti_tool.insights.models import LearningEvent, Verb
from lti_tool.leaders.models import NudgeDismissal
from lti_tool.lti.models import utcnow
from lti_tool.numbers import as_id
from lti_tool.paths.models import Assignment, AssignmentStatus
from lti_tool.people.models import Person
from lti_tool.roles.models import Team, TeamMember

RECENT_COACHING = 5
PERIODS = (30, 90)
SCORECARD_PAGE_SIZE = 25
SORTS = ("name", "members", "coaching", "approved", "verified", "hours")


def _setting(name: str, default: int) -> int:
    try:
        return int(current_app.config.get(name, default))
    except (TypeError, ValueError):
        return default


def stall_days() -> int:
    return _setting("LEADER_STALL_DAYS", 14)


def snooze_days() -> int:
    return _setting("LEADER_NUDGE_SNOOZE_DAYS", 7)


def coaching_days() -> int:
    return _setting("LEADER_COACHING_DAYS", 30)


# --- the team page and the home page --------------------------------------------------------


@dataclass
class TeamSignals:
    team_id: int
    team_name: str
    pending_enrolments: int
    coaching_given: int
    coaching_by_leader: int
    open_assignments: int
    last_activity: datetime | None
    stalled: bool
    dismissed_until: datetime | None
    now: datetime
    recent_coaching: list[CoachingSession] = field(default_factory=list)

    @property
    def show_nudge(self) -> bool:
        return self.stalled and (self.dismissed_until is None or self.dismissed_until <= self.now)

    @property
    def quiet_days(self) -> int | None:
        """Days since the last learning activity (None: none recorded)."""
        return (self.now - self.last_activity).days if self.last_activity else None


def _latest(*moments: datetime | None) -> datetime | None:
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def _over_members(value: Any, entity: Any, person: Any, *where: Any) -> Any:
    """One figure over the outer row's team members (not its leader), as a scalar subquery
    driven by team_members (its team index), then the figure's table by person: both
    planners then walk a few index entries per team instead of the figure's whole table."""
    return (
        select(value)
        .select_from(TeamMember)
        .join(entity, person == TeamMember.person_id)
        .where(
            TeamMember.team_id == Team.id,
            TeamMember.person_id != func.coalesce(Team.leader_id, 0),
            *where,
        )
        .correlate(Team)
        .scalar_subquery()
    )


# Which teams a signals statement covers: one team (its page), the teams one person leads
# (their home page), or the teams of several leads (the scorecard).
BY_TEAM, BY_LEADER, BY_LEADERS = "team", "leader", "leaders"


@functools.cache
def _signals_statement(scope: str, pending: bool) -> Select[Any]:
    """Built once per process (a dozen subqueries take longer to build than to run); the
    team or leader, the viewer and the coaching window are bound parameters, and the tenant's
    criteria are added at each execution (lti_tool.tenancy)."""
    since = bindparam("since", type_=DateTime())
    given = (
        CoachingSession.status == SessionStatus.COMPLETED.value,
        CoachingSession.completed_at >= since,
    )
    open_now = (
        Assignment.status == AssignmentStatus.ACTIVE.value,
        Assignment.completed_at.is_(None),
    )
    zero = literal(0)  # a figure the home page does not need
    columns: list[Any] = [
        Team.id,
        Team.name,
        _over_members(
            func.count(),
            EnrolmentRequest,
            EnrolmentRequest.person_id,
            EnrolmentRequest.status == EnrolmentStatus.PENDING.value,
        )
        if pending
        else zero,
        _over_members(func.count(), CoachingSession, CoachingSession.coach_id, *given)
        if pending
        else zero,
        select(func.count())
        .select_from(CoachingSession)
        .where(*given, CoachingSession.coach_id == Team.leader_id)
        .correlate(Team)
        .scalar_subquery()
        if pending
        else zero,
        _over_members(func.count(), Assignment, Assignment.person_id, *open_now),
        _over_members(
            func.min(Assignment.assigned_at), Assignment, Assignment.person_id, *open_now
        ),
        _over_members(func.max(Assignment.started_at), Assignment, Assignment.person_id),
        _over_members(
            func.max(LearningEvent.occurred_at),
            LearningEvent,
            LearningEvent.person_id,
            LearningEvent.verb.in_((Verb.STARTED.value, Verb.COMPLETED.value)),
        ),
        _over_members(func.max(PlanItem.completed_at), PlanItem, PlanItem.person_id),
        _over_members(func.max(PlanItem.enrolled_at), PlanItem, PlanItem.person_id),
        select(NudgeDismissal.until)
        .where(
            NudgeDismissal.team_id == Team.id,
            NudgeDismissal.person_id == bindparam("viewer", type_=Integer()),
        )
        .correlate(Team)
        .scalar_subquery(),
    ]
    which = {
        BY_TEAM: Team.id == bindparam("key", type_=Integer()),
        BY_LEADER: Team.leader_id == bindparam("key", type_=Integer()),
        BY_LEADERS: Team.leader_id.in_(bindparam("key", expanding=True)),
    }[scope]
    return select(*columns).where(which).order_by(Team.name, Team.id)


def _signals(
    scope: str, key: int | list[int], viewer_id: int, now: datetime, *, pending: bool
) -> list[TeamSignals]:
    quiet = timedelta(days=stall_days())
    found = []
    for row in db.session.execute(
        _signals_statement(scope, pending),
        {"key": key, "viewer": viewer_id, "since": now - timedelta(days=coaching_days())},
    ):
        (tid, name, waiting, by_members, by_leader, open_count, oldest_open) = row[:7]
        started, event, plan_done, plan_enrolled, until = row[7:]
        last = _latest(started, event, plan_done, plan_enrolled)
        since_when = _latest(last, oldest_open)
        stalled = bool(open_count) and since_when is not None and now - since_when >= quiet
        found.append(
            TeamSignals(
                team_id=tid,
                team_name=name,
                pending_enrolments=waiting or 0,
                coaching_given=(by_members or 0) + (by_leader or 0),
                coaching_by_leader=by_leader or 0,
                open_assignments=open_count or 0,
                last_activity=last,
                stalled=stalled,
                dismissed_until=until,
                now=now,
            )
        )
    return found


def team_signals(t: Team, viewer_id: int, now: datetime | None = None) -> TeamSignals:
    """What the team page adds to paths.team.team_view: two statements at most."""
    now = now or utcnow()
    signals = _signals(BY_TEAM, t.id, viewer_id, now, pending=True)[0]
    if signals.coaching_given:
        coach_ids = select(TeamMember.person_id).where(TeamMember.team_id == t.id)
        signals.recent_coaching = list(
            db.session.scalars(
                select(CoachingSession)
                .options(joinedload(CoachingSession.coach), joinedload(CoachingSession.learner))
                .where(
                    CoachingSession.status == SessionStatus.COMPLETED.value,
                    CoachingSession.completed_at >= now - timedelta(days=coaching_days()),
                    or_(
                        CoachingSession.coach_id.in_(coach_ids),
                        CoachingSession.coach_id == (t.leader_id or 0),
                    ),
                )
                .order_by(CoachingSession.completed_at.desc(), CoachingSession.id.desc())
                .limit(RECENT_COACHING)
            ).unique()
        )
    return signals


def nudges_for(person_id: int, now: datetime | None = None) -> list[TeamSignals]:
    """The stalled, not dismissed teams this person leads (the home page): one statement."""
    now = now or utcnow()
    return [
        s for s in _signals(BY_LEADER, person_id, person_id, now, pending=False) if s.show_nudge
    ]


def dismiss_nudge(
    registration_id: int, t: Team, person_id: int, now: datetime | None = None
) -> datetime:
    """Hide the nudge for this team from this leader for a week; returns until when."""
    now = now or utcnow()
    until = now + timedelta(days=snooze_days())
    row = db.session.scalar(
        select(NudgeDismissal).where(
            NudgeDismissal.team_id == t.id, NudgeDismissal.person_id == person_id
        )
    )
    if row is None:
        row = NudgeDismissal(registration_id=registration_id, team_id=t.id, person_id=person_id)
        db.session.add(row)
    row.until, row.dismissed_at = until, now
    db.session.flush()
    return until


# --- the scorecard --------------------------------------------------------------------------


def leads_leaders(person_id: int) -> bool:
    """True when a member of a team this person leads leads a team of their own."""
    mine = aliased(Team)
    return (
        db.session.scalar(
            select(Team.id)
            .join(TeamMember, TeamMember.person_id == Team.leader_id)
            .join(mine, mine.id == TeamMember.team_id)
            .where(mine.leader_id == person_id, Team.leader_id != person_id)
            .limit(1)
        )
        is not None
    )


def may_see_scorecard(person_id: int, is_administrator: bool) -> bool:
    return is_administrator or leads_leaders(person_id)


@dataclass
class LeadRow:
    person: Person
    teams: list[str] = field(default_factory=list)
    members: int = 0
    coaching: int = 0
    approved: int = 0
    decided: int = 0
    verified: int = 0
    minutes: int = 0
    stalled: list[str] = field(default_factory=list)  # their teams whose learning stalled

    @property
    def hours(self) -> float:
        return round(self.minutes / 60.0, 1)

    def key(self, sort: str) -> Any:
        if sort == "name":
            return self.person.display_name.lower()
        return getattr(self, "minutes" if sort == "hours" else sort)


@dataclass
class Scorecard:
    rows: list[LeadRow]
    total: int
    page: int
    pages: int
    period: int
    sort: str
    descending: bool
    since: datetime
    everyone: bool  # an administrator: every lead of the tenant
    all_rows: list[LeadRow] = field(default_factory=list, repr=False)


def _lead_ids(viewer_id: int, everyone: bool) -> Select[Any]:
    """The people whose teams the scorecard lists, as a subquery."""
    if everyone:
        return select(Team.leader_id).where(Team.leader_id.is_not(None))
    mine = aliased(Team)
    return (
        select(TeamMember.person_id)
        .join(mine, mine.id == TeamMember.team_id)
        .where(mine.leader_id == viewer_id, TeamMember.person_id != viewer_id)
    )


def parse_period(raw: str | None) -> int:
    found = as_id(raw)
    return found if found is not None and found in PERIODS else PERIODS[0]


def scorecard(
    viewer_id: int,
    everyone: bool,
    *,
    period: int = 30,
    sort: str = "name",
    descending: bool = False,
    page: int = 1,
    now: datetime | None = None,
) -> Scorecard:
    now = now or utcnow()
    period = period if period in PERIODS else PERIODS[0]
    sort = sort if sort in SORTS else "name"
    since = now - timedelta(days=period)
    leads = _lead_ids(viewer_id, everyone)
    size = (
        select(func.count())
        .select_from(TeamMember)
        .where(TeamMember.team_id == Team.id, TeamMember.person_id != Team.leader_id)
        .scalar_subquery()
    )
    rows: dict[int, LeadRow] = {}
    team_leaders: list[tuple[int, int]] = []
    for person, team_id, team_name, members in db.session.execute(
        select(Person, Team.id, Team.name, size)
        .join(Team, Team.leader_id == Person.id)
        .where(Person.id.in_(leads))
        .order_by(Team.name, Team.id)
    ):
        row = rows.setdefault(person.id, LeadRow(person))
        team_leaders.append((team_id, person.id))
        row.teams.append(team_name)
        row.members += members or 0
    if rows:
        for coach_id, count in db.session.execute(
            select(CoachingSession.coach_id, func.count())
            .where(
                CoachingSession.coach_id.in_(leads),
                CoachingSession.status == SessionStatus.COMPLETED.value,
                CoachingSession.completed_at >= since,
            )
            .group_by(CoachingSession.coach_id)
        ):
            if (lead := rows.get(coach_id)) is not None:
                lead.coaching = count
        approved = EnrolmentRequest.status == EnrolmentStatus.APPROVED.value
        for decider_id, yes, decided in db.session.execute(
            select(
                EnrolmentRequest.decided_by_person_id,
                func.sum(case((approved, 1), else_=0)),
                func.count(),
            )
            .where(
                EnrolmentRequest.decided_by_person_id.in_(leads),
                EnrolmentRequest.status.in_(
                    (EnrolmentStatus.APPROVED.value, EnrolmentStatus.DECLINED.value)
                ),
                EnrolmentRequest.decided_at >= since,
            )
            .group_by(EnrolmentRequest.decided_by_person_id)
        ):
            if (lead := rows.get(decider_id or 0)) is not None:
                lead.approved, lead.decided = int(yes or 0), decided
        for verifier_id, count in db.session.execute(
            select(Post.verified_by_id, func.count())
            .where(
                Post.verified_by_id.in_(leads),
                Post.kind == Kind.TIP.value,
                Post.verified_at >= since,
            )
            .group_by(Post.verified_by_id)
        ):
            if (lead := rows.get(verifier_id or 0)) is not None:
                lead.verified = count
        for leader_id, minutes in db.session.execute(
            select(Team.leader_id, func.sum(LearningEvent.minutes))
            .join(TeamMember, TeamMember.person_id == LearningEvent.person_id)
            .join(Team, Team.id == TeamMember.team_id)
            .where(
                Team.leader_id.in_(leads),
                LearningEvent.person_id != Team.leader_id,
                LearningEvent.verb == Verb.COMPLETED.value,
                LearningEvent.occurred_at >= since,
                LearningEvent.occurred_at <= now,
            )
            .group_by(Team.leader_id)
        ):
            if (lead := rows.get(leader_id or 0)) is not None:
                lead.minutes = int(minutes or 0)
        leader_of = {tid: lid for tid, lid in team_leaders}
        for signal in _signals(BY_LEADERS, list(rows), viewer_id, now, pending=False):
            if signal.stalled and (lead := rows.get(leader_of[signal.team_id])) is not None:
                lead.stalled.append(signal.team_name)
    ordered = sorted(rows.values(), key=lambda r: r.person.display_name.lower())
    ordered.sort(key=lambda r: r.key(sort), reverse=descending)
    pages = max(1, -(-len(ordered) // SCORECARD_PAGE_SIZE))
    page = min(max(1, page), pages)
    start = (page - 1) * SCORECARD_PAGE_SIZE
    return Scorecard(
        rows=ordered[start : start + SCORECARD_PAGE_SIZE],
        total=len(ordered),
        page=page,
        pages=pages,
        period=period,
        sort=sort,
        descending=descending,
        since=since,
        everyone=everyone,
        all_rows=ordered,
    )


CSV_COLUMNS = [
    "Team lead",
    "Teams",
    "Team members",
    "Coaching sessions given",
    "Plans approved",
    "Enrolment requests decided",
    "Tips verified",
    "Team learning hours",
]


def scorecard_csv(card: Scorecard) -> str:
    """Every row (not only the page), with cells safe from spreadsheet formulas."""
    table = Table(
        "leader-scorecard",
        f"Leader scorecard, last {card.period} days",
        CSV_COLUMNS,
        [
            [
                r.person.display_name,
                "; ".join(r.teams),
                r.members,
                r.coaching,
                r.approved,
                r.decided,
                r.verified,
                float(r.hours),
            ]
            for r in card.all_rows
        ],
        numeric_from=2,
    )
    return table.csv()
