"""Demo data for insights: forty Tier 1 agents from the HR system with half a year of KPIs and
learning events, so Chloe and Dev see dashboards with history and impact reports that show
something.

Twenty are in Ana's team (Billing team A) and completed the Tier 1 path one to four months ago;
their CSAT rises by about 4 points and their handle time falls by about 25 seconds after
completing it. Twenty in Billing team B have not completed it (some started): the comparison
group, whose KPIs drift a little over the same months. FCR does not move. The KPIs arrive
through the real CSV import (one file in the import history). Added once.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.insights import events, impact, kpi
from lti_tool.insights.models import KpiValue, Verb
from lti_tool.lti.models import Registration, utcnow
from lti_tool.paths import services as paths
from lti_tool.paths.models import Assignment, Path, PathVersion, StepProgress, StepState
from lti_tool.people.models import Person
from lti_tool.roles import services as roles
from lti_tool.roles.models import PersonRole, Source, Team, TeamMember
from lti_tool.tenancy import tenant_scope

FIRST = [
    "Amara",
    "Bruno",
    "Chen",
    "Dara",
    "Emil",
    "Fatima",
    "Goran",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemal",
    "Lucia",
    "Mateo",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Vera",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Adele",
    "Boris",
    "Celine",
    "Dmitri",
    "Esme",
    "Felix",
    "Greta",
    "Hugo",
    "Irene",
    "Jamal",
    "Kira",
    "Leon",
    "Maya",
    "Nico",
]
LAST = [
    "Okafor",
    "Silva",
    "Wang",
    "Murphy",
    "Novak",
    "Rahman",
    "Horvat",
    "Tanaka",
    "Ruiz",
    "Berg",
    "Aydin",
    "Romano",
    "Garcia",
    "Ivanova",
    "Haddad",
    "Sharma",
    "Reid",
    "Santos",
    "Lund",
    "Aziz",
    "Patel",
    "Kovac",
    "Li",
    "Flores",
    "Demir",
    "Martin",
    "Dubois",
    "Popov",
    "Laurent",
    "Orlov",
    "Grant",
    "Weber",
    "Larsen",
    "Moreau",
    "Costa",
    "Baker",
    "Sato",
    "Klein",
    "Cohen",
    "Ortiz",
]
TEAM_B = "Billing team B"
HISTORY_DAYS = 180


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour)


def seed_insights(reg: Registration, path_title: str, team_a_name: str) -> None:
    with tenant_scope(db.session, reg.id):
        kpi.ensure_standard_metrics(reg.id)
        if db.session.scalar(select(KpiValue.id).limit(1)) is not None:
            return
        tier1 = roles.match_role("Tier 1 agent")
        path = db.session.scalar(select(Path).where(Path.title == path_title))
        team_a = db.session.scalar(select(Team).where(Team.name == team_a_name))
        if tier1 is None or path is None or team_a is None:
            return
        version = db.session.scalar(
            select(PathVersion)
            .where(PathVersion.path_id == path.id, PathVersion.published_at.is_not(None))
            .order_by(PathVersion.number.desc())
        )
        if version is None:
            return
        steps = [n for n in version.nodes if not n.is_set]
        team_b = Team(registration_id=reg.id, name=TEAM_B)
        db.session.add(team_b)
        db.session.flush()
        rnd = random.Random(2026)  # noqa: S311 (made-up demo numbers)
        today = utcnow().date()
        start = today - timedelta(days=HISTORY_DAYS)
        completed: dict[int, date] = {}
        agents: list[Person] = []
        for i in range(40):
            first, last = FIRST[i], LAST[i]
            who = Person(
                registration_id=reg.id,
                sub=f"hr-{i + 1:03}",
                name=f"{first} {last}",
                given_name=first,
                family_name=last,
                email=f"{first.lower()}.{last.lower()}@example.com",
                job_role=tier1.name,
            )
            db.session.add(who)
            db.session.flush()
            agents.append(who)
            db.session.add(
                PersonRole(
                    registration_id=reg.id,
                    person_id=who.id,
                    role_id=tier1.id,
                    role_name=tier1.name,
                    source=Source.HR_CSV.value,
                    since=_at(start),
                    set_by="HR import",
                )
            )
            in_a = i < 20
            db.session.add(
                TeamMember(
                    registration_id=reg.id,
                    team_id=(team_a if in_a else team_b).id,
                    person_id=who.id,
                    since=_at(start),
                )
            )
            assigned = start + timedelta(days=rnd.randint(0, 20))
            a = Assignment(
                registration_id=reg.id,
                person_id=who.id,
                path_id=path.id,
                version_id=version.id,
                source="role",
                assigned_at=_at(assigned),
                assigned_by="job role (HR import)",
            )
            db.session.add(a)
            db.session.flush()
            events.record_event(
                reg.id,
                who.id,
                Verb.ASSIGNED,
                "path",
                path.id,
                title=path.title,
                path_id=path.id,
                occurred_at=_at(assigned),
            )
            # Team A finished the path 35-120 days ago; team B did some steps, or none.
            done_day = today - timedelta(days=rnd.randint(35, 120)) if in_a else None
            began = assigned + timedelta(days=rnd.randint(1, 6))
            last_day = done_day or today - timedelta(days=rnd.randint(1, 30))
            count = len(steps) if in_a else rnd.randint(0, 3)
            if count:
                a.started_at = _at(began)
                events.record_event(
                    reg.id,
                    who.id,
                    Verb.STARTED,
                    "path",
                    path.id,
                    title=path.title,
                    path_id=path.id,
                    occurred_at=_at(began),
                )
            span = max(1, (last_day - began).days)
            for k, node in enumerate(steps[:count]):
                when = _at(began + timedelta(days=span * (k + 1) // count), 14)
                db.session.add(
                    StepProgress(
                        registration_id=reg.id,
                        assignment_id=a.id,
                        step_key=node.key,
                        state=StepState.COMPLETED.value,
                        evidence="self_report",
                        updated_at=when,
                        completed_at=when,
                    )
                )
                events.record_event(
                    reg.id,
                    who.id,
                    Verb.COMPLETED,
                    "step",
                    f"{path.id}:{node.key}",
                    title=node.title,
                    path_id=path.id,
                    minutes=node.minutes,
                    occurred_at=when,
                )
            if done_day is not None:
                a.completed_at = _at(done_day, 16)
                completed[who.id] = done_day
                events.record_event(
                    reg.id,
                    who.id,
                    Verb.COMPLETED,
                    "path",
                    path.id,
                    title=path.title,
                    path_id=path.id,
                    occurred_at=_at(done_day, 16),
                )
        ana = db.session.scalar(select(Person).where(Person.sub == "ana"))
        _import_kpis(reg, [*agents, *([ana] if ana else [])], completed, start, today, rnd)
        events.backfill(reg.id)  # Ana's own steps and the community posts, if not yet recorded
        _reports(reg, path, tier1)
    db.session.flush()


def _import_kpis(
    reg: Registration,
    agents: list[Person],
    completed: dict[int, date],
    start: date,
    today: date,
    rnd: random.Random,
) -> None:
    lines = ["email,date,metric,value"]
    for who in agents:
        csat, aht = rnd.gauss(80, 3), rnd.gauss(430, 30)
        fcr, qa = rnd.gauss(70, 4), rnd.gauss(84, 3)
        done = completed.get(who.id)
        day = start
        while day < today:
            if day.weekday() < 5:
                t = (day - start).days / HISTORY_DAYS
                after = done is not None and day > done
                values = (
                    ("CSAT", csat + 1.5 * t + (4.0 if after else 0) + rnd.gauss(0, 2.5), 1),
                    ("AHT", aht - 8 * t - (25 if after else 0) + rnd.gauss(0, 20), 0),
                    ("FCR", fcr + rnd.gauss(0, 3), 1),
                    ("QA score", qa + 1.0 * t + (1.5 if after else 0) + rnd.gauss(0, 3), 1),
                )
                for name, value, digits in values:
                    lines.append(f"{who.email},{day.isoformat()},{name},{round(value, digits)}")
            day += timedelta(days=1)
    upload = kpi.store_upload(
        reg.id, "kpis-from-the-contact-center.csv", "\n".join(lines) + "\n", "Dev Desai"
    )
    kpi.apply(upload)


def _reports(reg: Registration, path: Path, tier1: object) -> None:
    holders = paths.role_holders(tier1.id)  # type: ignore[attr-defined]
    found = kpi.lookup()
    for key, window in (("fcr", 28), ("aht", 28), ("csat", 28)):
        q = impact.Question(path, "", found[key], tier1, window, 10)  # type: ignore[arg-type]
        impact.run(reg.id, q, holders, "Chloe Chen")
