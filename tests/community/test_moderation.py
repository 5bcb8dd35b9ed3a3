"""Flags, the review queue, hide/restore/delete with reasons recorded and undone; posting rate
limits through the shared store; full-text search on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select, union
from sqlalchemy import text as sql

from lti_tool.community import services
from lti_tool.community.models import Answer, Flag, ModerationAction, Post
from lti_tool.extensions import db
from lti_tool.tenancy import tenant_scope
from tests.community.conftest import Session, skill_ids, text
from tests.conftest import DATABASE_URL


def _actions(app: Any) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [
            (a.target, a.action, a.reason)
            for a in db.session.scalars(select(ModerationAction).order_by(ModerationAction.id))
        ]


def test_flag_hide_restore_are_recorded_and_reversible(
    clean_app: Any, chloe: Session, ana: Session, sam: Session, ben: Session
) -> None:
    skills = skill_ids(clean_app)
    qid = ana.share(
        "question", "Where is the refund form?", "Details", [skills["Systems navigation"]]
    )
    aid = sam.answer(qid, "Call me on my personal number 555-0100")
    ana.follow(ana.post(f"/community/answer/{aid}/flag", {"reason": "Personal phone number"}))
    again = ana.follow(ana.post(f"/community/answer/{aid}/flag", {"reason": "again"}))
    assert "You flagged this already" in text(again)
    empty = ana.follow(ana.post(f"/community/answer/{aid}/flag", {"reason": " "}))
    assert "Say what is wrong" in text(empty)

    queue = text(chloe.get("/community/review"))
    assert "Flagged (1)" in queue and "Ana Alvarez: “Personal phone number”" in queue
    assert "1 flagged item to review" in text(chloe.get("/community/"))

    no_reason = chloe.post(f"/community/answer/{aid}/moderate", {"action": "hide", "reason": ""})
    assert no_reason.status_code == 400 and "Say why it is hidden" in text(no_reason)
    chloe.follow(
        chloe.post(
            f"/community/answer/{aid}/moderate", {"action": "hide", "reason": "Phone number"}
        )
    )
    assert "555-0100" not in text(ben.get(f"/community/p/{qid}"))
    assert "0 answers" in text(ben.get(f"/community/p/{qid}"))
    own = text(sam.get(f"/community/p/{qid}"))
    assert "555-0100" in own and "Hidden by a moderator" in own and "“Phone number”" in own
    assert "Flagged (0)" in text(chloe.get("/community/review"))
    assert "Hidden or deleted (1)" in text(chloe.get("/community/review"))

    chloe.follow(
        chloe.post(
            f"/community/answer/{aid}/moderate", {"action": "restore", "reason": "Number is fake"}
        )
    )
    assert "555-0100" in text(ben.get(f"/community/p/{qid}"))
    assert _actions(clean_app) == [
        ("answer", "hide", "Phone number"),
        ("answer", "restore", "Number is fake"),
    ]
    with clean_app.app_context():
        flag = db.session.scalar(select(Flag))
        assert flag is not None and flag.resolution == "hidden" and flag.resolved_at is not None
    log = text(chloe.get(f"/community/answer/{aid}/moderate"))
    assert "hide by Chloe Chen: “Phone number”" in log
    assert "restore by Chloe Chen: “Number is fake”" in log


def test_deleted_post_is_gone_for_others_and_a_moderator_restores_it(
    clean_app: Any, chloe: Session, ana: Session, sam: Session
) -> None:
    skills = skill_ids(clean_app)
    tid = ana.share("tip", "Use the hold button wisely", "Text", [skills["Call control"]])
    ana.follow(ana.post(f"/community/post/{tid}/delete"))
    assert "Use the hold button" not in text(sam.get("/community/"))
    assert sam.get(f"/community/p/{tid}").status_code == 404
    assert "This was deleted" in text(ana.get(f"/community/p/{tid}"))
    assert "Use the hold button wisely" in text(chloe.get("/community/review"))
    chloe.follow(
        chloe.post(
            f"/community/post/{tid}/moderate", {"action": "restore", "reason": "Asked by Ana"}
        )
    )
    assert "Use the hold button wisely" in text(sam.get("/community/"))
    assert [a[1] for a in _actions(clean_app)] == ["delete", "restore"]


def test_posting_is_rate_limited_per_person(
    clean_app: Any, chloe: Session, ana: Session, sam: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(clean_app.config, "COMMUNITY_POST_LIMIT", 3)
    monkeypatch.setitem(clean_app.config, "COMMUNITY_POST_WINDOW_SECONDS", 600)
    skills = skill_ids(clean_app)
    qid = ana.share("question", "One", "Text", [skills["Empathy"]])
    ana.answer(qid, "Two")
    ana.share("tip", "Three", "Text", [skills["Empathy"]])
    refused = ana.post(
        "/community/new/tip", {"title": "Four", "body": "Kept text", "skills": [skills["Empathy"]]}
    )
    assert refused.status_code == 429
    assert "You have posted 3 times in the last 10 minutes" in text(refused)
    assert "Kept text" in refused.text  # what she wrote is still in the form
    answer = ana.post(f"/community/p/{qid}/answers", {"body": "Five"})
    assert answer.status_code == 429 and "Five" in answer.text
    # Sam has his own allowance; a form with mistakes takes nothing from it.
    for n in range(3):
        assert sam.post("/community/new/tip", {"title": "", "body": ""}).status_code == 400
        sam.share("tip", f"Sam {n}", "Text", [skills["Empathy"]])
    with clean_app.app_context():
        titles = set(db.session.scalars(select(Post.title)))
    assert "Four" not in titles and {"One", "Three", "Sam 0", "Sam 2"} <= titles


def test_rate_limit_slots_live_in_the_shared_store(clean_app: Any) -> None:
    """Two app instances (two processes' worth) share one allowance through the store."""
    from lti_tool import create_app

    other_app = create_app(dict(clean_app.config))
    who = services.Actor(registration_id=1, person_id=42)
    limits = services.Limits(posts_per_window=2, window_seconds=600)
    now = 1_000_000.0
    taken = []
    for app in (clean_app, other_app, clean_app):
        with app.app_context():
            taken.append(services.take_post_slot(who, limits, now))
            db.session.commit()
    assert taken == [True, True, False]
    with clean_app.app_context():
        assert services.take_post_slot(who, limits, now + 600)  # the next window
        db.session.commit()


def test_search_over_posts_and_answers(
    clean_app: Any, chloe: Session, ana: Session, sam: Session
) -> None:
    skills = skill_ids(clean_app)
    tip = ana.share(
        "tip", "Refund timeline script", "Tell the caller the refund date.", [skills["Empathy"]]
    )
    qid = sam.share(
        "question", "Disputed card payment", "What do I say?", [skills["Product knowledge"]]
    )
    ana.answer(qid, "Open a chargeback case in the billing system first.")
    hidden = ana.share("tip", "Chargeback secret", "Hidden text", [skills["Systems navigation"]])
    chloe.follow(
        chloe.post(f"/community/post/{hidden}/moderate", {"action": "hide", "reason": "wrong"})
    )
    ana.share(
        "question", "100% sure_thing", "Percent and underscore", [skills["Systems navigation"]]
    )

    found = text(sam.get("/community/?q=chargeback"))
    assert "Disputed card payment" in found  # through its answer
    assert "Chargeback secret" not in found  # hidden
    assert "Refund timeline" not in found
    found = text(sam.get("/community/?q=refund+timeline"))
    assert "Refund timeline script" in found and "Disputed" not in found
    assert "Refund timeline script" in text(sam.get("/community/?q=REFUND&kind=tip"))
    assert "Refund timeline" not in text(sam.get("/community/?q=refund&kind=question"))
    narrowed = text(sam.get(f"/community/?q=refund&skill={skills['Systems navigation']}"))
    assert "Nothing matches “refund”" in narrowed
    # LIKE wildcards and tsquery syntax in the words are taken literally, never an error.
    for odd in ("%25", "_", "a:*|!(", "'\"", "-refund"):
        assert sam.get(f"/community/?q={odd}").status_code == 200, odd
    assert "Refund timeline" not in text(sam.get("/community/?q=%25"))
    assert str(tip) and qid


@pytest.mark.skipif(not DATABASE_URL, reason="PostgreSQL only: the GIN indexes")
def test_postgres_search_uses_the_gin_indexes(clean_app: Any, ana: Session) -> None:
    """Rare words are found through the GIN indexes of the stored tsvector columns (common
    words through the newest rows, whichever the planner finds cheaper)."""
    with clean_app.app_context(), tenant_scope(db.session, 1):
        post_doc, answer_doc, tsquery = services._pg_search_terms("refund")
        query = union(
            select(Post.id).where(post_doc.op("@@")(tsquery)),
            select(Answer.post_id).where(answer_doc.op("@@")(tsquery)),
        )
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        db.session.execute(sql("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in db.session.execute(sql(f"EXPLAIN {compiled}")))
        db.session.rollback()
    assert "ix_community_posts_search" in plan, plan
    assert "ix_community_answers_search" in plan, plan
    assert re.search(r"Bitmap Index Scan", plan)
