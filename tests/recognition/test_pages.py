"""Recognition through real launches: trainers manage badges, leaders award them with a
message, kudos reach both profiles, the opt-out empties both views, the Open Badges 3.0 export
validates against the schema and its signature verifies against /lti/jwks, and nothing crosses
tenants or roles."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import requests
from jsonschema import Draft201909Validator
from sqlalchemy import select, update

from lti_tool.extensions import db
from lti_tool.lti.models import utcnow
from lti_tool.people.models import Person
from lti_tool.recognition.models import Kudos
from lti_tool.recognition.services import KUDOS_PER_DAY
from lti_tool.roles import services as roles
from lti_tool.tenancy import tenant_scope
from tests.community.conftest import FORBIDDEN, Session, login, skill_ids, text
from tests.conftest import add_registration
from tests.harness import LEARNER, FakeLms

SCHEMA = json.loads(
    (Path(__file__).parent / "ob_v3p0_achievementcredential_required.json").read_text()
)


def ids(app: Any) -> dict[str, int]:
    with app.app_context():
        return {p.sub: p.id for p in db.session.scalars(select(Person))}


def ben_leads_ana_and_sam(app: Any, lms: FakeLms) -> None:
    reg = lms.registration_id  # type: ignore[attr-defined]
    with app.app_context(), tenant_scope(db.session, reg):
        team, problem = roles.save_team(reg, None, "Billing team A", "ben@example.com")
        assert team is not None, problem
        for sub in ("ana", "sam"):
            roles.add_member(reg, team, sub)
        db.session.commit()


def new_badge(chloe: Session, name: str = "Above and beyond", **extra: str) -> int:
    values = {
        "name": name,
        "description": "A real difference for a customer.",
        "criteria_text": "Given by a team lead with a message.",
        "design": "heart",
        "criterion": "leader",
        **extra,
    }
    response = chloe.post("/recognition/badges/new", values)
    assert response.status_code == 303, text(response)[:600]
    found = re.search(r"/recognition/badges/(\d+)", response.headers["Location"])
    assert found
    return int(found.group(1))


def award_id(response: Any) -> int:
    assert response.status_code == 303, text(response)[:800]
    found = re.search(r"/recognition/awards/(\d+)", response.headers["Location"])
    assert found
    return int(found.group(1))


def test_trainers_manage_badges_and_learners_cannot(
    chloe: Session, ana: Session, ben: Session
) -> None:
    assert "No badges yet" in text(ana.get("/recognition/badges"))
    # Mistakes keep what was typed and say what to fix.
    bad = chloe.post(
        "/recognition/badges/new",
        {"name": "Trusted tipster", "criterion": "verified_tips", "count": "zero"},
    )
    page = text(bad)
    assert bad.status_code == 400 and 'value="Trusted tipster"' in bad.text
    assert "Enter a number between 1 and 1000" in page and "Choose a picture" in page
    bid = new_badge(
        chloe,
        "Trusted tipster",
        criterion="verified_tips",
        count="3",
        design="bubble",
        description="Three verified tips.",
    )
    shown = text(ana.get("/recognition/badges"))
    assert "Trusted tipster" in shown and "3 tips verified by an expert" in shown
    assert "New badge" not in shown
    dupe = chloe.post(
        "/recognition/badges/new",
        {
            "name": "trusted TIPSTER",
            "description": "d",
            "criteria_text": "c",
            "design": "star",
            "criterion": "leader",
        },
    )
    assert dupe.status_code == 400 and "Another badge already has this name" in text(dupe)
    for who in (ana, ben):
        assert FORBIDDEN in text(who.get("/recognition/badges/new"))
        assert FORBIDDEN in text(who.get(f"/recognition/badges/{bid}/edit"))
        assert FORBIDDEN in text(who.post(f"/recognition/badges/{bid}/delete"))
    assert ana.get("/recognition/award").status_code == 403
    refused = ana.post("/recognition/award", {"badge_id": bid, "person_id": "1", "message": "x"})
    assert refused.status_code == 403 and FORBIDDEN in text(refused)
    # Nobody holds it: deleting (after a confirmation page) removes it.
    assert "deleted for good" in text(chloe.get(f"/recognition/badges/{bid}/delete"))
    chloe.follow(chloe.post(f"/recognition/badges/{bid}/delete"))
    assert chloe.get(f"/recognition/badges/{bid}").status_code == 404


def test_leader_awards_with_a_message(
    clean_app: Any, lms: FakeLms, chloe: Session, ana: Session, ben: Session, sam: Session
) -> None:
    ben_leads_ana_and_sam(clean_app, lms)
    people = ids(clean_app)
    bid = new_badge(chloe)
    form = text(ben.get(f"/recognition/award?badge={bid}"))
    assert "Ana Alvarez" in form and "Sam Smith" in form and "Chloe Chen" not in form
    empty = ben.post("/recognition/award", {"badge_id": bid, "person_id": people["ana"]})
    assert empty.status_code == 400 and "Say why" in text(empty)
    outsider = ben.post(
        "/recognition/award",
        {"badge_id": bid, "person_id": people["chloe"], "message": "Thanks"},
    )
    assert outsider.status_code == 400 and "teams they lead" in text(outsider)
    aid = award_id(
        ben.post(
            "/recognition/award",
            {
                "badge_id": bid,
                "person_id": people["ana"],
                "message": "You stayed 40 minutes with a distressed caller.",
            },
        )
    )
    page = text(ana.get(f"/recognition/awards/{aid}"))
    assert "You received it" in page and "from Ben Brooks" in page
    assert "You stayed 40 minutes with a distressed caller." in page
    again = ben.post(
        "/recognition/award", {"badge_id": bid, "person_id": people["ana"], "message": "Again"}
    )
    assert again.status_code == 400 and "holds “Above and beyond” already" in text(again)
    notes = ana.get("/community/notifications").text
    assert "Ben Brooks awarded you a badge" in text(ana.get("/community/notifications"))
    nid = re.search(r"/community/notifications/(\d+)/open", notes)
    assert nid
    opened = ana.post(f"/community/notifications/{nid.group(1)}/open")
    assert opened.status_code == 303 and "/recognition/" in opened.headers["Location"]
    mine = text(ana.get("/recognition/"))
    assert "Above and beyond" in mine and "You stayed 40 minutes" in mine
    assert "1 person holds it" in text(sam.get("/recognition/badges"))
    # Held, so deleting archives it: Ana keeps it.
    assert "archived rather than deleted" in text(chloe.get(f"/recognition/badges/{bid}/delete"))
    chloe.follow(chloe.post(f"/recognition/badges/{bid}/delete"))
    assert "Above and beyond" not in text(sam.get("/recognition/badges"))
    assert "Above and beyond" in text(ana.get("/me"))
    again = chloe.post(f"/recognition/badges/{bid}/delete")  # an old page: says so, no change
    assert again.status_code == 303 and "is archived already" in text(chloe.follow(again))
    late = chloe.post(
        "/recognition/award",
        {"badge_id": str(bid), "person_id": str(ids(clean_app)["sam"]), "message": "Well done"},
    )
    assert late.status_code == 400 and "is archived: it can no longer be awarded" in text(late)


def test_kudos_reach_both_profiles(
    clean_app: Any, chloe: Session, ana: Session, ben: Session
) -> None:
    skills = skill_ids(clean_app)
    qid = ana.share("question", "Refund after 30 days?", "What can I offer?", [skills["Empathy"]])
    aid = ben.answer(qid, "Offer a goodwill credit.")
    people = ids(clean_app)
    # The question page offers "Say thanks" on Ben's answer (not on one's own posts).
    question = ana.get(f"/community/p/{qid}").text
    link = re.search(r'href="(/recognition/thanks\?[^"]+)"', question)
    assert link and f"answer={aid}" in link.group(1) and f"person={people['ben']}" in link.group(1)
    assert f"person={people['ana']}&amp;post={qid}" not in question  # not one's own question
    assert f"person={people['ana']}&amp;post={qid}" in ben.get(f"/community/p/{qid}").text
    form = ana.get(f"/recognition/thanks?person={people['ben']}&answer={aid}")
    assert "Say thanks to Ben Brooks" in text(form)
    assert "For an answer to “Refund after 30 days?”" in text(form)
    empty = ana.post("/recognition/thanks", {"person": people["ben"], "answer": aid, "message": ""})
    assert empty.status_code == 400 and "Say what they helped you with" in text(empty)
    self_thanks = ana.post("/recognition/thanks", {"to": "Ana Alvarez", "message": "Me!"})
    page = text(self_thanks)
    assert self_thanks.status_code == 400 and "cannot thank yourself" in page
    assert ">Me!</textarea>" in self_thanks.text  # what was typed is kept
    unknown = ana.post("/recognition/thanks", {"to": "Nobody Here", "message": "Hi"})
    assert unknown.status_code == 400 and "No one called" in text(unknown)
    ana.follow(
        ana.post(
            "/recognition/thanks",
            {"person": people["ben"], "answer": aid, "message": "The goodwill credit worked!"},
        )
    )
    for _ in range(2):  # the second is a second click: one thanks, one notification
        ben.follow(
            ben.post("/recognition/thanks", {"to": "ana@example.com", "message": "Welcome!"})
        )
    bens = text(ben.get("/me"))
    assert "Ana Alvarez thanked you" in bens and "The goodwill credit worked!" in bens
    assert "For an answer to “Refund after 30 days?”" in bens
    assert "You thanked Ana Alvarez" in bens and "Welcome!" in bens
    anas = text(ana.get("/me"))
    assert "You thanked Ben Brooks" in anas and "The goodwill credit worked!" in anas
    assert "Ben Brooks thanked you" in anas and anas.count("Welcome!") == 1
    # Colleagues see them on the recognition profile too.
    chloes_view = text(chloe.get(f"/recognition/people/{people['ben']}"))
    assert "Ana Alvarez thanked Ben Brooks" in chloes_view
    assert "Ana Alvarez thanked you" in text(ben.get("/community/notifications"))


def test_thanks_a_person_sends_are_capped_per_day_and_the_message_is_kept(
    clean_app: Any, ana: Session, ben: Session
) -> None:
    people = ids(clean_app)
    for n in range(KUDOS_PER_DAY):
        sent = ana.post("/recognition/thanks", {"person": people["ben"], "message": f"Thanks {n}"})
        assert sent.status_code == 303, n
    over = ana.post("/recognition/thanks", {"person": people["ben"], "message": "One more!"})
    assert over.status_code == 400
    assert f"You have sent {KUDOS_PER_DAY} thanks in the last 24 hours" in text(over)
    assert ">One more!</textarea>" in over.text  # what was typed is kept
    # Someone else's thanks are not counted against Ana's.
    assert (
        ben.post("/recognition/thanks", {"to": "Ana Alvarez", "message": "Hi"}).status_code == 303
    )
    # A day later the oldest no longer count.
    with clean_app.app_context():
        db.session.execute(
            update(Kudos)
            .where(Kudos.from_id == people["ana"])
            .values(created_at=utcnow() - timedelta(days=1, minutes=1))
        )
        db.session.commit()
    later = ana.post("/recognition/thanks", {"person": people["ben"], "message": "One more!"})
    assert later.status_code == 303


def test_opting_out_removes_a_person_from_both_views(
    clean_app: Any, lms: FakeLms, chloe: Session, ana: Session, ben: Session, sam: Session
) -> None:
    ben_leads_ana_and_sam(clean_app, lms)
    team = text(ben.get("/recognition/team"))
    assert "Team recognition: Billing team A" in team
    assert "Ana Alvarez" in team and "Sam Smith" in team
    near = text(ana.get("/recognition/near"))
    assert "Tier 1 agent" in near and "Sam Smith" in near
    assert "Sam Smith" in text(sam.get("/recognition/team"))  # members see their team too

    sam.follow(sam.post("/recognition/visibility", {"in_near_me": "1"}))
    team = text(ben.get("/recognition/team"))
    assert "Sam Smith" not in team and "1 member has chosen not to appear here" in team
    assert "Sam Smith" in text(ana.get("/recognition/near"))
    sam.follow(sam.post("/recognition/visibility", {}))
    assert "Sam Smith" not in text(ana.get("/recognition/near"))
    assert "Sam Smith" not in text(ben.get("/recognition/team"))
    profile = sam.get("/me").text
    assert 'name="in_team_view" value="1" >' in profile or 'name="in_team_view" value="1">' in (
        profile
    )
    # Back in.
    sam.follow(sam.post("/recognition/visibility", {"in_team_view": "1", "in_near_me": "1"}))
    assert "Sam Smith" in text(ana.get("/recognition/near"))
    assert "Sam Smith" in text(ben.get("/recognition/team"))


def test_open_badges_export_validates_and_its_signature_verifies(
    clean_app: Any, lms: FakeLms, chloe: Session, ana: Session, sam: Session
) -> None:
    people = ids(clean_app)
    bid = new_badge(chloe, "Trusted tipster", design="bubble")
    aid = award_id(
        chloe.post(
            "/recognition/award",
            {"badge_id": bid, "person_id": people["ana"], "message": "Three great tips."},
        )
    )
    response = ana.get(f"/recognition/awards/{aid}/credential.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/ld+json")
    assert "attachment" in response.headers["Content-Disposition"]
    cred = response.json()
    errors = sorted(e.message for e in Draft201909Validator(SCHEMA).iter_errors(cred))
    assert errors == []
    assert cred["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    achievement = cred["credentialSubject"]["achievement"]
    assert achievement["name"] == "Trusted tipster"
    assert achievement["criteria"]["narrative"] == "Given by a team lead with a message."
    assert achievement["image"]["id"].startswith("data:image/svg+xml;base64,")
    assert cred["evidence"][0]["narrative"].endswith("Three great tips.")
    reg_id = lms.registration_id  # type: ignore[attr-defined]
    assert cred["issuer"]["id"].startswith(f"{lms.tool_url}/recognition/issuers/{reg_id}-")
    identity = cred["credentialSubject"]["identifier"][0]
    expected = hashlib.sha256(("ana@example.com" + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${expected}" and identity["hashed"] is True
    assert "ana@example.com" not in response.text
    # The schema is not a rubber stamp: a credential missing what the spec requires fails.
    broken = json.loads(response.text)
    del broken["validFrom"]
    del broken["credentialSubject"]["achievement"]["criteria"]
    assert len(list(Draft201909Validator(SCHEMA).iter_errors(broken))) == 2

    issuer = requests.get(cred["issuer"]["id"], timeout=10).json()
    assert issuer["id"] == cred["issuer"]["id"] and issuer["type"] == ["Profile"]
    # The issuer's address cannot be guessed from the registration id.
    guessed = requests.get(f"{lms.tool_url}/recognition/issuers/{reg_id}", timeout=10)
    real = cred["issuer"]["id"]
    forged = requests.get(real[:-1] + ("0" if real[-1] != "0" else "1"), timeout=10)
    assert guessed.status_code == 404 and forged.status_code == 404

    token = ana.get(f"/recognition/awards/{aid}/credential.jwt")
    assert token.status_code == 200
    header = jwt.get_unverified_header(token.text)
    jwks = requests.get(f"{lms.tool_url}/lti/jwks", timeout=10).json()
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    claims = jwt.decode(token.text, key.key, algorithms=["RS256"])
    assert claims["vc"] == cred and claims["iss"] == cred["issuer"]["id"]
    assert claims["jti"] == cred["id"]
    tampered = token.text[:-4] + ("AAAA" if not token.text.endswith("AAAA") else "BBBB")
    try:
        jwt.decode(tampered, key.key, algorithms=["RS256"])
        raise AssertionError("a tampered credential verified")
    except jwt.InvalidSignatureError:
        pass

    # Only the owner downloads it.
    for path in ("credential.json", "credential.jwt"):
        assert sam.get(f"/recognition/awards/{aid}/{path}").status_code == 403
    assert "Download" not in text(sam.get(f"/recognition/awards/{aid}"))


def test_awarding_by_name_or_email_when_there_are_many_people(
    clean_app: Any, chloe: Session, ana: Session, monkeypatch: Any
) -> None:
    from lti_tool.recognition import services as recognition

    monkeypatch.setattr(recognition, "PICK_LIMIT", 0)  # every organisation is "large" now
    bid = new_badge(chloe)
    form = chloe.get(f"/recognition/award?badge={bid}").text
    assert '<input id="person_id" name="person_id" type="text"' in form
    unknown = chloe.post(
        "/recognition/award", {"badge_id": bid, "person_id": "nobody@x.test", "message": "Hi"}
    )
    assert unknown.status_code == 400 and "No one called" in text(unknown)
    assert 'value="nobody@x.test"' in unknown.text  # kept as typed
    aid = award_id(
        chloe.post(
            "/recognition/award",
            {"badge_id": bid, "person_id": "ana@example.com", "message": "Well done"},
        )
    )
    assert "Above and beyond" in text(ana.get(f"/recognition/awards/{aid}"))


def test_without_email_the_recipient_is_the_lti_user_as_a_urn(
    clean_app: Any, lms: FakeLms, chloe: Session
) -> None:
    nomail = login(lms, "u-42", [LEARNER], "Noor Mail", "")
    people = ids(clean_app)
    bid = new_badge(chloe)
    aid = award_id(
        chloe.post(
            "/recognition/award", {"badge_id": bid, "person_id": people["u-42"], "message": "Hi"}
        )
    )
    cred = nomail.get(f"/recognition/awards/{aid}/credential.json").json()
    assert list(Draft201909Validator(SCHEMA).iter_errors(cred)) == []
    subject_id = cred["credentialSubject"]["id"]
    assert subject_id.startswith("urn:lti:") and subject_id.endswith(":u-42")
    assert "identifier" not in cred["credentialSubject"]


def test_another_tenant_never_sees_these_badges(
    clean_app: Any, tool_server: str, chloe: Session, ana: Session
) -> None:
    people = ids(clean_app)
    bid = new_badge(chloe, "Tenant one badge")
    aid = award_id(
        chloe.post(
            "/recognition/award", {"badge_id": bid, "person_id": people["ana"], "message": "x"}
        )
    )
    other = FakeLms(client_id="client-2", deployment_id="dep-2")
    try:
        other.connect(tool_server)
        add_registration(clean_app, other)
        zed = login(other, "zed", [LEARNER], "Zed Zee", "zed@example.com")
        tia = login(
            other,
            "tia",
            ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
            "Tia",
            "tia@example.com",
        )
        for who in (zed, tia):
            assert "Tenant one badge" not in text(who.get("/recognition/badges"))
            for path in (
                f"/recognition/badges/{bid}",
                f"/recognition/awards/{aid}",
                f"/recognition/awards/{aid}/credential.json",
                f"/recognition/people/{people['ana']}",
            ):
                assert who.get(path).status_code == 404, path
        assert tia.post(f"/recognition/badges/{bid}/delete").status_code == 404
        refused = tia.post(
            "/recognition/award", {"badge_id": bid, "person_id": people["ana"], "message": "x"}
        )
        assert refused.status_code == 400 and "Please fix the 2 problems" in text(refused)
        thanks = zed.post("/recognition/thanks", {"to": "Ana Alvarez", "message": "Hi"})
        assert thanks.status_code == 400 and "No one called" in text(thanks)
        thanks = zed.post("/recognition/thanks", {"person": people["ana"], "message": "Hi"})
        assert thanks.status_code == 400
    finally:
        other.server.stop()
    assert "Tenant one badge" in text(ana.get("/recognition/"))


def test_bad_input_is_refused_plainly_never_a_500(chloe: Session, ana: Session) -> None:
    bid = new_badge(chloe)
    huge = "9" * 20
    for path in (
        f"/recognition/badges/{huge}",
        f"/recognition/awards/{huge}",
        f"/recognition/awards/{huge}/credential.json",
        f"/recognition/people/{huge}",
        f"/recognition/people/{huge}/thanks",
        f"/recognition/issuers/{huge}-abc",
        "/recognition/issuers/²-abc",
    ):
        assert ana.get(path).status_code == 404, path
    for query in (f"page={huge}", "page=²", "dir=sideways"):
        assert ana.get(f"/recognition/people/1/thanks?{query}").status_code in (200, 404)
    for query in (f"team={huge}", "team=²"):
        assert chloe.get(f"/recognition/team?{query}").status_code in (200, 404)
    for value in (huge, "²", "-1", ""):
        award = chloe.post(
            "/recognition/award", {"badge_id": value, "person_id": value, "message": "x"}
        )
        assert award.status_code == 400, value
        thanks = ana.post(
            "/recognition/thanks",
            {"person": value, "post": value, "answer": value, "message": "Thanks"},
        )
        assert thanks.status_code == 400, value
        form = chloe.post(
            "/recognition/badges/new",
            {
                "name": f"B{value}",
                "description": "d",
                "criteria_text": "c",
                "design": "star",
                "criterion": "skill_level",
                "skill_id": value,
                "level": value,
            },
        )
        assert form.status_code == 400 and "Choose the skill" in text(form), value
    assert chloe.get(f"/recognition/award?badge={huge}&person=²").status_code == 200
    assert chloe.get(f"/recognition/badges/{bid}").status_code == 200


def test_a_new_badge_goes_to_those_who_already_meet_it(
    clean_app: Any, chloe: Session, ana: Session
) -> None:
    skills = skill_ids(clean_app)
    tid = ana.share("tip", "Say the date out loud", "Callers calm down.", [skills["Empathy"]])
    chloe.follow(chloe.post(f"/community/p/{tid}/verify"))
    saved = chloe.follow(
        chloe.post(
            "/recognition/badges/new",
            {
                "name": "First tip verified",
                "description": "An expert confirmed your tip.",
                "criteria_text": "Share a tip an expert verifies.",
                "design": "star",
                "criterion": "verified_tips",
                "count": "1",
            },
        )
    )
    assert "1 person already meets it and received it" in text(saved)
    assert "Ana Alvarez" in text(saved)  # under "Who holds it"
    assert "You earned a new badge" in text(ana.get("/community/notifications"))
    award = text(ana.get("/recognition/"))
    assert "First tip verified" in award and "earned" in award
