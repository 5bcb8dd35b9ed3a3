"""Acting as the person where Wayfinder's service account may not, over real loopback HTTP:
Canvas per-person OAuth2 against the served Canvas fake (connect in a new window, the callback
page, tokens stored encrypted, refresh, revoked -> connect again, denied, someone else's
account, Canvas down, forged and replayed states), and Moodle courses that allow self-enrolment
only (Moodle's own enrolment page, the completion check noticing it, a person's own token)."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy import text as sql

from lti_tool.catalog import access, accounts
from lti_tool.catalog.models import CatalogSource, LmsAccount, PlanItem
from lti_tool.extensions import db
from lti_tool.jobs import services as jobs
from lti_tool.jobs.models import Job
from lti_tool.tenancy import tenant_scope
from tests.catalog.conftest import Served, Session, text
from tests.catalog.test_plan import People
from tests.harness import Browser, FakeLms


def give_developer_key(people: People) -> None:
    fake = people.served.fake
    with people.app.app_context(), tenant_scope(db.session, people.tenant):
        errors = access.save_access(
            people.tenant,
            people.app.config["SECRET_KEY"],
            platform="canvas",
            base_url=people.served.url,
            token="",  # keeps the admin token
            account_id="1",
            by="test",
            client_id=fake.client_id,
            client_secret=fake.client_secret,
        )
        assert errors == {}
        db.session.commit()


@pytest.fixture
def on_canvas(clean_app: Any, lms: FakeLms, canvas: Served) -> People:
    people = People(clean_app, lms, canvas)
    give_developer_key(people)
    # The admin token may read the catalog but not enrol people (a sub-account admin, say).
    canvas.fake.admin_may_enrol = False
    return people


@pytest.fixture
def on_moodle(clean_app: Any, lms: FakeLms, moodle: Served) -> People:
    return People(clean_app, lms, moodle)


def account_row(people: People, person_sub_name: str = "Ana Alvarez") -> LmsAccount | None:
    with people.app.app_context(), tenant_scope(db.session, people.tenant):
        row = db.session.scalar(select(LmsAccount))
        if row is not None:
            db.session.expunge(row)
        return row


def connect_window(people: People, who: Session) -> tuple[str, Browser]:
    """Follow "Connect your Canvas account" as its new window would: Wayfinder -> Canvas's
    authorise page -> back to the callback, in a browser with no launch (no cookies, no lt)."""
    start = who.get("/catalog/account/canvas/connect")
    assert start.status_code == 303, start.text[:300]
    authorise = start.headers["Location"]
    assert authorise.startswith(people.served.url + "/login/oauth2/auth?")
    query = parse_qs(urlsplit(authorise).query)
    assert query["redirect_uri"] == [people.lms.tool_url + "/catalog/oauth/canvas/callback"]
    assert "lt=" not in query["redirect_uri"][0]
    window = Browser()
    back = window.get(authorise)
    assert back.status_code == 302
    return back.headers["Location"], window


def reset_entry(people: People, pk: int) -> None:
    with people.app.app_context(), tenant_scope(db.session, people.tenant):
        row = db.session.get(PlanItem, pk)
        assert row is not None
        row.status, row.problem, row.enrolment_method = "planned", "", ""
        db.session.commit()


def expire_token(people: People) -> None:
    with people.app.app_context(), tenant_scope(db.session, people.tenant):
        row = db.session.scalar(select(LmsAccount))
        assert row is not None
        row.expires_at = time.time() - 60
        db.session.commit()


def test_connect_canvas_then_enrol_refresh_and_reconnect_after_a_revocation(
    on_canvas: People,
) -> None:
    people, fake = on_canvas, on_canvas.served.fake
    fake.browser_user = "ana"
    cid, uid = int(people.served.course_id("calls")), int(people.served.user_id("ana"))
    fake.enrolled.pop((cid, uid), None)
    entry = people.add(people.ana, "Handling difficult calls")

    # Not connected: the plan asks her to connect, in a new window.
    refused = people.ana.follow(people.ana.post(f"/catalog/plan/{entry}/enrol"))
    assert "Only you can enrol yourself in this Canvas course" in text(refused)
    assert re.search(
        r'href="/catalog/account/canvas/connect\?lt=[^"]+" target="_blank" rel="noopener"',
        refused.text,
    )
    with people.app.app_context(), tenant_scope(db.session, people.tenant):
        source = db.session.scalar(select(CatalogSource))
        assert source is not None and source.problem == ""  # not the admin's problem

    callback, window = connect_window(people, people.ana)
    done = window.get(callback)
    assert done.status_code == 200
    assert "Connected - you can close this window and go back" in text(done)

    # Stored encrypted: neither token appears in the database.
    stored = account_row(people)
    assert stored is not None and stored.lms_user_id == str(uid)
    (access_token,) = [t for t, owner in fake.tokens.items() if owner == uid]
    (refresh_token,) = [t for t, owner in fake.refresh_tokens.items() if owner == uid]
    with people.app.app_context():
        dump = " ".join(
            str(v) for row in db.session.execute(sql("select * from lms_accounts")) for v in row
        )
    assert access_token not in dump and refresh_token not in dump
    assert stored.expires_at is not None and stored.expires_at > time.time() + 3000

    # The same callback again: a replayed state is refused, and nothing changes.
    again = window.get(callback)
    assert again.status_code == 400 and "This link was used already" in text(again)

    plan = people.ana.get("/catalog/plan")
    assert 'status-enrolled">Connected</span>' in plan.text
    assert 'href="/catalog/account/canvas/connect' not in plan.text
    enrolled = people.ana.follow(people.ana.post(f"/catalog/plan/{entry}/enrol"))
    assert "You are enrolled in Handling difficult calls" in text(enrolled)
    assert (cid, uid) in fake.self_enrolled
    assert people.entry(entry).enrolment_method == "self"
    assert "You enrolled yourself, through your connected Canvas account" in text(enrolled)

    # An expired access token is refreshed before use.
    fake.enrolled.pop((cid, uid))
    fake.self_enrolled.clear()
    reset_entry(people, entry)
    expire_token(people)
    before = fake.refreshes
    enrolled = people.ana.follow(people.ana.post(f"/catalog/plan/{entry}/enrol"))
    assert "You are enrolled" in text(enrolled)
    assert fake.refreshes == before + 1
    renewed = account_row(people)
    assert renewed is not None and renewed.access_token_encrypted != stored.access_token_encrypted

    # Revoked in Canvas (Approved integrations > delete): the tokens are dropped, she reconnects.
    for token in list(fake.tokens):
        fake.revoke(token)
    fake.revoke(refresh_token)
    fake.enrolled.pop((cid, uid))
    reset_entry(people, entry)
    refused = people.ana.follow(people.ana.post(f"/catalog/plan/{entry}/enrol"))
    assert "Connect your Canvas account" in text(refused)
    assert account_row(people) is None


def test_connect_refusals_get_clear_pages(on_canvas: People) -> None:
    people, fake = on_canvas, on_canvas.served.fake
    callback_path = "/catalog/oauth/canvas/callback"
    outside = Browser()

    # No state, a forged one, a state signed with another key.
    nothing = outside.get(people.lms.tool_url + callback_path + "?code=x")
    assert nothing.status_code == 400 and "This link is not from Wayfinder" in text(nothing)
    fake.browser_user = "ana"
    callback, window = connect_window(people, people.ana)
    state = parse_qs(urlsplit(callback).query)["state"][0]
    forged = window.get(callback.replace(state, state[:-3] + "abc"))
    assert forged.status_code == 400 and "This link is not from Wayfinder" in text(forged)
    other = accounts.make_state("another-secret-key-0123456789abcdef0123", people.tenant, 1, "5")
    forged = window.get(callback.replace(state, other))
    assert forged.status_code == 400
    assert account_row(people) is None

    # A state older than ten minutes (signed then, as Wayfinder signs them).
    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - accounts.STATE_SECONDS - 5

    old = URLSafeTimedSerializer(
        people.app.config["SECRET_KEY"], salt="wayfinder-lms-oauth-state", signer=Then
    ).dumps({"r": people.tenant, "p": 1, "u": "501", "n": "old"})
    late = window.get(callback.replace(state, str(old)))
    assert late.status_code == 400 and "This took too long" in text(late)

    # The person says no on Canvas's page.
    fake.deny = True
    denied, window = connect_window(people, people.ana)
    assert "error=access_denied" in denied
    page = window.get(denied)
    assert page.status_code == 200 and "You chose not to allow Wayfinder" in text(page)
    fake.deny = False

    # Logged in to Canvas as someone else: refused, nothing stored.
    fake.browser_user = "ben"
    callback, window = connect_window(people, people.ana)
    page = window.get(callback)
    assert page.status_code == 409 and "as someone else" in text(page)
    assert account_row(people) is None

    # Canvas does not answer the token exchange.
    fake.browser_user = "ana"
    callback, window = connect_window(people, people.ana)
    fake.faults.append("oauth_down")
    page = window.get(callback)
    assert page.status_code == 502 and "Canvas is not answering" in text(page)
    assert account_row(people) is None
    assert "Traceback" not in page.text
    # A failed exchange does not make its state usable again, nor does a refusal.
    again = window.get(callback)
    assert again.status_code == 400 and "This link was used already" in text(again)
    assert "This link was used already" in text(window.get(denied))


def test_the_developer_key_is_saved_encrypted_on_the_access_page(on_canvas: People) -> None:
    people = on_canvas
    page = people.dev.get("/catalog/access")
    assert page.status_code == 200
    assert "/catalog/oauth/canvas/callback" in page.text  # the redirect URI to register
    assert people.served.fake.client_secret not in page.text
    bad = people.dev.post(
        "/catalog/access",
        {
            "platform": "canvas",
            "base_url": people.served.url,
            "account_id": "1",
            "client_id": "not a number",
        },
    )
    assert bad.status_code == 400 and "is a number" in text(bad)
    assert 'value="not a number"' in bad.text
    with people.app.app_context(), tenant_scope(db.session, people.tenant):
        source = db.session.scalar(select(CatalogSource))
        assert source is not None
        assert source.client_id == people.served.fake.client_id
        assert people.served.fake.client_secret not in source.client_secret_encrypted
        found = access.access_for(people.tenant, people.app.config["SECRET_KEY"])
        assert found.settings.client_secret == people.served.fake.client_secret


def test_moodle_self_enrolment_only_goes_to_moodles_page_or_uses_the_persons_token(
    on_moodle: People,
) -> None:
    people, fake = on_moodle, on_moodle.served.fake
    cid, ana = int(people.served.course_id("calls")), int(people.served.user_id("ana"))
    fake.enrolled.pop((cid, ana), None)
    fake.no_manual.add(cid)
    entry = people.add(people.ana, "Handling difficult calls")

    # No token: Moodle's own enrolment page, in a new window.
    refused = people.ana.follow(people.ana.post(f"/catalog/plan/{entry}/enrol"))
    words = text(refused)
    assert "This course lets people enrol only themselves in Moodle" in words
    page = f"{people.served.url}/enrol/index.php?id={cid}"
    assert f'href="{page}" target="_blank" rel="noopener"' in refused.text
    assert people.entry(entry).enrol_page == page

    # She enrols there; the completion check notices and her plan follows.
    fake.enrolled[(cid, ana)] = None
    people.ana.get("/catalog/plan")
    with people.app.app_context():
        job_id = db.session.scalar(select(Job.id).where(Job.kind == "plan_completion"))
        assert job_id is not None
        assert jobs.run_job(job_id) is not None
    assert people.entry(entry).status == "enrolled"
    assert people.entry(entry).enrolment_method == "self"
    assert people.entry(entry).enrol_page == ""

    # Her own token instead: checked, stored encrypted, then used.
    fake.enrolled.pop((cid, ana))
    reset_entry(people, entry)
    fake.user_tokens["anaowntoken123"] = ana
    fake.user_tokens["benowntoken456"] = int(people.served.user_id("ben"))
    form = people.ana.get("/catalog/account")
    assert "Preferences" in text(form) and "Security keys" in text(form)
    wrong = people.ana.post("/catalog/account/moodle", {"token": "nosuchtoken"})
    assert wrong.status_code == 400 and "Moodle does not accept this token" in text(wrong)
    someone = people.ana.post("/catalog/account/moodle", {"token": "benowntoken456"})
    assert someone.status_code == 400 and "belongs to another Moodle account" in text(someone)
    saved = people.ana.follow(
        people.ana.post("/catalog/account/moodle", {"token": "anaowntoken123"})
    )
    assert "Your Moodle token is saved" in text(saved)
    stored = account_row(people)
    assert stored is not None and "anaowntoken123" not in stored.access_token_encrypted
    enrolled = people.ana.follow(people.ana.post(f"/catalog/plan/{entry}/enrol"))
    assert "You are enrolled in Handling difficult calls" in text(enrolled)
    assert fake.enrol_methods[(cid, ana)] == "self"

    # Where the service account may enrol manually, it still does.
    other = people.add(people.ana, "Billing questions")
    people.ana.follow(people.ana.post(f"/catalog/plan/{other}/enrol"))
    assert people.entry(other).enrolment_method == "manual"

    # Removing it asks first.
    confirm = people.ana.get("/catalog/account/remove")
    assert confirm.status_code == 200 and "Remove your Moodle token?" in text(confirm)
    people.ana.follow(people.ana.post("/catalog/account/remove"))
    assert account_row(people) is None


def test_disconnecting_a_canvas_account_ends_it_in_canvas(on_canvas: People) -> None:
    people, fake = on_canvas, on_canvas.served.fake
    fake.browser_user = "ana"
    callback, window = connect_window(people, people.ana)
    assert window.get(callback).status_code == 200
    assert account_row(people) is not None and fake.tokens

    confirm = people.ana.get("/catalog/account/remove")
    assert "Disconnect your Canvas account?" in text(confirm)
    done = people.ana.follow(people.ana.post("/catalog/account/remove"))
    assert "Disconnected: Wayfinder forgot your token." in text(done)
    assert "Canvas did not confirm" not in text(done)
    assert account_row(people) is None
    assert fake.revoked == 1 and not fake.tokens and not fake.refresh_tokens

    # Canvas not answering: forgotten all the same, and the person told where to finish.
    callback, window = connect_window(people, people.ana)
    assert window.get(callback).status_code == 200
    fake.faults.append("oauth_down")
    done = people.ana.follow(people.ana.post("/catalog/account/remove"))
    assert "Canvas did not confirm it ended the connection" in text(done)
    assert account_row(people) is None and fake.revoked == 1
