"""Demo data for the leader scorecard and the stall nudge (after every other seed; added once).

- Dev (the LMS administrator) also leads "Team leads", whose members are three team leads:
  Ben (Billing team A), Priya Patel (Night shift) and Lucas Moreau (Escalations). Dev sees the
  leader scorecard with the three of them (administrators see every lead anyway). Dev has no
  path, so he does not share one with his team.
- The night shift (four Senior agents on the Senior agent path) has stalled: assigned seven
  weeks ago, one of them opened the path three weeks ago, nothing since. Priya would see the
  nudge; Dev and Chloe see it on the team's page as staff.
- Escalations keeps learning: steps completed over the last two months (learning hours in
  both periods), Lucas gave coaching sessions (two in the last 30 days, one before) and
  decided two enrolment requests (one approved, one declined).
- Ben's team is untouched: Ana's recent progress keeps it nudge-free, and Sam's shadowing
  session with Ana is the team's coaching given.

People are added directly (like demo_insights' HR people), with backdated learning events,
so the other demos' numbers stay as they are.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from lti_tool.devlauncher.demo_coaching import past_session
from lti_tool.extensions import db
from lti_tool.lti.models import Registration, utcnow
from lti_tool.people.models import Person

LEADS_TEAM = "Team leads"
NIGHT_TEAM = "Night shift"
ESCALATIONS_TEAM = "Escalations"
NIGHT = (("Omar", "Farouk"), ("Rita", "Gomes"), ("Tom", "Becker"), ("Yuki", "Tanaka"))
ESCALATIONS = (("Nadia", "Karim"), ("Pablo", "Ruiz"), ("Greta", "Lind"))


def seed_leaders(reg: Registration) -> None:
    from lti_tool.catalog.models import (
        CatalogItem,
        EnrolmentRequest,
        GoalKind,
        PlanItem,
        PlanStatus,
        RequestStatus,
    )
    from lti_tool.coaching.models import (
        CoachingOffer,
        OfferKind,
    )
    from lti_tool.devlauncher.demo_personal import LEAD_PATH, SENIOR_PATH
    from lti_tool.insights import events
    from lti_tool.insights.models import Verb
    from lti_tool.paths import personal
    from lti_tool.paths.models import Assignment, Path, PathVersion, StepProgress, StepState
    from lti_tool.roles import services as roles
    from lti_tool.roles.models import PersonRole, Source, Team, TeamMember
    from lti_tool.tenancy import tenant_scope

    with tenant_scope(db.session, reg.id):
        if db.session.scalar(select(Team.id).where(Team.name == NIGHT_TEAM)) is not None:
            return
        people = {
            p.sub: p
            for p in db.session.scalars(select(Person).where(Person.registration_id == reg.id))
        }
        dev, ben = people.get("dev"), people.get("ben")
        senior, lead_role = roles.match_role("Senior agent"), roles.match_role("Team lead")
        if dev is None or ben is None or senior is None or lead_role is None:
            return
        now = utcnow().replace(minute=0, second=0, microsecond=0)

        def days_ago(n: float, hour: int = 10) -> datetime:
            return (now - timedelta(days=n)).replace(hour=hour)

        def published(title: str) -> tuple[Path, PathVersion] | None:
            found = db.session.scalar(select(Path).where(Path.title == title))
            version = (
                db.session.scalar(
                    select(PathVersion)
                    .where(PathVersion.path_id == found.id, PathVersion.published_at.is_not(None))
                    .order_by(PathVersion.number.desc())
                )
                if found
                else None
            )
            return (found, version) if found and version else None

        senior_path, lead_path = published(SENIOR_PATH), published(LEAD_PATH)
        if senior_path is None:
            return
        path, version = senior_path
        steps = [n for n in version.nodes if not n.is_set]

        def person(sub: str, first: str, last: str, role: object, job: str) -> Person:
            who = Person(
                registration_id=reg.id,
                sub=sub,
                name=f"{first} {last}",
                given_name=first,
                family_name=last,
                email=f"{first.lower()}.{last.lower()}@example.com",
                job_role=job,
            )
            db.session.add(who)
            db.session.flush()
            db.session.add(
                PersonRole(
                    registration_id=reg.id,
                    person_id=who.id,
                    role_id=role.id,  # type: ignore[attr-defined]
                    role_name=role.name,  # type: ignore[attr-defined]
                    source=Source.HR_CSV.value,
                    since=days_ago(120),
                    set_by="HR import",
                )
            )
            return who

        def team(name: str, leader: Person, members: list[Person]) -> Team:
            row = Team(registration_id=reg.id, name=name, leader_id=leader.id)
            db.session.add(row)
            db.session.flush()
            for m in members:
                db.session.add(
                    TeamMember(
                        registration_id=reg.id, team_id=row.id, person_id=m.id, since=days_ago(90)
                    )
                )
            return row

        def assign(who: Person, p: Path, v: PathVersion, when: datetime) -> Assignment:
            a = Assignment(
                registration_id=reg.id,
                person_id=who.id,
                path_id=p.id,
                version_id=v.id,
                source="role",
                assigned_at=when,
                assigned_by="job role (HR import)",
            )
            db.session.add(a)
            db.session.flush()
            events.record_event(
                reg.id,
                who.id,
                Verb.ASSIGNED,
                "path",
                p.id,
                title=p.title,
                path_id=p.id,
                occurred_at=when,
            )
            return a

        def start(a: Assignment, who: Person, when: datetime) -> None:
            a.started_at = when
            events.record_event(
                reg.id,
                who.id,
                Verb.STARTED,
                "path",
                path.id,
                title=path.title,
                path_id=path.id,
                occurred_at=when,
            )

        def complete(a: Assignment, who: Person, k: int, when: datetime) -> None:
            node = steps[k]
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

        # The leads.
        priya = person("lead-priya", "Priya", "Patel", lead_role, "Team lead")
        lucas = person("lead-lucas", "Lucas", "Moreau", lead_role, "Team lead")
        if lead_path is not None:
            for lead in (priya, lucas):
                assign(lead, *lead_path, days_ago(60))

        # The night shift: assigned seven weeks ago, one person opened it three weeks ago.
        night = [
            person(f"night-{i + 1}", first, last, senior, senior.name)
            for i, (first, last) in enumerate(NIGHT)
        ]
        for i, who in enumerate(night):
            a = assign(who, path, version, days_ago(49))
            if i == 0:
                start(a, who, days_ago(21))
        team(NIGHT_TEAM, priya, night)

        # Escalations: steady progress over two months.
        escalations = [
            person(f"esc-{i + 1}", first, last, senior, senior.name)
            for i, (first, last) in enumerate(ESCALATIONS)
        ]
        for i, who in enumerate(escalations):
            a = assign(who, path, version, days_ago(70))
            start(a, who, days_ago(65 - i))
            for k, ago in enumerate((60 - i * 5, 40 - i * 5, 20 - i * 5, 4 + i)[: len(steps)]):
                complete(a, who, k, days_ago(ago, 14))
        team(ESCALATIONS_TEAM, lucas, escalations)

        # Dev leads the leads: an operations manager's scorecard. He has no path of his own,
        # so he does not show one to his team (Ben would find an empty page).
        team(LEADS_TEAM, dev, [ben, priya, lucas])
        personal.set_sharing(dev, False)

        # Lucas's coaching: two sessions in the last 30 days, one 50 days ago.
        offer = CoachingOffer(
            registration_id=reg.id,
            coach_id=lucas.id,
            kind=OfferKind.COACHING.value,
            title="Escalated calls: taking them over from a colleague",
            description="We listen to one of your escalated calls together and plan the next.",
            booking="request",
        )
        db.session.add(offer)
        db.session.flush()
        for learner, ago in ((escalations[0], 6), (escalations[1], 12), (escalations[2], 50)):
            when = days_ago(ago, 15)
            past_session(offer, learner.id, when, "Floor 3, meeting room", "skill De-escalation")

        # Lucas decided two enrolment requests: one approved, one declined.
        items = list(db.session.scalars(select(CatalogItem).order_by(CatalogItem.id).limit(2)))
        for item, who, approve, ago in zip(
            items, escalations, (True, False), (8, 20), strict=False
        ):
            entry = PlanItem(
                registration_id=reg.id,
                person_id=who.id,
                item_id=item.id,
                goal_kind=GoalKind.SKILL_GAP.value,
                status=(PlanStatus.APPROVED if approve else PlanStatus.PLANNED).value,
            )
            db.session.add(entry)
            db.session.flush()
            db.session.add(
                EnrolmentRequest(
                    registration_id=reg.id,
                    plan_item_id=entry.id,
                    person_id=who.id,
                    leader_id=lucas.id,
                    reason="It would help me with the escalations I take over.",
                    status=(RequestStatus.APPROVED if approve else RequestStatus.DECLINED).value,
                    created_at=days_ago(ago + 1),
                    decided_at=days_ago(ago),
                    decided_by=lucas.display_name,
                    decided_by_person_id=lucas.id,
                    message="" if approve else "Next quarter: the team is short this month.",
                )
            )
        db.session.flush()
