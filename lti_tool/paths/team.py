"""What a team leader sees of their team: progress by person and by path, overdue steps, what
waits for their decision, and their own learning (which their team may see).

Who sees whose learning (``may_view_learning``): everyone their own; instructors and
administrators anyone; a team leader the members of the teams they lead; a team member their
own team leader's paths, unless the leader turned sharing off. Never another tenant's: every
query runs in the launch's tenant scope.

``team_view`` loads a whole team in a fixed number of queries (under twenty, whatever the
team's or the tenant's size): members, their roles, their assignments and the trees and
progress behind them as plain rows (paths/rows.py: a team of 25 means 125 paths to evaluate),
waiting sign-offs and role-change requests, the leader's own learning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.lti.models import utcnow
from lti_tool.paths import personal, rules, services
from lti_tool.paths import rows as tree
from lti_tool.paths.models import Assignment, AssignmentStatus, Path
from lti_tool.people.models import Person
from lti_tool.roles import services as roles
from lti_tool.roles.models import RequestStatus, RoleChangeRequest, Team, TeamMember

PAGE_SIZE = 50


def may_view_learning(viewer: services.Actor, person_id: int) -> bool:
    if services.may_view_person(viewer, person_id):
        return True
    if viewer.person_id is None:
        return False
    leader = roles.team_leader_of(viewer.person_id)
    return leader is not None and leader.id == person_id and personal.shares_with_team(person_id)


def may_view_team(viewer: services.Actor, t: Team) -> bool:
    return viewer.is_staff or (viewer.person_id is not None and t.leader_id == viewer.person_id)


def teams_for(viewer: services.Actor) -> list[Team]:
    """The teams this person leads; instructors and administrators see every team."""
    if viewer.is_staff:
        return roles.teams()
    return roles.teams_led_by(viewer.person_id or 0)


@dataclass
class PathLine:
    assignment_id: int
    title: str
    percent: int
    overdue: int
    done: bool


@dataclass
class MemberRow:
    person: Person
    role_name: str
    paths: list[PathLine] = field(default_factory=list)
    overdue: int = 0
    waiting_signoffs: int = 0

    @property
    def percent(self) -> int | None:
        if not self.paths:
            return None
        return round(sum(p.percent for p in self.paths) / len(self.paths))


@dataclass
class PathSummary:
    path_id: int
    title: str
    people: int = 0
    completed: int = 0
    percent_total: int = 0
    overdue_people: int = 0

    @property
    def percent(self) -> int:
        return round(self.percent_total / self.people) if self.people else 0


@dataclass
class TeamView:
    team: Team
    members: list[MemberRow]
    total_members: int
    page: int
    pages: int
    by_path: list[PathSummary]
    waiting_signoffs: int
    waiting_requests: int
    overdue_people: int
    leader: Person | None
    leader_learning: list[PathLine]
    leader_shares: bool


def team_view(t: Team, page: int = 1, now: datetime | None = None) -> TeamView:
    now = now or utcnow()
    people = list(
        db.session.scalars(
            select(Person)
            .join(TeamMember, TeamMember.person_id == Person.id)
            .where(TeamMember.team_id == t.id, Person.id != (t.leader_id or 0))
            .order_by(Person.name, Person.id)
        )
    )
    ids = [p.id for p in people]
    held = roles.effective_for(ids)
    assignments = (
        list(
            db.session.execute(
                select(
                    Assignment.id,
                    Assignment.person_id,
                    Assignment.path_id,
                    Assignment.version_id,
                    Assignment.assigned_at,
                )
                .where(
                    Assignment.person_id.in_([*ids, *([t.leader_id] if t.leader_id else [])]),
                    Assignment.status == AssignmentStatus.ACTIVE.value,
                )
                .order_by(Assignment.assigned_at, Assignment.id)
            )
        )
        if ids or t.leader_id
        else []
    )
    rows = {p.id: MemberRow(p, held[p.id].role_name if p.id in held else "") for p in people}
    by_path: dict[int, PathSummary] = {}
    titles = (
        dict(
            db.session.execute(
                select(Path.id, Path.title).where(Path.id.in_({a.path_id for a in assignments}))
            ).all()
        )
        if assignments
        else {}
    )
    # Each version compiled once per process (published versions never change); people at the
    # same point of the same version (often: not started, or done) share one tally.
    compiled = tree.compiled(tree.versions(a.version_id for a in assignments))
    done_keys = tree.done_keys(a.id for a in assignments)
    pending = tree.pending_signoffs(a.id for a in assignments)
    leader_lines: list[PathLine] = []
    evaluated: dict[tuple[int, frozenset[str]], tuple[int, bool]] = {}
    nothing: frozenset[str] = frozenset()
    for a in assignments:
        mine = done_keys.get(a.id, nothing)
        version = compiled[a.version_id]
        key = (a.version_id, mine)
        if key not in evaluated:
            evaluated[key] = rules.tally(version.tally, mine)
        percent, done = evaluated[key]
        age = now - a.assigned_at
        overdue = 0
        for days, step_key in version.dated:  # soonest first
            if days >= age:
                break
            if step_key not in mine:
                overdue += 1
        line = PathLine(a.id, titles[a.path_id], percent, overdue, done)
        if a.person_id not in rows:
            leader_lines.append(line)  # the leader's own learning, not a member's
            continue
        row = rows[a.person_id]
        row.paths.append(line)
        row.overdue += overdue
        row.waiting_signoffs += pending.get(a.id, 0)
        summary = by_path.setdefault(a.path_id, PathSummary(a.path_id, titles[a.path_id]))
        summary.people += 1
        summary.completed += 1 if done else 0
        summary.percent_total += percent
        summary.overdue_people += 1 if overdue else 0
    waiting_requests = (
        db.session.scalar(
            select(func.count())
            .select_from(RoleChangeRequest)
            .where(
                RoleChangeRequest.person_id.in_(ids),
                RoleChangeRequest.status == RequestStatus.PENDING.value,
            )
        )
        if ids
        else 0
    ) or 0
    members = list(rows.values())
    pages = max(1, -(-len(members) // PAGE_SIZE))
    page = min(max(1, page), pages)
    leader = t.leader
    return TeamView(
        team=t,
        members=members[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        total_members=len(members),
        page=page,
        pages=pages,
        by_path=sorted(by_path.values(), key=lambda s: (s.title.lower(), s.path_id)),
        waiting_signoffs=sum(m.waiting_signoffs for m in members),
        waiting_requests=waiting_requests,
        overdue_people=sum(1 for m in members if m.overdue),
        leader=leader,
        leader_learning=leader_lines,
        leader_shares=personal.shares_with_team(leader.id) if leader else False,
    )


def my_path_extras(
    person_id: int, rows: list[services.Learning], ties: roles.TeamTies | None = None
) -> dict[str, object]:
    """What My path and the home page add for a learner: ranked suggestions with reasons,
    their team leader when the leader shares their own path, and whether the onboarding is
    still open. ``ties``: the person's teams, when the page has read them."""
    me = db.session.get(Person, person_id)
    assert me is not None
    leader = ties.leader if ties is not None else roles.team_leader_of(person_id)
    mine, framework = personal.profile_and_framework(person_id)  # read once for both
    return {
        "suggestions": personal.suggestions(me, rows, profile_row=mine),
        "my_leader": leader if leader and personal.shares_with_team(leader.id) else None,
        "onboarding_open": personal.needs_onboarding(person_id, mine, framework=framework),
    }
