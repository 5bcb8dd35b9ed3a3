"""Tips and questions end to end through real launches: share, answer, accept, verify, helpful,
notifications, mentions, ask an expert, edit history, review."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from lti_tool.community.models import Post
from lti_tool.extensions import db
from tests.community.conftest import Session, skill_ids, text


def test_question_answer_accept_and_notifications(
    clean_app: Any, chloe: Session, ana: Session, ben: Session, sam: Session
) -> None:
    skills = skill_ids(clean_app)
    empty = ana.get("/community/")
    assert "Nothing shared yet" in text(empty) and "Share a tip" in text(empty)

    qid = ana.share(
        "question",
        "How do I calm a caller who was double charged?",
        "They are angry and want a manager. What do you say first?",
        [skills["De-escalation"]],
        notify_experts="1",
    )
    # Ben (team lead: expert level in De-escalation) is asked and sees it waiting for him.
    assert "1 unread" in text(ben.get("/community/"))
    waiting = text(ben.get("/community/unanswered"))
    assert "In your skills" in waiting and "double charged" in waiting
    notes = text(ben.get("/community/notifications"))
    assert "Ana Alvarez asks for your expertise on “How do I calm a caller" in notes

    # A second click on Post (or the form sent again from history) finds the first, no copy.
    again = ana.post(
        "/community/new/question",
        {
            "title": "How do I calm a caller who was double charged?",
            "body": "They are angry and want a manager. What do you say first?",
            "skills": [skills["De-escalation"]],
            "notify_experts": "1",
        },
    )
    assert again.headers["Location"].startswith(f"/community/p/{qid}")
    assert "You posted this a moment ago" in text(ana.follow(again))
    aid = ben.answer(qid, "Acknowledge first: *I can see why that is upsetting*. Ask @[Sam Smith].")
    assert (
        ben.answer(qid, "Acknowledge first: *I can see why that is upsetting*. Ask @[Sam Smith].")
        == aid
    )
    sid = sam.answer(qid, "Offer the refund timeline before they ask.")
    page = text(ana.get(f"/community/p/{qid}"))
    assert "2 answers" in page and "Acknowledge first" in page
    assert "Ben Brooks answered your question" in text(ana.get("/community/notifications"))
    assert "Ben Brooks mentioned you in" in text(sam.get("/community/notifications"))

    # Only the asker accepts; the accepted answer comes first.
    ana.follow(ana.post(f"/community/a/{sid}/accept"))
    shown = ana.get(f"/community/p/{qid}").text
    assert shown.index(f'id="answer-{sid}"') < shown.index(f'id="answer-{aid}"')
    assert "Accepted by Ana Alvarez" in text(ana.get(f"/community/p/{qid}"))
    assert "Sam Smith accepted" not in text(sam.get("/community/notifications"))
    assert "Ana Alvarez accepted your answer to" in text(sam.get("/community/notifications"))
    assert "double charged" not in text(ben.get("/community/unanswered"))

    # Helpful once each, never on one's own answer.
    ana.follow(ana.post(f"/community/answer/{aid}/helpful"))
    again = ana.follow(ana.post(f"/community/answer/{aid}/helpful"))
    assert "You marked this already" in text(again)
    own = ben.follow(ben.post(f"/community/answer/{aid}/helpful"))
    assert "not your own" in text(own)
    assert "1 found it helpful" in text(sam.get(f"/community/p/{qid}"))

    # Reading a notification marks it read; the bell's count drops.
    ana_notes = ana.get("/community/notifications").text
    assert "2 unread" in text(ana.get("/community/"))  # Ben's and Sam's answers
    nid = re.search(r"/community/notifications/(\d+)/open", ana_notes)
    assert nid
    opened = ana.post(f"/community/notifications/{nid.group(1)}/open")
    assert opened.status_code == 303 and f"/community/p/{qid}" in opened.headers["Location"]
    assert "1 unread" in text(ana.get("/community/"))
    ana.follow(ana.post("/community/notifications/read"))
    assert "unread" not in text(ana.get("/community/"))


def test_a_deleted_post_is_not_deleted_again_or_edited_from_an_old_page(
    clean_app: Any, chloe: Session, ana: Session
) -> None:
    tip = ana.share(
        "tip", "Greet by name", "Use the caller's name once.", [skill_ids(clean_app)["Empathy"]]
    )
    ana.follow(ana.post(f"/community/post/{tip}/delete"))
    for path, data in (
        (f"/community/post/{tip}/delete", {}),
        (f"/community/p/{tip}/edit", {"title": "Changed", "body": "Changed"}),
    ):
        stale = ana.post(path, data)
        assert stale.status_code == 303, path
        assert "This was deleted, so it cannot be changed" in text(ana.follow(stale)), path
    with clean_app.app_context():
        row = db.session.get(Post, tip)
        assert row is not None and row.title == "Greet by name" and row.status == "deleted"


def test_tip_verified_by_expert_and_review(
    clean_app: Any, chloe: Session, ana: Session, ben: Session, sam: Session
) -> None:
    skills = skill_ids(clean_app)
    tid = ana.share(
        "tip",
        "Say the refund date out loud",
        "# Why\nCallers calm down when they hear a **date**. See [the policy](https://kb.example.com/refunds).",
        [skills["De-escalation"], skills["Product knowledge"]],
        contact_reason="Billing dispute",
        kb_url="https://kb.example.com/refunds",
    )
    page = ana.get(f"/community/p/{tid}")
    assert "<h3>Why</h3>" in page.text
    assert 'href="https://kb.example.com/refunds" rel="nofollow noopener"' in page.text
    assert "Not verified yet" in text(page) and "Contact reason: Billing dispute" in text(page)
    # Ana cannot verify her own tip; Sam (no expertise) cannot verify; Ben (expert) can.
    assert "Verify: this is right" not in text(page)
    assert "Verify: this is right" not in text(sam.get(f"/community/p/{tid}"))
    refused = sam.post(f"/community/p/{tid}/verify")
    assert refused.status_code == 403
    ben.follow(ben.post(f"/community/p/{tid}/verify"))
    assert "Verified by Ben Brooks" in text(sam.get(f"/community/p/{tid}"))
    assert "Ben Brooks verified your tip" in text(ana.get("/community/notifications"))

    # The article changes: the tip is due for review until verified again.
    chloe.follow(
        chloe.post("/community/review/article", {"kb_url": "https://kb.example.com/refunds"})
    )
    queue = text(chloe.get("/community/review"))
    assert (
        "Say the refund date out loud : its knowledge-base article was marked as changed" in queue
    )
    assert "Due for review" in text(ana.get(f"/community/p/{tid}"))
    chloe.follow(chloe.post(f"/community/p/{tid}/verify"))
    assert "Say the refund date out loud" not in text(chloe.get("/community/review"))
    # An old tip is due after COMMUNITY_REVIEW_DAYS.
    with clean_app.app_context():
        from datetime import timedelta

        row = db.session.scalar(select(Post).where(Post.id == tid))
        assert row is not None
        row.verified_at = row.verified_at - timedelta(days=181)  # type: ignore[operator]
        db.session.commit()
    assert "was verified more than 180 days ago" in text(chloe.get("/community/review"))


def test_edit_history_is_kept_and_moderator_edit_needs_reason(
    clean_app: Any, chloe: Session, ana: Session
) -> None:
    skills = skill_ids(clean_app)
    tid = ana.share("tip", "First title", "First text", [skills["Empathy"]])
    form = {"title": "Better title", "body": "Second text", "skills": [skills["Empathy"]]}
    ana.follow(ana.post(f"/community/p/{tid}/edit", form))
    refused = chloe.post(f"/community/p/{tid}/edit", {**form, "body": "Third text"})
    assert refused.status_code == 400 and "Say why you change" in text(refused)
    chloe.follow(
        chloe.post(f"/community/p/{tid}/edit", {**form, "body": "Third", "reason": "typo"})
    )
    history = text(ana.get(f"/community/post/{tid}/history"))
    assert "First text" in history and "Second text" in history and "“typo”" in history
    assert "edit by Chloe Chen: “typo”" in history


def test_the_post_form_allows_exactly_what_is_accepted(clean_app: Any, ana: Session) -> None:
    """Each field's maxlength is the length the post is checked against: a phone stops the
    typing where the check would, and what the form lets through is saved."""
    form = ana.get("/community/new/question").text
    allowed = {
        name: int(n)
        for name, n in re.findall(r'<input id="(\w+)" name="\w+"[^>]*maxlength="(\d+)"', form)
    }
    assert {"title", "contact_reason", "kb_url"} <= set(allowed)
    saved = ana.post(
        "/community/new/question",
        {
            "title": "T" * allowed["title"],
            "body": "What do you say first?",
            "contact_reason": "c" * allowed["contact_reason"],
            "skills": [skill_ids(clean_app)["De-escalation"]],
        },
    )
    assert saved.status_code == 303, text(saved)[:800]
