"""Demo data for coaching and shadowing, the digest and the team page (after seed_community and
seed_paths). Added once; later seeds leave it as it is.

- Sam offers shadowing on Call control and Empathy, with the checklist of the path's quality
  check (which gets its checklist items here: the demo path was published before checklists).
- Ana shadowed Sam two days ago for her path's shadowing step: both signed off, so the step is
  done (evidence "coaching") and Ben's waiting sign-off request for it is closed.
- Ben offers coaching on De-escalation (requests, three slots ahead): Ana booked one for her
  coaching step (confirmed), Sam asks for another (Ben confirms or declines), and a session Ana
  had booked was cancelled by Ben, so that slot is free again.
- This week's digest for Tier 1 agents: Ana's tip verified by Chloe and Ana's helpful answer.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lti_tool import timezones
from lti_tool.extensions import db
from lti_tool.lti.models import Registration
from lti_tool.people.models import Person


def past_session(
    offer: Any, learner_id: int, starts_at: datetime, place: str, evidence_for: str = ""
) -> Any:
    """A coaching session of ``offer`` that took place at ``starts_at`` and both sides signed
    off (the coach an hour after, the learner two), with its slot and the coach's learning
    event: the history the feedback and leaders demos need behind their numbers."""
    from lti_tool.coaching import services as coaching
    from lti_tool.coaching.models import CoachingSession, CoachingSlot, SessionStatus

    slot = CoachingSlot(
        registration_id=offer.registration_id,
        offer_id=offer.id,
        starts_at=starts_at,
        minutes=30,
        place=place,
    )
    db.session.add(slot)
    db.session.flush()
    session = CoachingSession(
        registration_id=offer.registration_id,
        slot_id=slot.id,
        offer_id=offer.id,
        coach_id=offer.coach_id,
        learner_id=learner_id,
        kind=offer.kind,
        status=SessionStatus.COMPLETED.value,
        starts_at=starts_at,
        minutes=30,
        created_at=starts_at - timedelta(days=3),
        confirmed_at=starts_at - timedelta(days=2),
        coach_signed_at=starts_at + timedelta(hours=1),
        learner_signed_at=starts_at + timedelta(hours=2),
        completed_at=starts_at + timedelta(hours=2),
        evidence_for=evidence_for,
    )
    db.session.add(session)
    db.session.flush()
    slot.session_id = session.id
    coaching.record_coached(session)  # the coach's event
    return session


QA_CHECKLIST = [
    "Greets the caller and verifies identity",
    "Acknowledges the problem before solving it",
    "Says what happens next, with a date",
    "Summarises and checks understanding before closing",
]


def _at(days: int, hour: int, minute: int, tz: ZoneInfo) -> tuple[str, str]:
    day = (datetime.now(tz) + timedelta(days=days)).date()
    return day.isoformat(), time(hour, minute).strftime("%H:%M")


def seed_coaching(reg: Registration) -> None:
    from lti_tool.coaching import services as coaching
    from lti_tool.coaching.models import CoachingOffer, OfferKind
    from lti_tool.community import services as community
    from lti_tool.community.models import Kind, Post, Target
    from lti_tool.paths.models import PathNode, StepKind
    from lti_tool.roles import services as roles
    from lti_tool.tenancy import tenant_scope

    with tenant_scope(db.session, reg.id):
        if db.session.scalar(select(CoachingOffer.id).limit(1)) is not None:
            return
        people = {
            p.sub: p
            for p in db.session.scalars(select(Person).where(Person.registration_id == reg.id))
        }
        if not {"ana", "ben", "sam", "chloe"} <= set(people):
            return
        # Each coach types their slots as their clock shows them.
        sam_tz, ben_tz = (timezones.of(people[sub].timezone) for sub in ("sam", "ben"))
        skill = {s.name: s.id for s in roles.skills()}

        def me(sub: str) -> coaching.Actor:
            p = people[sub]
            return coaching.Actor(reg.id, p.id, p.display_name, sub in ("chloe", "dev"))

        for node in db.session.scalars(
            select(PathNode).where(PathNode.kind == StepKind.CHECK.value)
        ):
            node.checklist = node.checklist or list(QA_CHECKLIST)
        db.session.flush()

        # Sam's shadowing offer, its checklist reused from the path's quality check.
        check = next(iter(coaching.checklist_steps()), None)
        shadow_offer, errors = coaching.save_offer(
            me("sam"),
            None,
            coaching.OfferForm(
                kind=OfferKind.SHADOWING.value,
                title="Shadow me on billing calls",
                description="Sit next to me for an hour of billing disputes; we talk between "
                "calls about what worked.",
                booking="direct",
                skill_ids=[skill[n] for n in ("Call control", "Empathy") if n in skill],
                from_step=str(check.id) if check else "",
            ),
        )
        assert shadow_offer is not None, errors
        for days, hour in ((4, 13), (6, 13)):
            day, at = _at(days, hour, 0, sam_tz)
            coaching.add_slot(
                me("sam"),
                shadow_offer,
                coaching.SlotForm(day, at, "60", "Floor 2, desk 14"),
                sam_tz,
            )
        # Ana's shadowing session, moved back two days once booked, signed off by both.
        day, at = _at(2, 9, 0, sam_tz)
        past, _ = coaching.add_slot(
            me("sam"), shadow_offer, coaching.SlotForm(day, at, "60", "Floor 2, desk 14"), sam_tz
        )
        assert past is not None
        ana = people["ana"]
        choices = coaching.step_choices(ana.id, OfferKind.SHADOWING)
        done = coaching.book(
            me("ana"),
            past,
            "I would like to hear how you handle double charges.",
            choices[0].value if choices else "",
        )
        two_days_ago = past.starts_at - timedelta(days=4)
        past.starts_at = done.starts_at = two_days_ago
        db.session.flush()
        coaching.tick(me("ana"), done, range(len(done.checklist)))
        coaching.sign_off(
            me("sam"), done, "Ana listened well; practise saying the refund date out loud."
        )
        coaching.sign_off(me("ana"), done, "Hearing Sam summarise before closing helped most.")

        # Ben's coaching offer on De-escalation.
        ben_offer, errors = coaching.save_offer(
            me("ben"),
            None,
            coaching.OfferForm(
                kind=OfferKind.COACHING.value,
                title="De-escalation: bring me your hardest calls",
                description="We listen to one of your difficult calls together and agree one "
                "thing to try next time.",
                booking="request",
                skill_ids=[skill["De-escalation"]] if "De-escalation" in skill else [],
            ),
        )
        assert ben_offer is not None, errors
        slots = []
        for days, hour, minute in ((1, 10, 0), (3, 14, 30), (5, 9, 30), (8, 11, 0)):
            day, at = _at(days, hour, minute, ben_tz)
            added, errors = coaching.add_slot(
                me("ben"),
                ben_offer,
                coaching.SlotForm(day, at, "30", "https://meet.example.com/ben-brooks"),
                ben_tz,
            )
            assert added is not None, errors
            slots.append(added)
        coaching_steps = coaching.step_choices(ana.id, OfferKind.COACHING)
        booked = coaching.book(
            me("ana"),
            slots[1],
            "The customer who shouted about the late fee last week.",
            coaching_steps[0].value if coaching_steps else "",
        )
        coaching.confirm(me("ben"), booked)
        dropped = coaching.book(me("ana"), slots[0], "Any call is fine.")
        coaching.confirm(me("ben"), dropped)
        coaching.cancel(me("ben"), dropped, "The team huddle moved to that time, sorry.")
        coaching.book(me("sam"), slots[2], "Callers who swear from the first second.")

        # The digest: this week's verified tip and helpful answer by a Tier 1 agent.
        tip = db.session.scalar(
            select(Post).where(Post.title == "Summarise before you close", Post.author_id == ana.id)
        )

        def community_actor(sub: str) -> community.Actor:
            return community.actor(
                reg.id,
                people[sub].id,
                is_instructor=sub in ("chloe", "dev"),
                is_leader=sub == "ben",
                is_administrator=sub == "dev",
            )

        if tip is not None and tip.verified_at is None:
            community.verify(community_actor("chloe"), tip, "We teach this in week 2 now.")
        question = db.session.scalar(
            select(Post).where(
                Post.kind == Kind.QUESTION.value,
                Post.title == "Customer cannot log in after the app update",
            )
        )
        if question is not None:
            saved = community.create_answer(
                community_actor("ana"),
                question,
                "Yes, three callers this morning: signing out, clearing the app's cache and "
                "signing in again fixed it every time. Takes a minute on the phone.",
                community.Limits(posts_per_window=0),
            )
            if isinstance(saved.row, community.Answer):
                community.mark_helpful(community_actor("sam"), Target.ANSWER, saved.row)
    db.session.flush()
