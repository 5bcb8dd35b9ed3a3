"""Coaching and shadowing through the pages, with real launches: Ben offers coaching and adds a
slot, Ana asks for it for her path step, Ben confirms, both sign off and Ana's path shows the
step done; cancellation and no-show; notifications in the bell; the digest, skill and team
pages; who may see what, and another tenant's rows."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lti_tool.coaching.models import CoachingOffer, CoachingSession, CoachingSlot
from lti_tool.extensions import db
from lti_tool.lti.models import utcnow
from lti_tool.roles import services as roles
from lti_tool.tenancy import tenant_scope
from tests.coaching.conftest import publish_tier1_path, started
from tests.community.conftest import FORBIDDEN, Session, login, skill_ids, text
from tests.conftest import add_registration
from tests.harness import LEARNER, MANAGER, FakeLms


def tomorrow() -> str:
    return (utcnow() + timedelta(days=1)).date().isoformat()


def make_offer(coach: Session, skill: int, **extra: Any) -> int:
    response = coach.post(
        "/coaching/offers/new",
        {
            "kind": "coaching",
            "title": "De-escalation: bring me your hardest calls",
            "booking": "request",
            "skills": [skill],
            **extra,
        },
    )
    assert response.status_code == 303, text(response)[:600]
    return int(re.search(r"/coaching/offers/(\d+)", response.headers["Location"]).group(1))  # type: ignore[union-attr]


def add_slot(coach: Session, offer: int, at: str = "10:00", place: str = "Desk 4") -> int:
    coach.follow(
        coach.post(
            f"/coaching/offers/{offer}/slots",
            {"day": tomorrow(), "at": at, "minutes": "30", "place": place},
        )
    )
    page = coach.get(f"/coaching/offers/{offer}").text
    ids = re.findall(r"/coaching/slots/(\d+)/edit", page)
    assert ids
    return int(ids[-1])


def book(learner: Session, slot: int, **data: Any) -> int:
    response = learner.post(f"/coaching/slots/{slot}/book", data)
    assert response.status_code == 303, text(response)[:600]
    return int(re.search(r"/coaching/s/(\d+)", response.headers["Location"]).group(1))  # type: ignore[union-attr]


def test_offer_book_confirm_both_sign_off_and_the_path_shows_the_step_done(
    clean_app: Any, lms: FakeLms, chloe: Session, ana: Session, ben: Session
) -> None:
    keys = publish_tier1_path(clean_app, lms.registration_id)  # type: ignore[attr-defined]
    skills = skill_ids(clean_app)
    offer = make_offer(ben, skills["De-escalation"], description="One call, one thing to try.")
    slot = add_slot(ben, offer, place="https://meet.example.com/ben")
    page = text(ben.get(f"/coaching/offers/{offer}"))
    assert "Your slots" in page and "free" in page

    # Ana finds it from her coaching step and asks for the slot, for that step.
    step = ana.get(f"/paths/a/{_assignment(clean_app)}/{keys['Coaching on de-escalation']}")
    link = re.search(r'href="(/coaching/\?[^"]+)"', step.text)
    assert link and "kind=coaching" in link.group(1)
    listing = text(ana.browser.get(lms.tool_url + link.group(1).replace("&amp;", "&")))
    assert "De-escalation: bring me your hardest calls" in listing and "1 free slot" in listing
    offer_page = ana.get(f"/coaching/offers/{offer}")
    assert "call (link shown once booked)" in text(offer_page)
    assert "Coaching on de-escalation (First 90 days)" in text(offer_page)
    session = book(
        ana,
        slot,
        note="The shouting customer",
        step=f"{_assignment(clean_app)}:{keys['Coaching on de-escalation']}",
    )
    assert "waiting for the coach" in text(ana.get(f"/coaching/s/{session}"))
    assert "Ana Alvarez asks to book your session" in text(ben.get("/community/notifications"))
    assert "1 unread" in text(ben.get("/coaching/"))

    ben.follow(ben.post(f"/coaching/s/{session}/confirm"))
    mine = text(ana.get("/coaching/"))
    assert "Coming up" in mine and "with Ben Brooks" in mine and "booked" in mine
    assert "https://meet.example.com/ben" in ana.get(f"/coaching/s/{session}").text
    early = ana.post(f"/coaching/s/{session}/signoff", {"note": "Too early"})
    assert early.status_code == 409 and "once the session has started" in text(early)

    started(clean_app, session)
    ana.follow(ana.post(f"/coaching/s/{session}/signoff", {"note": "I will pause first"}))
    assert "signed off and asks for your sign-off" in text(ben.get("/community/notifications"))
    assert "waiting for your sign-off" in text(ben.get("/coaching/"))
    done = ben.follow(ben.post(f"/coaching/s/{session}/signoff", {"note": "Good progress"}))
    assert "Both of you signed off: it counts for “Coaching on de-escalation”" in text(done)
    session_page = text(ana.get(f"/coaching/s/{session}"))
    assert "done, both signed off" in session_page and "I will pause first" in session_page
    my_path = text(ana.get("/paths/"))
    assert "1 of 3 steps done" in my_path
    step_page = text(
        ana.get(f"/paths/a/{_assignment(clean_app)}/{keys['Coaching on de-escalation']}")
    )
    assert "a session both sides signed off" in step_page

    # The bell's notification opens the session.
    notes = ana.get("/community/notifications").text
    pk = re.search(r"/community/notifications/(\d+)/open", notes).group(1)  # type: ignore[union-attr]
    opened = ana.post(f"/community/notifications/{pk}/open")
    assert re.search(rf"/coaching/s/{session}\b", opened.headers["Location"])


def _assignment(app: Any) -> int:
    from lti_tool.paths.models import Assignment
    from lti_tool.people.models import Person

    with app.app_context():
        found = db.session.scalar(
            select(Assignment.id)
            .join(Person, Person.id == Assignment.person_id)
            .where(Person.sub == "ana")
        )
        assert found is not None
        return found


def test_forms_keep_what_was_typed_and_say_what_is_wrong(
    clean_app: Any, chloe: Session, ben: Session
) -> None:
    empty = ben.post("/coaching/offers/new", {"kind": "coaching", "title": "My offer"})
    assert empty.status_code == 400 and "Pick at least one skill" in text(empty)
    assert 'value="My offer"' in empty.text
    offer = make_offer(ben, skill_ids(clean_app)["Empathy"])
    bad = ben.post(
        f"/coaching/offers/{offer}/slots",
        {"day": "2020-01-01", "at": "10:00", "minutes": "30", "place": "Room 12"},
    )
    assert bad.status_code == 400 and "Choose a time in the future" in text(bad)
    assert 'value="Room 12"' in bad.text
    junk = ben.post(f"/coaching/offers/{offer}/slots", {"day": "x", "at": "y", "minutes": "z"})
    assert junk.status_code == 400 and "Say where" in text(junk)


def test_cancel_with_a_reason_frees_the_slot_and_no_show_never_counts(
    clean_app: Any, lms: FakeLms, chloe: Session, ana: Session, ben: Session, sam: Session
) -> None:
    publish_tier1_path(clean_app, lms.registration_id)  # type: ignore[attr-defined]
    skills = skill_ids(clean_app)
    offer = make_offer(ben, skills["De-escalation"], booking="direct")
    slot = add_slot(ben, offer)
    session = book(ana, slot)
    twice = ana.post(f"/coaching/slots/{slot}/book")  # her own second click: her session
    assert twice.headers["Location"].startswith(f"/coaching/s/{session}")
    assert "You booked this slot already" in text(ana.follow(twice))
    taken = sam.post(f"/coaching/slots/{slot}/book")
    assert taken.status_code == 409 and "No free slot right now" in text(taken)
    assert "Someone else booked this slot a moment ago" in text(taken)
    no_reason = ana.post(f"/coaching/s/{session}/cancel", {"reason": ""})
    assert no_reason.status_code == 400 and "Say why you cancel" in text(no_reason)
    ana.follow(ana.post(f"/coaching/s/{session}/cancel", {"reason": "Sick today"}))
    page = text(ben.get(f"/coaching/s/{session}"))
    assert "Cancelled by Ana Alvarez" in page and "Sick today" in page
    assert "Ana Alvarez cancelled" in text(ben.get("/community/notifications"))
    again = book(sam, slot)  # the slot is free again
    started(clean_app, again)
    ben.follow(ben.post(f"/coaching/s/{again}/noshow", {"note": "Waited 15 minutes"}))
    page = text(sam.get(f"/coaching/s/{again}"))
    assert "Marked as a no-show by Ben Brooks" in page and "does not count as evidence" in page
    assert "Ben Brooks marked you as not attending" in text(sam.get("/community/notifications"))
    with clean_app.app_context():
        row = db.session.get(CoachingSession, again)
        assert row is not None and row.evidence_for == "" and row.completed_at is None


def test_withdrawing_an_offer_and_removing_a_slot_ask_first_and_cancel_bookings(
    clean_app: Any, chloe: Session, ana: Session, ben: Session
) -> None:
    offer = make_offer(ben, skill_ids(clean_app)["Empathy"], booking="direct")
    slot = add_slot(ben, offer)
    session = book(ana, slot)
    confirm = ben.get(f"/coaching/slots/{slot}/remove")
    assert "Ana Alvarez booked it" in text(confirm) and "Keep it" in text(confirm)
    refused = ben.post(f"/coaching/offers/{offer}/withdraw", {"reason": ""})
    assert refused.status_code == 400 and "Say why" in text(refused)
    ben.follow(ben.post(f"/coaching/offers/{offer}/withdraw", {"reason": "Moving teams"}))
    assert "Moving teams" in text(ana.get(f"/coaching/s/{session}"))
    assert "withdrawn" in text(ana.get(f"/coaching/offers/{offer}"))
    # A withdrawn offer is done: the coach's page offers a new one, and old forms say why.
    page = text(ben.get(f"/coaching/offers/{offer}"))
    assert "Withdraw it" not in page and "make a new offer" in page
    assert "withdrawing the offer removed its free times" in page
    for path, data in (
        (f"/coaching/offers/{offer}/withdraw", {"reason": "Again"}),
        (f"/coaching/offers/{offer}/edit", {"title": "Changed", "booking": "direct"}),
        (f"/coaching/offers/{offer}/slots", {"day": "2030-01-07", "at": "10:00"}),
    ):
        stale = ben.post(path, data)
        assert stale.headers["Location"].startswith(f"/coaching/offers/{offer}"), path
        shown = text(ben.follow(stale))
        assert "withdrawn already" in shown or "This offer was withdrawn" in shown, path
    with clean_app.app_context():
        row = db.session.get(CoachingOffer, offer)
        assert row is not None and row.title != "Changed"


def test_a_slot_whose_session_is_done_is_not_booked_when_the_offer_is_withdrawn(
    clean_app: Any, ana: Session, ben: Session
) -> None:
    offer = make_offer(ben, skill_ids(clean_app)["Empathy"], booking="direct")
    held = book(ana, add_slot(ben, offer, at="09:00"))
    started(clean_app, held)
    ana.follow(ana.post(f"/coaching/s/{held}/signoff", {"note": "Useful"}))
    ben.follow(ben.post(f"/coaching/s/{held}/signoff", {"note": "Well done"}))
    live = book(ana, add_slot(ben, offer, at="11:00"))

    confirm = text(ben.get(f"/coaching/offers/{offer}/withdraw"))
    assert "1 slot is booked" in confirm and "2 slots" not in confirm
    done = ben.follow(ben.post(f"/coaching/offers/{offer}/withdraw", {"reason": "Moving teams"}))
    assert "1 booked session cancelled" in text(done)
    assert "done, both signed off" in text(ana.get(f"/coaching/s/{held}"))
    assert "Moving teams" in text(ana.get(f"/coaching/s/{live}"))


def test_only_the_sides_the_leader_and_staff_see_a_session_and_only_the_sides_act(
    clean_app: Any, lms: FakeLms, chloe: Session, ana: Session, ben: Session, sam: Session
) -> None:
    offer = make_offer(sam, skill_ids(clean_app)["Empathy"])
    session = book(ana, add_slot(sam, offer))
    assert ben.get(f"/coaching/s/{session}").status_code == 404  # not Ana's leader (yet)
    assert chloe.get(f"/coaching/s/{session}").status_code == 200  # a trainer
    assert chloe.post(f"/coaching/s/{session}/confirm").status_code == 403
    assert ana.post(f"/coaching/s/{session}/confirm").status_code == 403  # only the coach
    assert ana.get(f"/coaching/offers/{offer}/edit").status_code == 403
    assert ana.post(f"/coaching/offers/{offer}/slots", {"day": tomorrow()}).status_code == 403
    bare = ana.browser.post(ana.url(f"/coaching/s/{session}/cancel"), data={"reason": "x"})
    assert bare.status_code == 400 and "This form has expired" in bare.text  # CSRF

    other = FakeLms(client_id="client-2", deployment_id="dep-2")
    try:
        other.connect(lms.tool_url)
        add_registration(clean_app, other)
        zed = login(other, "zed", [LEARNER], "Zed", "zed@example.com")
        for path in (
            f"/coaching/s/{session}",
            f"/coaching/offers/{offer}",
            f"/community/skills/{skill_ids(clean_app)['Empathy']}",
        ):
            assert zed.get(path).status_code == 404, path
        assert "Sam Smith" not in text(zed.get("/coaching/"))
        assert zed.post(f"/coaching/slots/{offer}/book").status_code == 404
    finally:
        other.server.stop()


def test_digest_skill_and_team_pages(
    clean_app: Any, lms: FakeLms, chloe: Session, ana: Session, ben: Session, sam: Session
) -> None:
    skills = skill_ids(clean_app)
    tip = ana.share("tip", "Pause before answering", "Count to two.", [skills["De-escalation"]])
    chloe.follow(chloe.post(f"/community/p/{tip}/verify"))
    offer = make_offer(ben, skills["De-escalation"])
    add_slot(ben, offer)
    with clean_app.app_context(), tenant_scope(db.session, lms.registration_id):  # type: ignore[attr-defined]
        tier1 = roles.match_role("Tier 1 agent")
        assert tier1 is not None
        tier1_id = tier1.id
        team, _ = roles.save_team(lms.registration_id, None, "Team A", "ben@example.com")  # type: ignore[attr-defined]
        assert team is not None
        roles.add_member(lms.registration_id, team, "ana")  # type: ignore[attr-defined]
        # The catalog's items for the skill (lti_tool/catalog), one hidden by a trainer.
        from tests.catalog.test_search import add_item

        for title, hidden in (("Calm calls course", False), ("Hidden calm course", True)):
            add_item(
                lms.registration_id,  # type: ignore[attr-defined]
                title,
                skills=(skills["De-escalation"],),
                hidden=hidden,
            )
        db.session.commit()

    digest = text(ana.get("/community/digest"))  # her own role by default
    assert "Top tips" in digest and "Pause before answering" in digest
    assert "Verified that week" in digest and "Next week" not in digest
    previous = re.search(
        r'href="(/community/digest\?[^"]*week=[^"]+)"', ana.get("/community/digest").text
    )
    assert previous is not None
    before = text(ana.browser.get(lms.tool_url + previous.group(1).replace("&amp;", "&")))
    assert "Nothing shared by Tier 1 agents that week" in before and "Next week" in before
    senior = roles_page_id(clean_app, lms, "Senior agent")
    assert "Nothing shared by Senior agents" in text(ana.get(f"/community/digest?role={senior}"))
    assert ana.get(f"/community/digest?role={tier1_id}&week=garbage").status_code == 200

    feed = ana.get("/community/").text
    assert f"/community/skills/{skills['De-escalation']}" in feed  # tags link the skill page
    page = text(ana.get(f"/community/skills/{skills['De-escalation']}"))
    assert "Pause before answering" in page and "De-escalation: bring me your hardest calls" in page
    assert "Experts" in page and "Ben Brooks" in page
    assert "From the catalog" in page and "Calm calls course" in page
    assert "Hidden calm course" not in page
    assert "From the catalog" not in text(ana.get(f"/community/skills/{skills['Empathy']}"))
    assert ana.get("/community/skills/999999").status_code == 404
    assert "De-escalation" in text(ana.get("/community/skills/"))

    assert ana.get("/community/team").status_code == 403
    assert FORBIDDEN in ana.get("/community/team").text
    team_page = text(ben.get("/community/team"))
    assert "Ana Alvarez" in team_page and "Pause before answering" in team_page
    assert "My team's contributions" in text(ben.get("/community/"))
    assert "My team's contributions" not in text(ana.get("/community/"))


def roles_page_id(app: Any, lms: FakeLms, name: str) -> int:
    with app.app_context(), tenant_scope(db.session, lms.registration_id):  # type: ignore[attr-defined]
        found = roles.match_role(name)
        assert found is not None
        return found.id


def _field_error(page: str, field_id: str) -> str:
    """The error message shown under the field `field_id`, which must point at it."""
    tag = re.search(rf'<(?:textarea|select)[^>]*id="{field_id}"[^>]*>', page)
    assert tag is not None, field_id
    assert 'aria-invalid="true"' in tag.group(0), tag.group(0)
    described = re.search(r'aria-describedby="([^"]+)"', tag.group(0))
    assert described is not None, tag.group(0)
    error = re.search(rf'<p class="error" id="{described.group(1).split()[-1]}">([^<]+)</p>', page)
    assert error is not None, described.group(1)
    return error.group(1)


def test_a_too_long_note_or_reason_is_a_wrong_form_said_at_the_field_with_the_text_kept(
    clean_app: Any, lms: FakeLms, chloe: Session, ana: Session, ben: Session
) -> None:
    """A note or reason over the limit is the person's form to correct (400), not a clash with
    someone else (409): the message stands under the field and what they typed stays there."""
    skills = skill_ids(clean_app)
    offer = make_offer(ben, skills["De-escalation"], booking="direct")
    slot = add_slot(ben, offer)
    long_note = "The shouting customer, again. " * 140  # over 4000 characters
    refused = ana.post(f"/coaching/slots/{slot}/book", {"note": long_note})
    assert refused.status_code == 400
    assert _field_error(refused.text, f"note-{slot}") == "Use at most 4000 characters in the note."
    assert long_note.strip() in html.unescape(refused.text)
    bad_step = ana.post(f"/coaching/slots/{slot}/book", {"note": "Short", "step": "1:nope"})
    assert bad_step.status_code == 400  # a step that is not hers: nothing else to pick
    with clean_app.app_context():
        assert db.session.scalar(select(CoachingSession.id)) is None

    session = book(ana, slot)
    long_reason = "Sick. " * 200  # over 1000 characters
    wrong = ana.post(f"/coaching/s/{session}/cancel", {"reason": long_reason})
    assert wrong.status_code == 400
    assert _field_error(wrong.text, "cancel-reason") == "Use at most 1000 characters."
    assert long_reason.strip() in html.unescape(wrong.text)
    empty = ana.post(f"/coaching/s/{session}/cancel", {"reason": " "})
    assert empty.status_code == 400
    assert (
        _field_error(empty.text, "cancel-reason") == "Say why you cancel: the other person sees it."
    )

    started(clean_app, session)
    for action, field, limit in (
        ("signoff", "signoff-note", 4000),
        ("noshow", "noshow-note", 1000),
    ):
        typed = "Long story. " * 400  # over both limits
        wrong = ben.post(f"/coaching/s/{session}/{action}", {"note": typed})
        assert wrong.status_code == 400, action
        assert _field_error(wrong.text, field) == f"Use at most {limit} characters.", action
        assert typed.strip() in html.unescape(wrong.text), action
    with clean_app.app_context():
        row = db.session.get(CoachingSession, session)
        assert row is not None and row.status == "confirmed" and row.coach_signed_at is None

    confirm = ben.post(f"/coaching/slots/{slot}/remove", {"reason": ""})
    assert confirm.status_code == 400
    assert _field_error(confirm.text, "reason") == "Say why, for the person who booked it."
    withdraw = ben.post(f"/coaching/offers/{offer}/withdraw", {"reason": ""})
    assert withdraw.status_code == 400
    assert "Say why" in _field_error(withdraw.text, "reason")


def test_each_side_sees_and_types_times_in_their_own_time_zone(
    clean_app: Any, lms: FakeLms, chloe: Session
) -> None:
    """Ben's LMS says Madrid, Ana's Mexico City; Dev's says nothing (COACHING_TIMEZONE, UTC
    in the tests). A slot Ben types for 18:00 is 18:00 on his pages, 10:00 or 11:00 on Ana's
    (Madrid is 7 or 8 hours ahead of Mexico City, which keeps no summer time) and 16:00 or
    17:00 on Dev's, each page naming its zone by its city."""
    ben = login(
        lms,
        "ben",
        [MANAGER, LEARNER],
        "Ben Brooks",
        "ben@example.com",
        "Team lead",
        timezone="Europe/Madrid",
    )
    ana = login(
        lms,
        "ana",
        [LEARNER],
        "Ana Alvarez",
        "ana@example.com",
        "Tier 1 agent",
        timezone="America/Mexico_City",
    )
    dev = login(lms, "dev", [LEARNER], "Dev Desai", "dev@example.com", "Tier 1 agent")
    offer = make_offer(ben, skill_ids(clean_app)["Empathy"], booking="direct")
    slot = add_slot(ben, offer, at="18:00")
    day = datetime.combine(date.fromisoformat(tomorrow()), time(18), ZoneInfo("Europe/Madrid"))
    expected = {
        "Europe/Madrid": "18:00",
        "America/Mexico_City": day.astimezone(ZoneInfo("America/Mexico_City")).strftime("%H:%M"),
        "UTC": day.astimezone(ZoneInfo("UTC")).strftime("%H:%M"),
    }
    assert len(set(expected.values())) == 3
    for who, zone, city in (
        (ben, "Europe/Madrid", "Madrid"),
        (ana, "America/Mexico_City", "Mexico City"),
        (dev, "UTC", "UTC"),
    ):
        page = text(who.get(f"/coaching/offers/{offer}"))
        assert f"({city} time)" in page
        assert expected[zone] in page
        assert f"Times are {city} time." in text(who.get("/coaching/"))
    with clean_app.app_context():  # stored in UTC
        row = db.session.get(CoachingSlot, slot)
        assert row is not None
        assert row.starts_at.strftime("%H:%M") == expected["UTC"]
    session = book(ana, slot)
    page = text(ana.get(f"/coaching/s/{session}"))
    assert f"{expected['America/Mexico_City']} (Mexico City)" in page
    page = text(ben.get(f"/coaching/s/{session}"))
    assert "18:00 (Madrid)" in page
