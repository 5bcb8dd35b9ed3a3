"""Demo data for feedback: half a year of ratings with comments, so Chloe's Feedback page has
trends and a "rated lowest" list, and the dashboards show feedback scores.

- The Tier 1 agents of the insights demo rate the path steps they completed (the CRM tour is
  the weak spot; of two electives, "Returns and refunds" is liked and "Billing and invoices"
  less, so Ana's suggestions put the first first and say why), three catalog courses, and coaching and shadowing sessions they took part
  in with Ben and Sam (past sessions, both sides signed off).
- Ana rated what she finished (her two steps and "Empathy on the phone"); her shadowing
  session with Sam, signed off two days ago, is the one recent completion waiting for her
  rating on her home page.

Every rating is also a "rated" learning event. Added once, after the other demo seeds.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import select

from lti_tool import timezones
from lti_tool.catalog.models import CatalogItem, PlanItem, PlanStatus
from lti_tool.coaching.models import (
    CoachingOffer,
)
from lti_tool.devlauncher.demo_coaching import past_session
from lti_tool.extensions import db
from lti_tool.feedback.models import Kind, Rating
from lti_tool.insights import events
from lti_tool.insights.models import Verb
from lti_tool.lti.models import Registration, utcnow
from lti_tool.paths.models import Assignment, PathNode, StepProgress
from lti_tool.people.models import Person
from lti_tool.roles import services as roles
from lti_tool.tenancy import tenant_scope

# How each step tends to be rated (mean stars) and what people say about it.
STEP_TONE: dict[str, tuple[float, list[str]]] = {
    "Welcome to the contact center": (4.4, ["A clear start, I knew where to find help."]),
    "Tour of the CRM and ticketing tools": (
        2.3,
        [
            "Too long, and the screenshots show the old CRM.",
            "I got lost halfway; a live demo would be better.",
            "The shortcuts list was useful, the rest was hard to follow.",
        ],
    ),
    "Shadow a senior agent for one shift": (
        4.7,
        ["Hearing real calls taught me more than any course.", "Best part of my first week."],
    ),
    # Two electives Ana has not done: her suggestions rank the one her peers liked first.
    "Returns and refunds": (
        4.6,
        ["The refund decision table is pinned at my desk now.", "Short and practical."],
    ),
    "Billing and invoices": (
        3.2,
        ["Accurate, but a lot of text for what it teaches.", "Fine as a reference."],
    ),
}
DEFAULT_TONE = (3.8, ["Useful.", "Good, a bit long.", "Practical examples helped."])
ITEM_TONE = {
    "Empathy on the phone": (4.2, ["The role plays were great.", "Short and to the point."]),
    "Billing disputes and refunds": (3.1, ["Dense; I had to read it twice."]),
    "CRM shortcuts": (2.6, ["Mostly common sense.", "Outdated: half the shortcuts changed."]),
}
COACHING_TONE = {
    "De-escalation: bring me your hardest calls": (
        4.6,
        ["Ben picked the exact moment the call went wrong.", "One concrete thing to try: great."],
    ),
    "Shadow me on billing calls": (4.0, ["Sam explains between calls, very helpful."]),
}


def _stars(rnd: random.Random, mean: float) -> int:
    return max(1, min(5, round(rnd.gauss(mean, 0.8))))


def seed_feedback(reg: Registration) -> None:
    with tenant_scope(db.session, reg.id):
        if db.session.scalar(select(Rating.id).where(Rating.kind != Kind.CATALOG_ITEM.value)):
            return
        people = {p.sub: p for p in db.session.scalars(select(Person))}
        agents = sorted((p for s, p in people.items() if s.startswith("hr-")), key=lambda p: p.sub)
        if "ana" not in people or not agents:
            return
        tier1 = roles.match_role("Tier 1 agent")
        role_id = tier1.id if tier1 else None
        rnd = random.Random(77)  # noqa: S311 (made-up demo numbers)
        now = utcnow()

        def add(
            who: Person,
            kind: Kind,
            subject_id: str,
            item_key: str,
            title: str,
            stars: int,
            comment: str,
            at: datetime,
            path_id: int | None = None,
        ) -> None:
            db.session.add(
                Rating(
                    registration_id=reg.id,
                    kind=kind.value,
                    subject_id=subject_id,
                    item_key=item_key,
                    title=title,
                    person_id=who.id,
                    role_id=role_id,
                    stars=stars,
                    comment=comment,
                    created_at=at,
                    updated_at=at,
                )
            )
            events.record_event(
                reg.id,
                who.id,
                Verb.RATED,
                kind.value,
                subject_id,
                title=title,
                path_id=path_id,
                role_id=role_id,
                score=float(stars),
                occurred_at=at,
            )

        # Path steps the agents completed, rated a day later (about two in three).
        done = db.session.execute(
            select(Assignment.person_id, Assignment.path_id, StepProgress, PathNode.title)
            .join(StepProgress, StepProgress.assignment_id == Assignment.id)
            .join(PathNode, PathNode.version_id == Assignment.version_id)
            .where(
                PathNode.key == StepProgress.step_key,
                StepProgress.completed_at.is_not(None),
                Assignment.person_id.in_([a.id for a in agents]),
            )
            .order_by(Assignment.person_id, StepProgress.id)
        ).all()
        by_id = {a.id: a for a in agents}
        for person_id, path_id, sp, title in done:
            if rnd.random() > 0.65 or sp.completed_at is None:
                continue
            mean, comments = STEP_TONE.get(title, DEFAULT_TONE)
            at = min(now - timedelta(hours=1), sp.completed_at + timedelta(days=1))
            comment = rnd.choice(comments) if rnd.random() < 0.4 else ""
            subject = f"{path_id}:{sp.step_key}"
            add(
                by_id[person_id],
                Kind.STEP,
                subject,
                subject,
                title,
                _stars(rnd, mean),
                comment,
                at,
                path_id,
            )

        # Catalog courses (not "Handling difficult calls": its role ratings are its own demo).
        items = {i.title: i for i in db.session.scalars(select(CatalogItem))}
        for title, (mean, comments) in ITEM_TONE.items():
            item = items.get(title)
            if item is None:
                continue
            for who in rnd.sample(agents, 9):
                at = now - timedelta(days=rnd.randint(3, 170), hours=rnd.randint(0, 8))
                db.session.add(
                    PlanItem(
                        registration_id=reg.id,
                        person_id=who.id,
                        item_id=item.id,
                        goal_kind="skill_gap",
                        status=PlanStatus.COMPLETED.value,
                        completed_at=at - timedelta(days=1),
                        lms_user_id=who.sub,
                        created_at=at - timedelta(days=20),
                    )
                )
                comment = rnd.choice(comments) if rnd.random() < 0.5 else ""
                add(
                    who, Kind.CATALOG_ITEM, str(item.id), str(item.id), title,
                    _stars(rnd, mean), comment, at,
                )  # fmt: skip

        # Past coaching and shadowing sessions, signed off by both sides, then rated.
        for offer in db.session.scalars(select(CoachingOffer).order_by(CoachingOffer.id)):
            mean, comments = COACHING_TONE.get(offer.title, DEFAULT_TONE)
            for who in rnd.sample(agents, 6):
                days = rnd.randint(10, 160)
                # Older than a month: the team pages' "coaching given in the last 30 days" is
                # the coaching demo's story (Sam shadowed by Ana), not these past sessions.
                days += 30 if days <= 30 else 0
                at = now - timedelta(days=days, hours=rnd.randint(0, 6))
                # On the hour, in working hours on the coach's clock (not whenever the demo
                # was seeded).
                coach_tz = timezones.of(offer.coach.timezone)
                coach_day = timezones.local(at - timedelta(days=1), coach_tz).date()
                starts = timezones.stored(datetime.combine(coach_day, time(9 + days % 8)), coach_tz)
                session = past_session(offer, who.id, starts, "Floor 2")
                comment = rnd.choice(comments) if rnd.random() < 0.6 else ""
                add(
                    who, Kind.COACHING, str(session.id), str(offer.id), offer.title,
                    _stars(rnd, mean), comment, at,
                )  # fmt: skip

        # Ana rated her steps and her course; her shadowing session waits for her rating.
        ana = people["ana"]
        for person_id, path_id, sp, title in db.session.execute(
            select(Assignment.person_id, Assignment.path_id, StepProgress, PathNode.title)
            .join(StepProgress, StepProgress.assignment_id == Assignment.id)
            .join(PathNode, PathNode.version_id == Assignment.version_id)
            .where(
                PathNode.key == StepProgress.step_key,
                StepProgress.completed_at.is_not(None),
                StepProgress.evidence.not_in(("waived", "coaching")),
                Assignment.person_id == ana.id,
            )
        ).all():
            subject = f"{path_id}:{sp.step_key}"
            assert person_id == ana.id
            add(ana, Kind.STEP, subject, subject, title, 4, "", now, path_id)
        for entry in db.session.scalars(
            select(PlanItem).where(
                PlanItem.person_id == ana.id, PlanItem.status == PlanStatus.COMPLETED.value
            )
        ):
            add(
                ana, Kind.CATALOG_ITEM, str(entry.item_id), str(entry.item_id), entry.item.title,
                5, "The call recordings made it real.", now,
            )  # fmt: skip
        db.session.flush()
