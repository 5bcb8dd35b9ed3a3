"""Coaching and shadowing, service level: offers and slots, booking (direct and by request),
both sides signing off counted as evidence on the learner's path, cancellation, no-shows,
notifications; the digest and a leader's team contributions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from lti_tool.coaching import peers
from lti_tool.coaching import services as coaching
from lti_tool.coaching.models import CoachingSession, OfferKind, SessionStatus
from lti_tool.community import services as community
from lti_tool.community.models import Kind, Notification
from lti_tool.extensions import db
from lti_tool.lti.models import Registration, utcnow
from lti_tool.paths import services as paths
from lti_tool.paths.models import PathEvent, SignOffStatus, StepState
from lti_tool.people.models import Person
from lti_tool.roles import services as roles
from lti_tool.roles.models import Source
from lti_tool.tenancy import tenant_scope

UTC = ZoneInfo("UTC")
CHLOE = paths.Actor("Chloe Chen", None, is_staff=True)


@pytest.fixture
def tenant(clean_app: Any) -> Iterator[int]:
    with clean_app.app_context():
        reg = Registration(
            issuer="https://lms.example.com",
            client_id="c1",
            name="LMS",
            auth_login_url="https://lms.example.com/auth",
            key_set_url="https://lms.example.com/jwks",
        )
        db.session.add(reg)
        db.session.flush()
        with tenant_scope(db.session, reg.id):
            roles.import_starter_set(reg.id)
            yield reg.id
        db.session.rollback()


def person(tenant: int, sub: str, role: str | None = None) -> Person:
    row = Person(registration_id=tenant, sub=sub, name=sub.title())
    db.session.add(row)
    db.session.flush()
    if role:
        found = roles.match_role(role)
        assert found is not None
        roles.set_source_role(row, Source.ADMIN, found, by="test", by_person_id=None)
    return row


def actor(p: Person) -> coaching.Actor:
    return coaching.Actor(p.registration_id, p.id, p.name)


def skill(name: str) -> int:
    return next(s.id for s in roles.skills() if s.name == name)


def tier1_path(tenant: int) -> dict[str, str]:
    """A published Tier 1 path with a shadowing step (Call control, checklist), a coaching
    step (De-escalation) and a check; its step keys by title."""
    p, errors = paths.save_path(
        tenant,
        None,
        {"title": "First 90 days", "role_id": str(roles.match_role("Tier 1 agent").id)},  # type: ignore[union-attr]
        CHLOE,
    )
    assert p is not None, errors
    v = p.versions[0]
    week, _ = paths.save_node(v, None, True, {"title": "Week 1", "rule": "in_order"}, [])
    assert week is not None
    keys = {}
    for title, kind, skills, extra in (
        ("Read the guide", "link", ["Systems navigation"], {"self_report": "yes"}),
        ("Shadow a senior agent", "shadowing", ["Call control"], {}),
        ("Coaching with your lead", "coaching", ["De-escalation"], {}),
        ("Quality check", "check", ["Compliance"], {"checklist": "Greets\nVerifies\n\nCloses"}),
    ):
        row, errors = paths.save_node(
            v,
            None,
            False,
            {
                "title": title,
                "kind": kind,
                "parent_id": str(week.id),
                "url": "https://x.example.com" if kind == "link" else "",
                "format": "reading",
                **extra,
            },
            [str(skill(s)) for s in skills],
        )
        assert row is not None, errors
        keys[title] = row.key
    paths.publish(v, CHLOE)
    return keys


def offer(coach: Person, kind: str = "coaching", booking: str = "request", **extra: Any) -> Any:
    row, errors = coaching.save_offer(
        actor(coach),
        None,
        coaching.OfferForm(
            kind=kind,
            title=f"{kind.title()} with {coach.name}",
            booking=booking,
            skill_ids=extra.pop("skill_ids", [skill("De-escalation")]),
            **extra,
        ),
    )
    assert row is not None, errors
    return row


def slot(coach: Person, o: Any, days: int = 2, hour: int = 10) -> Any:
    day = (utcnow() + timedelta(days=days)).date().isoformat()
    row, errors = coaching.add_slot(
        actor(coach), o, coaching.SlotForm(day, f"{hour:02d}:00", "30", "Desk 4"), UTC
    )
    assert row is not None, errors
    return row


def happened(s: CoachingSession) -> None:
    """The session's time has come (moved into the past)."""
    s.starts_at = s.slot.starts_at = utcnow() - timedelta(hours=1)
    db.session.flush()


def notes_of(p: Person) -> list[str]:
    return list(
        db.session.scalars(
            select(Notification.kind)
            .where(Notification.person_id == p.id)
            .order_by(Notification.id)
        )
    )


def step_state(p: Person, key: str) -> tuple[StepState, str]:
    lr = paths.learning_of(p.id)[0]
    progress = lr.progress.get(key)
    return lr.view.by_key[key].state, progress.evidence if progress else ""


def test_coaching_lifecycle_counts_as_evidence_on_the_chosen_step(tenant: int) -> None:
    keys = tier1_path(tenant)
    ben, ana = person(tenant, "ben", "Team lead"), person(tenant, "ana", "Tier 1 agent")
    o = offer(ben)
    s1 = slot(ben, o)
    choices = coaching.step_choices(ana.id, OfferKind.COACHING)
    assert [c.title for c in choices] == ["Coaching with your lead"]

    session = coaching.book(actor(ana), s1, "My angry caller", choices[0].value)
    assert session.state is SessionStatus.REQUESTED and s1.session_id == session.id
    assert notes_of(ben) == ["coach_requested"]
    with pytest.raises(coaching.Forbidden):
        coaching.confirm(actor(ana), session)
    coaching.confirm(actor(ben), session)
    assert session.state is SessionStatus.CONFIRMED and notes_of(ana) == ["coach_confirmed"]
    assert session in coaching.sessions_of(ana.id).upcoming
    assert session in coaching.sessions_of(ben.id).upcoming

    with pytest.raises(coaching.Refused, match="once the session has started"):
        coaching.sign_off(actor(ana), session)
    happened(session)
    assert session in coaching.sessions_of(ana.id).to_sign
    assert coaching.sign_off(actor(ana), session, "Learned a lot") is False
    assert notes_of(ben)[-1] == "coach_signoff"
    assert step_state(ana, keys["Coaching with your lead"])[0] is StepState.NOT_STARTED
    with pytest.raises(coaching.Refused, match="already"):
        coaching.sign_off(actor(ana), session)
    assert coaching.sign_off(actor(ben), session, "Practise the pause") is True

    assert session.state is SessionStatus.COMPLETED
    assert step_state(ana, keys["Coaching with your lead"]) == (StepState.COMPLETED, "coaching")
    assert "Coaching with your lead" in session.evidence_for
    actions = set(db.session.scalars(select(PathEvent.action).where(PathEvent.person_id == ana.id)))
    assert {"coaching_evidence", "step_state"} <= actions
    assert notes_of(ana)[-1] == "coach_completed"
    assert session in coaching.sessions_of(ana.id).past
    # Nothing more can happen to a completed session.
    with pytest.raises(coaching.Refused):
        coaching.cancel(actor(ana), session, "oops")
    with pytest.raises(coaching.Refused):
        coaching.mark_no_show(actor(ben), session)


def test_shadowing_reuses_a_check_steps_checklist_matches_the_step_by_skill_and_closes_a_waiting_signoff(
    tenant: int,
) -> None:
    keys = tier1_path(tenant)
    sam, ana = person(tenant, "sam", "Senior agent"), person(tenant, "ana", "Tier 1 agent")
    check = coaching.checklist_steps()
    assert [(n.title, n.checklist) for n in check] == [
        ("Quality check", ["Greets", "Verifies", "Closes"])
    ]
    o = offer(
        sam,
        "shadowing",
        "direct",
        skill_ids=[skill("Call control"), skill("Empathy")],
        checklist="Listen to the greeting",
        from_step=str(check[0].id),
    )
    assert o.checklist == ["Listen to the greeting", "Greets", "Verifies", "Closes"]
    # Ana had asked her leader for the sign-off the old way: it is closed by the session.
    lr = paths.learning_of(ana.id)[0]
    paths.self_report(lr, keys["Read the guide"], paths.Actor("Ana", ana.id))
    request = paths.request_signoff(
        paths.learning_of(ana.id)[0], keys["Shadow a senior agent"], paths.Actor("Ana", ana.id)
    )

    session = coaching.book(actor(ana), slot(sam, o))  # no step chosen: matched by skill
    assert session.state is SessionStatus.CONFIRMED and notes_of(sam) == ["coach_booked"]
    assert [i["done"] for i in session.checklist] == [False] * 4
    happened(session)
    coaching.tick(actor(ana), session, [0, 2])
    assert [i["done"] for i in session.checklist] == [True, False, True, False]
    coaching.sign_off(actor(sam), session)
    coaching.sign_off(actor(ana), session)
    assert step_state(ana, keys["Shadow a senior agent"]) == (StepState.COMPLETED, "coaching")
    assert request.status == SignOffStatus.APPROVED.value
    assert "shadowing sign-off" in request.decided_by
    assert session.step_key == keys["Shadow a senior agent"]


def test_without_a_matching_step_the_session_counts_for_its_skills(tenant: int) -> None:
    ben, sam = person(tenant, "ben", "Team lead"), person(tenant, "sam", "Senior agent")
    session = coaching.book(actor(sam), slot(ben, offer(ben, booking="direct")))
    happened(session)
    coaching.sign_off(actor(ben), session)
    coaching.sign_off(actor(sam), session)
    assert session.evidence_for == "the skill De-escalation" and session.assignment_id is None
    event = db.session.scalar(
        select(PathEvent).where(
            PathEvent.action == "coaching_evidence", PathEvent.person_id == sam.id
        )
    )
    assert event is not None and "De-escalation" in event.detail


def test_cancellation_by_either_side_needs_a_reason_frees_the_slot_and_tells_the_other(
    tenant: int,
) -> None:
    ben, ana, sam = (
        person(tenant, "ben", "Team lead"),
        person(tenant, "ana", "Tier 1 agent"),
        person(tenant, "sam", "Senior agent"),
    )
    o = offer(ben, booking="direct")
    s1 = slot(ben, o)
    first = coaching.book(actor(ana), s1)
    with pytest.raises(coaching.Refused, match="Someone else booked"):
        coaching.book(actor(sam), s1)
    with pytest.raises(coaching.Forbidden):
        coaching.cancel(actor(sam), first, "not mine")
    with pytest.raises(coaching.Refused, match="Say why"):
        coaching.cancel(actor(ana), first, "  ")
    coaching.cancel(actor(ana), first, "Sick today")
    assert first.state is SessionStatus.CANCELLED and first.end_reason == "Sick today"
    assert s1.session_id is None and notes_of(ben)[-1] == "coach_cancelled"
    second = coaching.book(actor(sam), s1)  # the freed slot
    coaching.cancel(actor(ben), second, "Team huddle")
    assert notes_of(sam)[-1] == "coach_cancelled" and second.ended_by_id == ben.id
    # The coach declines a request (with a reason); removing a booked slot cancels it.
    request_offer = offer(ben)
    asked = coaching.book(actor(ana), slot(ben, request_offer, hour=14))
    with pytest.raises(coaching.Refused, match="Say why"):
        coaching.decline(actor(ben), asked, "")
    coaching.decline(actor(ben), asked, "Fully booked this week")
    assert asked.state is SessionStatus.DECLINED and notes_of(ana)[-1] == "coach_declined"
    booked = coaching.book(actor(ana), slot(ben, o, hour=16))
    with pytest.raises(coaching.Refused):
        coaching.remove_slot(actor(ben), booked.slot, "")
    assert coaching.remove_slot(actor(ben), booked.slot, "On leave") == 1
    assert booked.state is SessionStatus.CANCELLED and booked.end_reason == "On leave"


def test_no_show_after_the_time_only_by_the_other_side_never_evidence(tenant: int) -> None:
    keys = tier1_path(tenant)
    ben, ana = person(tenant, "ben", "Team lead"), person(tenant, "ana", "Tier 1 agent")
    choice = coaching.step_choices(ana.id, OfferKind.COACHING)[0].value
    session = coaching.book(actor(ana), slot(ben, offer(ben, booking="direct")), step=choice)
    with pytest.raises(coaching.Refused, match="once the session has started"):
        coaching.mark_no_show(actor(ben), session)
    happened(session)
    coaching.sign_off(actor(ana), session)
    with pytest.raises(coaching.Refused, match="they were there"):
        coaching.mark_no_show(actor(ben), session)
    # Another session: Ana never came.
    other = coaching.book(actor(ana), slot(ben, offer(ben, booking="direct"), hour=15), step=choice)
    happened(other)
    coaching.mark_no_show(actor(ben), other, "Waited 15 minutes")
    assert other.state is SessionStatus.NO_SHOW and other.absent_id == ana.id
    assert notes_of(ana)[-1] == "coach_no_show"
    with pytest.raises(coaching.Refused):
        coaching.sign_off(actor(ana), other)
    assert step_state(ana, keys["Coaching with your lead"])[0] is StepState.NOT_STARTED


def test_slots_are_checked_and_a_change_tells_the_learner(tenant: int) -> None:
    ben, ana = person(tenant, "ben", "Team lead"), person(tenant, "ana", "Tier 1 agent")
    o = offer(ben, booking="direct")
    _, errors = coaching.add_slot(
        actor(ben), o, coaching.SlotForm("2020-01-01", "10:00", "30", "Desk"), UTC
    )
    assert "future" in errors["day"]
    _, errors = coaching.add_slot(
        actor(ben), o, coaching.SlotForm("tomorrow", "25:00", "5", ""), UTC
    )
    assert set(errors) == {"day", "at", "minutes", "place"}
    _, errors = coaching.add_slot(
        actor(ben), o, coaching.SlotForm("2099-01-01", "10:00", "30", "javascript://x"), UTC
    )
    assert "day" in errors and "place" in errors
    s1 = slot(ben, o)
    day = s1.starts_at.date().isoformat()
    _, errors = coaching.add_slot(actor(ben), o, coaching.SlotForm(day, "10:15", "30", "Desk"), UTC)
    assert "already have a slot" in errors["at"]
    with pytest.raises(coaching.Forbidden):
        coaching.add_slot(actor(ana), o, coaching.SlotForm(day, "12:00", "30", "Desk"), UTC)
    with pytest.raises(coaching.Refused, match="your own slot"):
        coaching.book(actor(ben), s1)
    session = coaching.book(actor(ana), s1)
    assert not coaching.change_slot(
        actor(ben), s1, coaching.SlotForm(day, "11:00", "45", "Room B"), UTC
    )
    assert session.minutes == 45 and session.starts_at.hour == 11
    assert notes_of(ana) == ["coach_changed"]
    # Times are typed in the contact center's zone and stored in UTC.
    madrid = ZoneInfo("Europe/Madrid")
    later = (utcnow() + timedelta(days=60)).date()
    s2, _ = coaching.add_slot(
        actor(ben), o, coaching.SlotForm(later.isoformat(), "10:00", "30", "Desk"), madrid
    )
    offset = datetime.combine(later, time(10), madrid).utcoffset()
    assert s2 is not None and offset and offset.total_seconds() > 0
    assert s2.starts_at == datetime.combine(later, time(10)) - offset
    assert coaching.to_local(s2.starts_at, madrid).hour == 10


def test_a_session_is_seen_by_its_sides_the_learners_leader_and_staff(tenant: int) -> None:
    ben, ana, sam, tia = (
        person(tenant, "ben", "Team lead"),
        person(tenant, "ana", "Tier 1 agent"),
        person(tenant, "sam", "Senior agent"),
        person(tenant, "tia"),
    )
    team, _ = roles.save_team(tenant, None, "Team A", "tia")
    assert team is not None
    roles.add_member(tenant, team, "ana")
    session = coaching.book(actor(ana), slot(ben, offer(ben)))
    assert coaching.may_see(actor(ben), session) and coaching.may_see(actor(ana), session)
    assert coaching.may_see(actor(tia), session)  # Ana's team leader
    assert not coaching.may_see(actor(sam), session)
    assert coaching.may_see(coaching.Actor(tenant, sam.id, "Sam", is_staff=True), session)


def test_digest_shows_the_weeks_top_posts_by_people_of_a_role(tenant: int) -> None:
    ana, sam = person(tenant, "ana", "Tier 1 agent"), person(tenant, "sam", "Senior agent")
    chloe = person(tenant, "chloe")
    unlimited = community.Limits(posts_per_window=0)

    def who(p: Person, instructor: bool = False) -> community.Actor:
        return community.actor(
            tenant, p.id, is_instructor=instructor, is_leader=False, is_administrator=False
        )

    def share(p: Person, kind: Kind, title: str) -> Any:
        saved = community.create_post(
            who(p),
            kind,
            community.PostForm(title=title, body="Body", skill_ids=[skill("Empathy")]),
            unlimited,
        )
        return saved.row

    tip = share(ana, Kind.TIP, "Ana's tip")
    share(sam, Kind.TIP, "Sam's tip")
    question = share(sam, Kind.QUESTION, "Sam asks")
    community.create_answer(who(ana), question, "Ana answers", unlimited)
    community.verify(who(chloe, True), tip)
    tier1 = roles.match_role("Tier 1 agent")
    assert tier1 is not None
    this_week = peers.monday_of(utcnow().date())
    d = peers.digest(tier1.id, this_week)
    assert [p.title for p in d.tips] == ["Ana's tip"]
    assert [a.body_md for a in d.answers] == ["Ana answers"]
    assert [p.title for p in d.verified] == ["Ana's tip"]
    assert peers.digest(tier1.id, this_week - timedelta(days=7)).empty
    assert peers.parse_week("2026-W02", date(2026, 5, 5)) == date(2026, 1, 5)
    assert peers.parse_week("nonsense", date(2026, 5, 7)) == date(2026, 5, 4)
    assert peers.week_label(date(2026, 1, 5)) == "2026-W02"


def test_digest_follows_effective_roles_visibility_order_and_size(tenant: int) -> None:
    """Who counts as a member (the source with the higher rank wins; ended rows do not count),
    what is left out (hidden posts, answers on hidden questions, other weeks), the order of
    each list and its size."""
    unlimited = community.Limits(posts_per_window=0)
    tier1, senior = roles.match_role("Tier 1 agent"), roles.match_role("Senior agent")
    assert tier1 is not None and senior is not None
    ana, bo, cy = (person(tenant, s, "Tier 1 agent") for s in ("ana", "bo", "cy"))
    roles.set_source_role(ana, Source.LTI, tier1, by="lti")  # two sources agree: one person
    # Dee: Tier 1 from the LMS but Senior from an administrator, who outranks it.
    dee = person(tenant, "dee")
    roles.set_source_role(dee, Source.LTI, tier1, by="lti")
    roles.set_source_role(dee, Source.ADMIN, senior, by="test")
    # Eve: Senior from the LMS, Tier 1 from an administrator: a Tier 1 agent.
    eve = person(tenant, "eve")
    roles.set_source_role(eve, Source.LTI, senior, by="lti")
    roles.set_source_role(eve, Source.ADMIN, tier1, by="test")
    # Fay: Tier 1 from the LMS; the administrator's Senior row has ended.
    fay = person(tenant, "fay")
    roles.set_source_role(fay, Source.LTI, tier1, by="lti")
    roles.set_source_role(fay, Source.ADMIN, senior, by="test")
    roles.set_source_role(fay, Source.ADMIN, None, by="test")
    moderator = community.actor(
        tenant,
        person(tenant, "mo").id,
        is_instructor=True,
        is_leader=False,
        is_administrator=False,
    )
    monday = peers.monday_of(utcnow().date()) - timedelta(days=7)

    def who(p: Person) -> community.Actor:
        return community.actor(
            tenant, p.id, is_instructor=False, is_leader=False, is_administrator=False
        )

    def at(row: Any, day: int, helpful: int, hour: int = 9) -> Any:
        row.created_at = datetime.combine(monday + timedelta(days=day), time(hour))
        row.helpful_count = helpful
        db.session.flush()
        return row

    def share(p: Person, kind: Kind, title: str, day: int, helpful: int, hour: int = 9) -> Any:
        form = community.PostForm(title=title, body="Body", skill_ids=[skill("Empathy")])
        return at(community.create_post(who(p), kind, form, unlimited).row, day, helpful, hour)

    def answer(p: Person, question: Any, body: str, day: int, helpful: int) -> Any:
        return at(community.create_answer(who(p), question, body, unlimited).row, day, helpful)

    share(ana, Kind.TIP, "Ana 3", 1, 3)
    share(bo, Kind.TIP, "Bo 5", 2, 5)
    share(cy, Kind.TIP, "Cy 3 later", 4, 3)
    share(eve, Kind.TIP, "Eve 1", 0, 1)
    share(cy, Kind.TIP, "Cy last Sunday", -1, 9)
    share(cy, Kind.TIP, "Cy next Monday", 7, 9)
    share(dee, Kind.TIP, "Dee 9", 3, 9)
    share(fay, Kind.TIP, "Fay 9", 3, 9)
    hidden = share(ana, Kind.TIP, "Ana hidden", 3, 20)
    community.hide(moderator, community.Target.POST, hidden, "Off topic")
    share(ana, Kind.QUESTION, "Ana asks", 3, 8)  # a question is not a tip

    solved = share(dee, Kind.QUESTION, "Dee asks", 0, 0)
    answer(ana, solved, "Ana 1", 1, 1)
    answer(bo, solved, "Bo 4", 1, 4)
    accepted = answer(cy, solved, "Cy accepted 0", 2, 0)
    answer(dee, solved, "Dee 7", 2, 7)
    solved.accepted_answer_id = accepted.id
    # An answer to a question nobody accepted an answer for ranks by helpful votes, after the
    # accepted ones, on every database (NULL in the "accepted" key must not sort first).
    still_open = share(bo, Kind.QUESTION, "Bo asks", 0, 0)
    answer(eve, still_open, "Eve open 6", 1, 6)
    gone = share(dee, Kind.QUESTION, "Dee hidden question", 0, 0)
    answer(ana, gone, "Ana on hidden", 1, 9)
    community.hide(moderator, community.Target.POST, gone, "Off topic")

    d = peers.digest(tier1.id, monday)
    assert d.people == 5  # Ana, Bo, Cy, Eve, Fay (Dee is a Senior agent)
    assert [p.title for p in d.tips] == ["Fay 9", "Bo 5", "Cy 3 later", "Ana 3", "Eve 1"]
    assert [a.body_md for a in d.answers] == ["Cy accepted 0", "Eve open 6", "Bo 4", "Ana 1"]
    assert [a.post.title for a in d.answers] == ["Dee asks", "Bo asks", "Dee asks", "Dee asks"]
    assert d.verified == []
    assert [p.title for p in peers.digest(tier1.id, monday, size=2).tips] == ["Fay 9", "Bo 5"]
    s = peers.digest(senior.id, monday)
    assert s.people == 1 and [p.title for p in s.tips] == ["Dee 9"]
    assert [a.body_md for a in s.answers] == ["Dee 7"]

    verifier = community.actor(
        tenant,
        person(tenant, "vic").id,
        is_instructor=True,
        is_leader=False,
        is_administrator=False,
    )
    tips = {p.title: p for p in d.tips}
    for title, day, hour in (("Bo 5", 5, 9), ("Ana 3", 5, 11), ("Eve 1", 8, 9)):
        community.verify(verifier, tips[title])
        tips[title].verified_at = datetime.combine(monday + timedelta(days=day), time(hour))
    db.session.flush()
    db.session.expire_all()  # as in a new request
    d = peers.digest(tier1.id, monday)
    assert [p.title for p in d.verified] == ["Ana 3", "Bo 5"]  # newest first; Eve's next week
    assert [p.verified_by.name for p in d.verified if p.verified_by] == ["Vic", "Vic"]
    assert [s.name for s in d.tips[0].skills] == ["Empathy"] and d.tips[0].author is not None


def test_team_contributions_count_posts_answers_verifications_and_coaching(tenant: int) -> None:
    ben, ana, sam = (
        person(tenant, "ben", "Team lead"),
        person(tenant, "ana", "Tier 1 agent"),
        person(tenant, "sam", "Senior agent"),
    )
    team, _ = roles.save_team(tenant, None, "Team A", "ben")
    assert team is not None
    for sub in ("ana", "sam"):
        roles.add_member(tenant, team, sub)
    unlimited = community.Limits(posts_per_window=0)
    who = community.actor(
        tenant, ana.id, is_instructor=False, is_leader=False, is_administrator=False
    )
    community.create_post(
        who,
        Kind.TIP,
        community.PostForm(title="T", body="B", skill_ids=[skill("Empathy")]),
        unlimited,
    )
    session = coaching.book(actor(ana), slot(sam, offer(sam, booking="direct")))
    happened(session)
    coaching.sign_off(actor(sam), session)
    coaching.sign_off(actor(ana), session)
    result = peers.team_contributions(ben.id, utcnow() - timedelta(days=30))
    rows = {c.person.sub: c for c in result.members}
    assert (rows["ana"].tips, rows["ana"].learned, rows["ana"].coached) == (1, 1, 0)
    assert (rows["sam"].coached, rows["sam"].tips) == (1, 0)
    assert [p.title for p in result.recent_posts] == ["T"]
    assert peers.team_contributions(ana.id, utcnow()).members == []
