"""Training suggestions through real launches: suggest (with similar ones shown first), vote
once, withdraw, no vote for one's own, trainers answer, plan or close with a message the
suggester and voters see (and are notified of), and learners cannot do what trainers do."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select, update

from lti_tool.community.models import Notification
from lti_tool.extensions import db
from lti_tool.voice.models import Suggestion, SuggestionVote
from tests.community.conftest import FORBIDDEN, Session, text


def suggest(who: Session, title: str, details: str = "", confirm: bool = True) -> int:
    data = {"title": title, "details": details, "skill_id": ""}
    if confirm:
        data["confirm"] = "1"
    response = who.post("/voice/new", data)
    assert response.status_code == 303, text(response)[:800]
    found = re.search(r"/voice/(\d+)", response.headers["Location"])
    assert found
    return int(found.group(1))


def votes(app: Any, pk: int) -> tuple[int, int]:
    """The suggestion's vote counter and its number of vote rows (they must agree)."""
    with app.app_context():
        row = db.session.get(Suggestion, pk)
        assert row is not None
        n = db.session.scalar(select(func.count()).where(SuggestionVote.suggestion_id == pk))
        return row.votes, int(n or 0)


def test_suggest_shows_similar_ones_first_and_keeps_the_text(ana: Session, sam: Session) -> None:
    first = suggest(ana, "Handling billing disputes in Spanish", "Many callers speak Spanish.")
    page = text(ana.get(f"/voice/{first}"))
    assert "Handling billing disputes in Spanish" in page and "Many callers speak Spanish." in page
    assert "Your suggestion" in page  # no vote button for its author
    # Sam types something close: the first submit shows Ana's suggestion to vote for instead,
    # keeps what he typed, and saves nothing yet.
    check = sam.post("/voice/new", {"title": "Spanish for billing calls", "details": "Please!"})
    assert check.status_code == 200
    page = text(check)
    assert "Someone may have suggested this already" in page
    assert "Handling billing disputes in Spanish" in page
    assert 'value="Spanish for billing calls"' in check.text and ">Please!</textarea>" in check.text
    assert f'action="/voice/{first}/vote' in check.text
    # Posting anyway works.
    second = sam.follow(
        sam.post(
            "/voice/new", {"title": "Spanish for billing calls", "details": "x", "confirm": "1"}
        )
    )
    assert "Your suggestion is posted" in text(second)
    # Something unrelated is saved at once.
    response = sam.post("/voice/new", {"title": "Excel shortcuts for reporting"})
    assert response.status_code == 303


def test_bad_input_keeps_what_was_typed(ana: Session) -> None:
    long_title = "x" * 200
    response = ana.post("/voice/new", {"title": "", "details": "Callers ask about roaming."})
    assert response.status_code == 400
    assert "Say in a few words what you would like to learn." in text(response)
    assert ">Callers ask about roaming.</textarea>" in response.text
    response = ana.post("/voice/new", {"title": long_title, "skill_id": "99999"})
    assert response.status_code == 400
    page = text(response)
    assert "Use at most 160 characters (you wrote 200)" in page
    assert "Choose a skill from the list, or none." in page
    assert f'value="{long_title}"' in response.text


def test_vote_once_withdraw_and_not_ones_own(clean_app: Any, ana: Session, sam: Session) -> None:
    pk = suggest(ana, "Chargeback process walkthrough")
    # The author cannot vote for her own suggestion.
    own = ana.post(f"/voice/{pk}/vote")
    assert "This is your own suggestion" in text(ana.follow(own))
    assert votes(clean_app, pk) == (0, 0)
    # Sam votes once; a second vote changes nothing.
    assert "Your vote is counted" in text(sam.follow(sam.post(f"/voice/{pk}/vote")))
    assert votes(clean_app, pk) == (1, 1)
    again = text(sam.follow(sam.post(f"/voice/{pk}/vote")))
    assert "You voted for this already." in again
    assert votes(clean_app, pk) == (1, 1)
    listed = text(sam.get("/voice/"))
    assert "Chargeback process walkthrough" in listed and "Withdraw my vote" in listed
    # He withdraws; the count goes back to zero and he may vote again.
    assert "Your vote is withdrawn." in text(sam.follow(sam.post(f"/voice/{pk}/withdraw")))
    assert votes(clean_app, pk) == (0, 0)
    assert "You had not voted" in text(sam.follow(sam.post(f"/voice/{pk}/withdraw")))
    sam.post(f"/voice/{pk}/vote")
    assert votes(clean_app, pk) == (1, 1)


def test_list_orders_by_votes_filters_searches_and_pages(
    clean_app: Any, ana: Session, sam: Session, ben: Session
) -> None:
    low = suggest(ana, "Refund policy refresher")
    high = suggest(ana, "Calm voice techniques")
    for who in (sam, ben):
        who.post(f"/voice/{high}/vote")
    sam.post(f"/voice/{low}/vote")
    page = text(sam.get("/voice/"))
    assert page.index("Calm voice techniques") < page.index("Refund policy refresher")
    found = text(sam.get("/voice/?q=refund"))
    assert "Refund policy refresher" in found and "Calm voice techniques" not in found
    assert "No suggestion matches “nothing-like-this”" in text(
        sam.get("/voice/?q=nothing-like-this")
    )
    assert "Nothing here yet." in text(sam.get("/voice/?status=planned"))
    for i in range(21):
        suggest(ben, f"Topic number {i}")
    first = text(sam.get("/voice/?status=all"))
    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in text(sam.get("/voice/?status=all&page=2"))


def test_trainer_plans_and_closes_with_a_message_the_suggester_sees(
    clean_app: Any, chloe: Session, ana: Session, sam: Session
) -> None:
    pk = suggest(ana, "Roaming charges explained")
    sam.post(f"/voice/{pk}/vote")
    # A message is required; what was typed stays.
    bad = chloe.post(f"/voice/{pk}/decide", {"status": "planned", "message": "  "})
    assert bad.status_code == 400
    assert "Write a message" in text(bad)
    assert 'value="planned" checked' in bad.text
    done = chloe.post(
        f"/voice/{pk}/decide",
        {"status": "planned", "message": "A 20-minute module is coming in March."},
    )
    assert "now planned" in text(chloe.follow(done))
    page = text(ana.get(f"/voice/{pk}"))
    assert "Planned" in page and "A 20-minute module is coming in March." in page
    assert "Chloe Chen" in page
    mine = text(ana.get("/voice/mine"))
    assert "Roaming charges explained" in mine and "A 20-minute module is coming in March." in mine
    # Ana and Sam (a voter) get a notification leading to the suggestion.
    for who in (ana, sam):
        bell = who.get("/community/notifications")
        assert "Chloe Chen planned a training you suggested or voted for" in text(bell)
        note = re.search(r'action="(/community/notifications/(\d+)/open)', bell.text)
        assert note
        opened = who.post(note.group(1))
        assert opened.headers["Location"].startswith(f"/voice/{pk}?")
        assert "A 20-minute module is coming in March." in text(who.follow(opened))
    # Notifications from before suggestions were named on them lead to the person's list.
    with clean_app.app_context():
        db.session.execute(update(Notification).values(subject_id=None))
        db.session.commit()
    again = sam.post(note.group(1))  # the last one opened: Sam's
    assert again.headers["Location"].startswith("/voice/mine")
    # A vote can be taken back, but no new vote comes in once a trainer answered.
    assert "Your vote is withdrawn." in text(sam.follow(sam.post(f"/voice/{pk}/withdraw")))
    assert "Votes are closed" in text(sam.follow(sam.post(f"/voice/{pk}/vote")))
    # Closing says why.
    chloe.post(f"/voice/{pk}/decide", {"status": "closed", "message": "Covered by Billing 101."})
    assert "Covered by Billing 101." in text(ana.get(f"/voice/{pk}"))
    assert "Chloe Chen closed a training suggestion" in text(ana.get("/community/notifications"))
    closed = text(ana.get("/voice/?status=closed"))
    assert "Roaming charges explained" in closed


def test_learners_cannot_do_what_trainers_do(clean_app: Any, ana: Session, sam: Session) -> None:
    pk = suggest(ana, "Fraud red flags")
    response = sam.post(f"/voice/{pk}/decide", {"status": "closed", "message": "No."})
    assert response.status_code == 403 and FORBIDDEN in text(response)
    assert "Answer, plan or close" not in text(sam.get(f"/voice/{pk}"))
    with clean_app.app_context():
        row = db.session.get(Suggestion, pk)
        assert row is not None and row.status == "open" and row.message == ""
    assert sam.get("/voice/999999").status_code == 404
