"""Who may do what, through real launches: roles x actions (edit, delete, hide, verify, accept)
on one's own content and on others'; another tenant's content is never visible; CSRF."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from lti_tool.community.models import Answer, Post
from lti_tool.extensions import db
from tests.community.conftest import Session, login, skill_ids, text
from tests.conftest import add_registration
from tests.harness import LEARNER, FakeLms

ALLOWED, FORBIDDEN = 303, 403

# who -> action -> (on own content, on someone else's)
# Ben leads a team (Team lead: expert level in De-escalation, not in Empathy); Dev is an LMS
# administrator (not a trainer); Mo is a learner Chloe made a moderator.
MATRIX: dict[str, dict[str, tuple[int, int]]] = {
    "ana": {
        "edit": (ALLOWED, FORBIDDEN),
        "delete": (ALLOWED, FORBIDDEN),
        "hide": (FORBIDDEN, FORBIDDEN),
        "verify": (FORBIDDEN, FORBIDDEN),
        "verify_expert_skill": (FORBIDDEN, FORBIDDEN),
        "accept": (ALLOWED, FORBIDDEN),
    },
    "ben": {
        "edit": (ALLOWED, FORBIDDEN),
        "delete": (ALLOWED, FORBIDDEN),
        "hide": (FORBIDDEN, FORBIDDEN),
        "verify": (FORBIDDEN, FORBIDDEN),
        "verify_expert_skill": (FORBIDDEN, ALLOWED),
        "accept": (ALLOWED, FORBIDDEN),
    },
    "chloe": {
        "edit": (ALLOWED, ALLOWED),
        "delete": (ALLOWED, ALLOWED),
        "hide": (ALLOWED, ALLOWED),
        "verify": (FORBIDDEN, ALLOWED),
        "verify_expert_skill": (FORBIDDEN, ALLOWED),
        "accept": (ALLOWED, FORBIDDEN),
    },
    "dev": {
        "edit": (ALLOWED, FORBIDDEN),
        "delete": (ALLOWED, FORBIDDEN),
        "hide": (FORBIDDEN, FORBIDDEN),
        "verify": (FORBIDDEN, FORBIDDEN),
        "verify_expert_skill": (FORBIDDEN, FORBIDDEN),
        "accept": (ALLOWED, FORBIDDEN),
    },
    "mo": {
        "edit": (ALLOWED, ALLOWED),
        "delete": (ALLOWED, ALLOWED),
        "hide": (ALLOWED, ALLOWED),
        "verify": (FORBIDDEN, FORBIDDEN),
        "verify_expert_skill": (FORBIDDEN, FORBIDDEN),
        "accept": (ALLOWED, FORBIDDEN),
    },
}


def _post_state(app: Any, pk: int) -> tuple[str, str, int | None, int | None]:
    with app.app_context():
        row = db.session.scalar(select(Post).where(Post.id == pk))
        assert row is not None
        return row.status, row.title, row.verified_by_id, row.accepted_answer_id


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_authorization_matrix(
    who: str,
    lms: FakeLms,
    clean_app: Any,
    chloe: Session,
    ana: Session,
    ben: Session,
    dev: Session,
    sam: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(clean_app.config, "COMMUNITY_POST_LIMIT", 0)
    mo = login(lms, "mo", [LEARNER], "Mo Moderator", "mo@example.com", "Senior agent")
    chloe.follow(chloe.post("/community/people", {"person": "mo@example.com", "kind": "moderator"}))
    people = {"ana": ana, "ben": ben, "chloe": chloe, "dev": dev, "mo": mo}
    me = people[who]
    skills = skill_ids(clean_app)
    empathy, deesc = [skills["Empathy"]], [skills["De-escalation"]]

    for side, author, other in ((0, me, sam), (1, sam, ana if who != "ana" else ben)):
        expected = {action: codes[side] for action, codes in MATRIX[who].items()}
        label = f"{who} on {'own' if side == 0 else 'others'}"

        tip = author.share("tip", f"Tip by {author.name}", "Text", empathy)
        edit = me.post(
            f"/community/p/{tip}/edit",
            {"title": "Changed", "body": "New", "skills": empathy, "reason": "tidy"},
        )
        assert edit.status_code == expected["edit"], (label, "edit")
        assert (_post_state(clean_app, tip)[1] == "Changed") == (expected["edit"] == ALLOWED)

        verify = me.post(f"/community/p/{tip}/verify")
        assert verify.status_code == expected["verify"], (label, "verify")
        assert (_post_state(clean_app, tip)[2] is not None) == (expected["verify"] == ALLOWED)

        expert_tip = author.share("tip", "De-escalation tip", "Text", deesc)
        verify = me.post(f"/community/p/{expert_tip}/verify")
        assert verify.status_code == expected["verify_expert_skill"], (label, "verify expert")

        hide = me.post(f"/community/post/{tip}/moderate", {"action": "hide", "reason": "test"})
        assert hide.status_code == expected["hide"], (label, "hide")
        assert (_post_state(clean_app, tip)[0] == "hidden") == (expected["hide"] == ALLOWED)

        doomed = author.share("tip", "To delete", "Text", empathy)
        delete = me.post(f"/community/post/{doomed}/delete", {"reason": "duplicate"})
        assert delete.status_code == expected["delete"], (label, "delete")
        assert (_post_state(clean_app, doomed)[0] == "deleted") == (expected["delete"] == ALLOWED)

        question = author.share("question", "A question", "Details", empathy)
        reply = other.answer(question, "An answer")
        accept = me.post(f"/community/a/{reply}/accept")
        assert accept.status_code == expected["accept"], (label, "accept")
        assert (_post_state(clean_app, question)[3] == reply) == (expected["accept"] == ALLOWED)

    # Forbidden pages say so in words, and change nothing.
    if MATRIX[who]["hide"][1] != ALLOWED:
        page = me.get("/community/review")
        assert page.status_code == 403 and "This page is not for your role" in page.text


def test_answers_edit_and_delete_by_author_or_moderator(
    clean_app: Any, chloe: Session, ana: Session, sam: Session
) -> None:
    skills = skill_ids(clean_app)
    qid = ana.share("question", "Q", "Details", [skills["Empathy"]])
    aid = sam.answer(qid, "Sam's answer")
    assert ana.post(f"/community/a/{aid}/edit", {"body": "Hacked"}).status_code == 403
    assert ana.post(f"/community/answer/{aid}/delete").status_code == 403
    sam.follow(sam.post(f"/community/a/{aid}/edit", {"body": "Sam's better answer"}))
    no_reason = chloe.post(f"/community/answer/{aid}/delete")
    assert no_reason.status_code == 400 and "Say why" in text(no_reason)
    chloe.follow(chloe.post(f"/community/answer/{aid}/delete", {"reason": "off topic"}))
    with clean_app.app_context():
        row = db.session.scalar(select(Answer).where(Answer.id == aid))
        assert row is not None and row.status == "deleted" and row.body_md == "Sam's better answer"
    assert "Sam's better answer" not in text(ana.get(f"/community/p/{qid}"))


def test_learner_cannot_reach_moderation_or_grant_pages(ana: Session) -> None:
    for path in ("/community/review", "/community/people", "/community/unanswered"):
        page = ana.get(path)
        assert page.status_code == 403 and "This page is not for your role" in page.text, path
    assert (
        ana.post(
            "/community/people", {"person": "ana@example.com", "kind": "moderator"}
        ).status_code
        == 403
    )
    assert "/community/review" not in ana.get("/community/").text


def test_forms_need_the_csrf_token(clean_app: Any, ana: Session) -> None:
    skills = skill_ids(clean_app)
    bare = ana.browser.post(
        ana.url("/community/new/tip"),
        data={"title": "t", "body": "b", "skills": [skills["Empathy"]]},
    )
    assert bare.status_code == 400 and "This form has expired" in bare.text
    with clean_app.app_context():
        assert db.session.scalar(select(Post.id)) is None


def test_another_tenants_content_is_never_visible(
    clean_app: Any, tool_server: str, chloe: Session, ana: Session
) -> None:
    skills = skill_ids(clean_app)
    tid = ana.share(
        "tip", "Tenant one secret refund trick", "Only for tenant one", [skills["Empathy"]]
    )
    qid = ana.share("question", "Tenant one question", "Details", [skills["Empathy"]])

    other = FakeLms(client_id="client-2", deployment_id="dep-2")
    try:
        other.connect(tool_server)
        add_registration(clean_app, other)
        zed = login(other, "zed", [LEARNER], "Ana Alvarez", "zed@example.com")
        teacher = login(
            other,
            "tia",
            ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
            "Tia",
            "tia@example.com",
        )
        for path in (
            f"/community/p/{tid}",
            f"/community/p/{qid}",
            f"/community/post/{tid}/history",
        ):
            assert zed.get(path).status_code == 404, path
            assert teacher.get(path).status_code == 404, path
        feed = text(zed.get("/community/?q=refund"))
        assert "Tenant one" not in feed and "Nothing matches" in feed
        assert "Tenant one" not in text(teacher.get("/community/review"))
        assert zed.post(f"/community/p/{qid}/answers", {"body": "x"}).status_code == 404
        assert zed.post(f"/community/post/{tid}/flag", {"reason": "x"}).status_code == 404
        assert (
            teacher.post(
                f"/community/post/{tid}/moderate", {"action": "hide", "reason": "x"}
            ).status_code
            == 404
        )
        # Skills are per tenant too: tenant one's skill ids are refused.
        refused = zed.post(
            "/community/new/tip", {"title": "t", "body": "b", "skills": [skills["Empathy"]]}
        )
        assert refused.status_code == 400 and "Pick skills from the list" in text(refused)
    finally:
        other.server.stop()
    assert _post_state(clean_app, tid)[0] == "visible"


# Coaching, shadowing and path sign-offs: who -> action -> (own, someone else's).
# "Own" sessions: the person is the coach and Sam the learner. "Someone else's": Sam coaches
# Ana (Ben for Ana herself). Ben leads Ana's team, so he sees her sessions but cannot act in
# them; trainers and administrators see every session, act in none. A path sign-off: "own" is
# the person's own request (only Ana has the path), "someone else's" is Ana's request.
NOT_SEEN = 404
COACHING_MATRIX: dict[str, dict[str, tuple[int | None, int | None]]] = {
    "ana": {
        "edit_offer": (ALLOWED, FORBIDDEN),
        "add_slot": (ALLOWED, FORBIDDEN),
        "confirm": (ALLOWED, NOT_SEEN),
        "signoff": (ALLOWED, NOT_SEEN),
        "noshow": (ALLOWED, NOT_SEEN),
        "cancel": (ALLOWED, NOT_SEEN),
        "path_signoff": (FORBIDDEN, None),
    },
    "ben": {
        "edit_offer": (ALLOWED, FORBIDDEN),
        "add_slot": (ALLOWED, FORBIDDEN),
        "confirm": (ALLOWED, FORBIDDEN),
        "signoff": (ALLOWED, FORBIDDEN),
        "noshow": (ALLOWED, FORBIDDEN),
        "cancel": (ALLOWED, FORBIDDEN),
        "path_signoff": (None, ALLOWED),
    },
    "chloe": {
        "edit_offer": (ALLOWED, FORBIDDEN),
        "add_slot": (ALLOWED, FORBIDDEN),
        "confirm": (ALLOWED, FORBIDDEN),
        "signoff": (ALLOWED, FORBIDDEN),
        "noshow": (ALLOWED, FORBIDDEN),
        "cancel": (ALLOWED, FORBIDDEN),
        "path_signoff": (None, FORBIDDEN),  # Ana has a team leader: he decides
    },
    "dev": {
        "edit_offer": (ALLOWED, FORBIDDEN),
        "add_slot": (ALLOWED, FORBIDDEN),
        "confirm": (ALLOWED, FORBIDDEN),
        "signoff": (ALLOWED, FORBIDDEN),
        "noshow": (ALLOWED, FORBIDDEN),
        "cancel": (ALLOWED, FORBIDDEN),
        "path_signoff": (None, FORBIDDEN),
    },
}


@pytest.mark.parametrize("who", sorted(COACHING_MATRIX))
def test_coaching_and_signoff_matrix(
    who: str,
    lms: FakeLms,
    clean_app: Any,
    chloe: Session,
    ana: Session,
    ben: Session,
    dev: Session,
    sam: Session,
) -> None:
    import re
    from datetime import timedelta

    from lti_tool.coaching.models import CoachingSession
    from lti_tool.lti.models import utcnow
    from lti_tool.paths.models import SignOffRequest
    from lti_tool.roles import services as roles
    from lti_tool.tenancy import tenant_scope
    from tests.coaching.conftest import publish_tier1_path, started

    reg = lms.registration_id  # type: ignore[attr-defined]
    keys = publish_tier1_path(clean_app, reg)
    with clean_app.app_context(), tenant_scope(db.session, reg):
        team, _ = roles.save_team(reg, None, "Team A", "ben@example.com")
        assert team is not None
        roles.add_member(reg, team, "ana")
        db.session.commit()
    people = {"ana": ana, "ben": ben, "chloe": chloe, "dev": dev}
    me = people[who]
    empathy = skill_ids(clean_app)["Empathy"]
    day = (utcnow() + timedelta(days=1)).date().isoformat()
    hours = iter(range(8, 20))

    def offer(coach: Session, booking: str) -> int:
        saved = coach.post(
            "/coaching/offers/new",
            {"kind": "coaching", "title": "Offer", "booking": booking, "skills": [empathy]},
        )
        assert saved.status_code == 303, text(saved)[:400]
        return int(re.search(r"/offers/(\d+)", saved.headers["Location"]).group(1))  # type: ignore[union-attr]

    def session(coach: Session, learner: Session, pk: int) -> int:
        coach.follow(
            coach.post(
                f"/coaching/offers/{pk}/slots",
                {"day": day, "at": f"{next(hours):02d}:00", "minutes": "30", "place": "Desk"},
            )
        )
        slot = re.findall(r"/coaching/slots/(\d+)/edit", coach.get(f"/coaching/offers/{pk}").text)
        booked = learner.post(f"/coaching/slots/{slot[-1]}/book")
        assert booked.status_code == 303, text(booked)[:400]
        return int(re.search(r"/coaching/s/(\d+)", booked.headers["Location"]).group(1))  # type: ignore[union-attr]

    def status(pk: int) -> tuple[str, bool]:
        with clean_app.app_context():
            row = db.session.get(CoachingSession, pk)
            assert row is not None
            return row.status, bool(row.coach_signed_at or row.learner_signed_at)

    for side in (0, 1):
        coach, learner = (me, sam) if side == 0 else (sam, ana if who != "ana" else ben)
        expected = {a: codes[side] for a, codes in COACHING_MATRIX[who].items()}
        label = f"{who} on {'own' if side == 0 else 'others'}"
        on_request, direct = offer(coach, "request"), offer(coach, "direct")

        edit = me.post(
            f"/coaching/offers/{on_request}/edit",
            {"kind": "coaching", "title": "Changed", "booking": "request", "skills": [empathy]},
        )
        assert edit.status_code == expected["edit_offer"], (label, "edit_offer")
        slot = me.post(
            f"/coaching/offers/{direct}/slots",
            {"day": day, "at": "21:00", "minutes": "30", "place": "Desk"},
        )
        assert slot.status_code == expected["add_slot"], (label, "add_slot")

        asked = session(coach, learner, on_request)
        confirm = me.post(f"/coaching/s/{asked}/confirm")
        assert confirm.status_code == expected["confirm"], (label, "confirm")
        assert (status(asked)[0] == "confirmed") == (expected["confirm"] == ALLOWED)

        for action, data in (
            ("signoff", {"note": "ok"}),
            ("noshow", {}),
            ("cancel", {"reason": "r"}),
        ):
            pk = session(coach, learner, direct)
            if action != "cancel":
                started(clean_app, pk)
            response = me.post(f"/coaching/s/{pk}/{action}", data)
            assert response.status_code == expected[action], (label, action)
            changed = {
                "signoff": status(pk)[1],
                "noshow": status(pk)[0] == "no_show",
                "cancel": status(pk)[0] == "cancelled",
            }[action]
            assert changed == (expected[action] == ALLOWED), (label, action)

    # Path sign-offs: Ana asks for hers on the shadowing step.
    with clean_app.app_context():
        aid = re.search(r"/paths/a/(\d+)/", ana.get("/paths/").text)
    assert aid is not None
    ana.follow(
        ana.post(f"/paths/a/{aid.group(1)}/{keys['Shadow a senior agent']}", {"action": "signoff"})
    )
    with clean_app.app_context():
        request_id = db.session.scalar(select(SignOffRequest.id))
    own, others = COACHING_MATRIX[who]["path_signoff"]
    code = own if who == "ana" else others
    decided = me.post(f"/paths/signoffs/{request_id}", {"decision": "approve", "note": "ok"})
    assert decided.status_code == code, (who, "path_signoff")
    with clean_app.app_context():
        row = db.session.get(SignOffRequest, request_id)
        assert row is not None and (row.status == "approved") == (code == ALLOWED)
