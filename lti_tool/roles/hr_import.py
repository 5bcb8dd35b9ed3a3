"""The HR CSV import: people's job roles, teams and team leaders from the HR system.

Columns (a header row is required; names are case-insensitive, spaces or underscores):
``external_id`` (the LMS user id, LTI ``sub``) and/or ``email`` to find the person, then any of
``job_role``, ``team``, ``leader`` (the team leader's email or external id). An empty cell
changes nothing. plan() reads the whole file and the current state and returns every change and
every bad row (by line number) without writing anything; apply() plans again and, when the plan
is still the one the administrator previewed (same digest) and has no errors, makes all the
changes in the request's one transaction. Running the same file again changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select

from lti_tool import csv_text
from lti_tool.extensions import db
from lti_tool.i18n import _
from lti_tool.i18n_stored import written
from lti_tool.lti.models import utcnow
from lti_tool.people.models import Person
from lti_tool.roles import services, wording
from lti_tool.roles.models import JobRole, PersonRole, Source, Team, TeamMember

MAX_BYTES = 2 * 1024 * 1024
ID_HEADERS = {"external_id", "externalid", "lti_sub", "sub", "user_id", "lms_user_id"}
EMAIL_HEADERS = {"email", "e_mail", "email_address"}
ROLE_HEADERS = {"job_role", "role", "jobrole"}
TEAM_HEADERS = {"team", "team_name"}
LEADER_HEADERS = {"leader", "team_leader", "leader_email", "leader_id"}


@dataclass(frozen=True)
class Change:
    line: int
    kind: str  # "role", "team", "leader", "new_team"
    who: str
    before: str
    after: str
    note: str = ""
    # What apply() needs (ids; names for a new team).
    person_id: int | None = None
    role_id: int | None = None
    team_name: str = ""
    leader_id: int | None = None


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    rows: int = 0

    @property
    def digest(self) -> str:
        text = repr(
            [(c.kind, c.person_id, c.role_id, c.team_name, c.leader_id) for c in self.changes]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def of_kind(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]


def _header(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def read_upload(data: bytes) -> tuple[str, str]:
    """The file's text, or why it cannot be used."""
    if not data.strip():
        return "", " ".join(
            (_("The file is empty."), _("Export the HR list as CSV and choose it again."))
        )
    if len(data) > MAX_BYTES:
        return "", " ".join((_("The file is larger than 2 MB."), _("Split it into several files.")))
    text = csv_text.decode(data)
    if text is None:
        return "", " ".join(
            (
                _("The file is not a CSV text file."),
                _("Export the HR list as CSV and choose it again."),
            )
        )
    return text, ""


class _People:
    """Every person of the tenant, indexed by external id and email, loaded once."""

    def __init__(self) -> None:
        self.by_sub: dict[str, Person] = {}
        self.by_email: dict[str, list[Person]] = {}
        for p in db.session.scalars(select(Person)):
            self.by_sub[p.sub] = p
            if p.email:
                self.by_email.setdefault(p.email.strip().lower(), []).append(p)

    def find(self, external_id: str, email: str) -> tuple[Person | None, str]:
        by_id = self.by_sub.get(external_id) if external_id else None
        if external_id and by_id is None:
            return None, _(
                "no one with external id “%(id)s” has opened Wayfinder in this LMS", id=external_id
            )
        by_mail: Person | None = None
        if email:
            found = self.by_email.get(email.lower(), [])
            if len(found) > 1 and by_id is None:
                return None, _(
                    "%(num)s people have the email %(email)s: give their external id",
                    num=len(found),
                    email=email,
                )
            if not found and by_id is None:
                return None, _(
                    "no one with email %(email)s has opened Wayfinder in this LMS", email=email
                )
            by_mail = found[0] if len(found) == 1 else None
        if by_id is not None and by_mail is not None and by_id.id != by_mail.id:
            return None, _(
                "external id “%(id)s” and email %(email)s are two different people",
                id=external_id,
                email=email,
            )
        chosen = by_id or by_mail
        if chosen is None:
            return None, _("give an external id or an email")
        return chosen, ""


# Shared with the KPI import (lti_tool/insights/kpi.py): people are matched the same way.
PeopleIndex = _People


def plan(text: str) -> Plan:
    result = Plan()
    reader, _separator = csv_text.reader(text)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        result.errors.append((1, _("the file has no header row")))
        return result
    columns = {_header(h): i for i, h in enumerate(header)}

    def col(names: set[str]) -> int | None:
        return next((i for h, i in columns.items() if h in names), None)

    id_col, email_col = col(ID_HEADERS), col(EMAIL_HEADERS)
    role_col, team_col, leader_col = col(ROLE_HEADERS), col(TEAM_HEADERS), col(LEADER_HEADERS)
    if id_col is None and email_col is None:
        result.errors.append(
            (1, _("the header needs an external_id or an email column to find people"))
        )
    if role_col is None and team_col is None and leader_col is None:
        result.errors.append((1, _("the header needs a job_role, team or leader column")))
    if result.errors:
        return result

    people = _People()
    lookup = services.role_lookup()
    hr_roles = {
        a.person_id: a
        for a in db.session.scalars(
            select(PersonRole).where(
                PersonRole.source == Source.HR_CSV.value, PersonRole.ended_at.is_(None)
            )
        )
    }
    effective = services.effective_for(p.id for p in people.by_sub.values())
    teams = {t.name.lower(): t for t in db.session.scalars(select(Team))}
    membership = {m.person_id: m.team_id for m in db.session.scalars(select(TeamMember))}
    team_names = {t.id: t.name for t in teams.values()}
    seen_people: dict[int, int] = {}
    new_teams: dict[str, int] = {}
    leaders: dict[str, tuple[int, int]] = {}  # team (lower) -> (leader id, line)

    def cell(row: list[str], index: int | None) -> str:
        return " ".join(row[index].split()) if index is not None and index < len(row) else ""

    try:
        for row in reader:
            line = reader.line_num
            if not any(c.strip() for c in row):
                continue
            result.rows += 1
            who, why = people.find(cell(row, id_col), cell(row, email_col))
            if who is None:
                result.errors.append((line, why))
                continue
            if who.id in seen_people:
                result.errors.append(
                    (
                        line,
                        _(
                            "%(person)s is already on line %(line)d",
                            person=who.display_name,
                            line=seen_people[who.id],
                        ),
                    )
                )
                continue
            seen_people[who.id] = line
            role_value, team_value, leader_value = (
                cell(row, role_col),
                cell(row, team_col),
                cell(row, leader_col),
            )
            wanted: JobRole | None = None
            if role_value:
                wanted = lookup.get(services.normalize(role_value))
                if wanted is None:
                    result.errors.append(
                        (
                            line,
                            _(
                                "no job role is called “%(value)s”: add it, or add it as another "
                                "name of a role, on the Job roles page",
                                value=role_value,
                            ),
                        )
                    )
                    continue
            leader: Person | None = None
            if leader_value:
                if not team_value:
                    result.errors.append((line, _("a leader needs the team on the same line")))
                    continue
                leader, why = people.find(
                    leader_value if "@" not in leader_value else "",
                    leader_value if "@" in leader_value else "",
                )
                if leader is None:
                    result.errors.append((line, _("leader: %(problem)s", problem=why)))
                    continue
                prior = leaders.get(team_value.lower())
                if prior is not None and prior[0] != leader.id:
                    result.errors.append(
                        (
                            line,
                            _(
                                "line %(line)d gives team %(team)s another leader",
                                line=prior[1],
                                team=team_value,
                            ),
                        )
                    )
                    continue
            if team_value and len(team_value) > services.NAME_MAX:
                result.errors.append(
                    (
                        line,
                        _(
                            "the team name is longer than %(max)d characters",
                            max=services.NAME_MAX,
                        ),
                    )
                )
                continue
            # The row is good: record what it changes.
            if wanted is not None:
                held = hr_roles.get(who.id)
                if held is None or held.role_id != wanted.id:
                    now = effective.get(who.id)
                    note = ""
                    if (
                        now is not None
                        and services.RANK[Source(now.source)] > services.RANK[Source.HR_CSV]
                    ):
                        note = _(
                            "recorded, but %(role)s %(from_source)s still takes precedence",
                            role=now.role_name,
                            from_source=Source(now.source).from_label,
                        )
                    result.changes.append(
                        Change(
                            line,
                            "role",
                            who.display_name,
                            now.role_name if now else _("none"),
                            wanted.name,
                            note,
                            person_id=who.id,
                            role_id=wanted.id,
                        )
                    )
            if team_value:
                key = team_value.lower()
                existing = teams.get(key)
                if existing is None and key not in new_teams:
                    new_teams[key] = line
                    result.changes.append(
                        Change(line, "new_team", team_value, "", team_value, team_name=team_value)
                    )
                target_name = existing.name if existing else team_value
                current_team = membership.get(who.id)
                if existing is None or current_team != existing.id:
                    result.changes.append(
                        Change(
                            line,
                            "team",
                            who.display_name,
                            team_names.get(current_team, _("no team"))
                            if current_team
                            else _("no team"),
                            target_name,
                            person_id=who.id,
                            team_name=target_name,
                        )
                    )
                if leader is not None and key not in leaders:
                    leaders[key] = (leader.id, line)
                    if existing is None or existing.leader_id != leader.id:
                        before = (
                            existing.leader.display_name
                            if existing and existing.leader
                            else _("none")
                        )
                        result.changes.append(
                            Change(
                                line,
                                "leader",
                                target_name,
                                before,
                                leader.display_name,
                                team_name=target_name,
                                leader_id=leader.id,
                            )
                        )
    except csv.Error as exc:
        result.errors.append(
            (reader.line_num, _("the CSV cannot be read here (%(problem)s)", problem=exc))
        )
    if result.rows == 0 and not result.errors:
        result.errors.append((2, _("the file has a header but no rows")))
    return result


class StalePlan(RuntimeError):
    """The data changed since the preview: the new plan must be previewed again."""

    def __init__(self, fresh: Plan) -> None:
        super().__init__("plan changed since the preview")
        self.plan = fresh


def apply(registration_id: int, text: str, digest: str, *, by: str, by_person_id: int) -> Plan:
    """All of the previewed changes or none: the caller commits once, or rolls back on error."""
    fresh = plan(text)
    if fresh.errors or fresh.digest != digest:
        raise StalePlan(fresh)
    teams = {t.name.lower(): t for t in db.session.scalars(select(Team))}
    for change in fresh.of_kind("new_team"):
        row = Team(registration_id=registration_id, name=change.team_name)
        db.session.add(row)
        teams[change.team_name.lower()] = row
    db.session.flush()
    memberships = {m.person_id: m for m in db.session.scalars(select(TeamMember))}
    for change in fresh.of_kind("team"):
        assert change.person_id is not None
        team = teams[change.team_name.lower()]
        existing = memberships.get(change.person_id)
        if existing is None:
            db.session.add(
                TeamMember(
                    registration_id=registration_id, team_id=team.id, person_id=change.person_id
                )
            )
        else:
            existing.team_id = team.id
            existing.since = utcnow()
    for change in fresh.of_kind("leader"):
        teams[change.team_name.lower()].leader_id = change.leader_id
    db.session.flush()
    for change in fresh.of_kind("role"):
        who = db.session.get(Person, change.person_id)
        role = db.session.get(JobRole, change.role_id)
        assert who is not None and role is not None
        services.set_source_role(
            who,
            Source.HR_CSV,
            role,
            by=by,
            by_person_id=by_person_id,
            note=written(wording.HR_IMPORT_LINE, line=change.line),
        )
    db.session.flush()
    return fresh
