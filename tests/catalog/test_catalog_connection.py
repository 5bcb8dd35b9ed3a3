"""A Canvas account administrator connects the catalog through the developer key.

Instead of pasting an admin token, Ben (a Wayfinder administrator who administers the Canvas
account) connects the catalog as himself: Canvas's authorise page in a new window, back to
Wayfinder's callback, and the connection is the catalog's access. The sync then reads the
account's courses with his token, renews it when it expires, and when Canvas revokes it the
catalog is back to "developer key only" with the problem shown. All against the served Canvas
fake (its OAuth endpoints and API), over real HTTP.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from lti_tool.catalog import access, accounts
from lti_tool.catalog.models import CatalogSource, LmsAccount
from lti_tool.extensions import db
from lti_tool.tenancy import tenant_scope
from tests.catalog.conftest import Served, items, run_sync
from tests.catalog.test_key_only import KEY_ONLY_NOTICE, save_access
from tests.catalog.test_plan import person
from tests.community.conftest import Session, text
from tests.harness import ADMIN, LEARNER, Browser, FakeLms


def catalog_row(app: Any, tenant: int) -> CatalogSource:
    with app.app_context(), tenant_scope(db.session, tenant):
        row = db.session.scalar(select(CatalogSource))
        assert row is not None
        db.session.expunge(row)
        return row


def connect_catalog(ben: Session, canvas: Served) -> Any:
    """ "Connect the catalog as me", followed as its new window would (no launch, no cookie)."""
    start = ben.get("/catalog/access/canvas/connect")
    assert start.status_code == 303, text(start)[:500]
    authorise = start.headers["Location"]
    assert authorise.startswith(canvas.url + "/login/oauth2/auth?")
    assert "lt=" not in parse_qs(urlsplit(authorise).query)["redirect_uri"][0]
    window = Browser()
    back = window.get(authorise)
    assert back.status_code == 302
    return window.get(back.headers["Location"])


@pytest.fixture
def ben(clean_app: Any, lms: FakeLms, canvas: Served) -> Session:
    """A Wayfinder administrator who administers the Canvas account, key saved, no token."""
    canvas.fake.admin_users = {int(canvas.user_id("ben"))}
    canvas.fake.browser_user = "ben"
    who = person(lms, "ben-sub", [ADMIN], "Ben Brooks", canvas_user_id=canvas.user_id("ben"))
    saved = save_access(who, canvas)
    assert saved.status_code == 303
    page = who.follow(saved)
    assert "LMS access for the catalog" in text(page)  # back on LMS access, to connect
    assert "connect the catalog as a Canvas account administrator" in text(page)
    assert "Connect the catalog as me" in text(page)
    return who


def test_connected_catalog_syncs_with_the_administrator_s_token(
    clean_app: Any, lms: FakeLms, canvas: Served, ben: Session
) -> None:
    tenant = int(lms.registration_id)  # type: ignore[attr-defined]
    done = connect_catalog(ben, canvas)
    assert done.status_code == 200, text(done)[:500]
    assert "The catalog is connected" in text(done)
    assert f"Canvas user {canvas.user_id('ben')}" in text(done)

    row = catalog_row(clean_app, tenant)
    assert row.connected_as == canvas.user_id("ben")
    assert row.refresh_token_encrypted and row.token_expires_at
    assert not row.key_only
    with clean_app.app_context(), tenant_scope(db.session, tenant):
        assert db.session.scalar(select(LmsAccount)) is None  # not Ben's own account

    words = text(ben.get("/catalog/access"))
    assert f"Connected as Ben Brooks (Canvas user {canvas.user_id('ben')})" in words
    assert "Connect again as me" in words
    words = text(ben.get("/catalog/manage"))
    assert KEY_ONLY_NOTICE not in words and "Sync catalog now" in words

    state, message = run_sync(clean_app, tenant)
    assert state == "succeeded", message
    assert set(items(clean_app, tenant)) == {c.title for c in canvas.fake.courses if c.visible}
    assert canvas.fake.refreshes == 0

    # An hour later the token has expired: the next sync renews it first.
    with clean_app.app_context(), tenant_scope(db.session, tenant):
        stored = db.session.scalar(select(CatalogSource))
        assert stored is not None
        stored.token_expires_at = time.time() - 60
        db.session.commit()
    before = catalog_row(clean_app, tenant).token_encrypted
    state, message = run_sync(clean_app, tenant)
    assert state == "succeeded", message
    assert canvas.fake.refreshes == 1
    renewed = catalog_row(clean_app, tenant)
    assert renewed.token_encrypted != before and renewed.token_expires_at > time.time()


def test_a_connection_canvas_revoked_is_forgotten_and_said(
    clean_app: Any, lms: FakeLms, canvas: Served, ben: Session
) -> None:
    tenant = int(lms.registration_id)  # type: ignore[attr-defined]
    assert connect_catalog(ben, canvas).status_code == 200
    canvas.fake.tokens.clear()  # revoked in Canvas: neither token works any more
    canvas.fake.refresh_tokens.clear()
    with clean_app.app_context(), tenant_scope(db.session, tenant):
        stored = db.session.scalar(select(CatalogSource))
        assert stored is not None
        stored.token_expires_at = time.time() - 60
        db.session.commit()

    state, message = run_sync(clean_app, tenant)
    assert state == "failed"
    row = catalog_row(clean_app, tenant)
    assert row.key_only and not row.connected_as and not row.refresh_token_encrypted
    assert message.startswith("Canvas is set up with a developer key only.")
    words = text(ben.get("/catalog/manage"))
    assert KEY_ONLY_NOTICE in words
    assert "Canvas no longer accepts the catalog's connection" in words
    assert "The LMS no longer accepts Wayfinder's token" not in words
    assert "Connect the catalog as me" in text(ben.get("/catalog/access"))


def test_a_pasted_token_replaces_the_connection(
    clean_app: Any, lms: FakeLms, canvas: Served, ben: Session
) -> None:
    tenant = int(lms.registration_id)  # type: ignore[attr-defined]
    assert connect_catalog(ben, canvas).status_code == 200
    assert save_access(ben, canvas, token=canvas.token).status_code == 303
    row = catalog_row(clean_app, tenant)
    assert not row.connected_as and not row.refresh_token_encrypted
    with clean_app.app_context(), tenant_scope(db.session, tenant):
        found = access.access_for(tenant, clean_app.config["SECRET_KEY"])
        assert found.settings.token == canvas.token and not found.connected_as
    assert "Connect the catalog as me" in text(ben.get("/catalog/access"))


def test_only_administrators_connect_the_catalog_and_a_person_s_connect_stays_theirs(
    clean_app: Any, lms: FakeLms, canvas: Served, ben: Session
) -> None:
    tenant = int(lms.registration_id)  # type: ignore[attr-defined]
    canvas.fake.browser_user = "ana"
    ana = person(lms, "ana-sub", [LEARNER], "Ana Alvarez", canvas_user_id=canvas.user_id("ana"))
    assert ana.get("/catalog/access/canvas/connect").status_code == 403
    # Ana's own Connect stores her account, never the catalog's access.
    start = ana.get("/catalog/account/canvas/connect")
    window = Browser()
    back = window.get(start.headers["Location"])
    assert window.get(back.headers["Location"]).status_code == 200
    row = catalog_row(clean_app, tenant)
    assert row.key_only and not row.connected_as
    with clean_app.app_context(), tenant_scope(db.session, tenant):
        account = db.session.scalar(select(LmsAccount))
        assert account is not None and account.lms_user_id == canvas.user_id("ana")
    # A catalog state names its purpose inside the signature: it cannot be made from a person's.
    state = accounts.make_state(clean_app.config["SECRET_KEY"], tenant, 1, "501")
    with clean_app.test_request_context():
        assert accounts.read_state(clean_app.config["SECRET_KEY"], state).purpose == "person"


def test_canvas_not_answering_a_renewal_is_retried_and_keeps_the_connection(
    clean_app: Any, lms: FakeLms, canvas: Served, ben: Session
) -> None:
    """Canvas down when the connection needs renewing: the sync says the LMS did not answer
    (not that the token was refused), asks nothing with the expired token, keeps the
    connection, and the retry once Canvas is back renews it and syncs."""
    tenant = int(lms.registration_id)  # type: ignore[attr-defined]
    assert connect_catalog(ben, canvas).status_code == 200
    with clean_app.app_context(), tenant_scope(db.session, tenant):
        stored = db.session.scalar(select(CatalogSource))
        assert stored is not None
        stored.token_expires_at = time.time() - 60
        db.session.commit()

    canvas.fake.faults.append("oauth_down")
    canvas.fake.seen.clear()
    state, message = run_sync(clean_app, tenant)
    assert state == "failed"
    assert message.startswith("The LMS did not answer.") and "retrying at" in message
    assert not [url for url in canvas.fake.seen if "/api/" in url]  # no stale token sent
    row = catalog_row(clean_app, tenant)
    assert row.connected_as == canvas.user_id("ben") and row.refresh_token_encrypted
    assert row.problem_kind == "unavailable"
    words = text(ben.get("/catalog/manage"))
    assert "The LMS did not answer." in words and KEY_ONLY_NOTICE not in words
    assert "no longer accepts" not in words

    state, message = run_sync(clean_app, tenant)  # the retry, Canvas back
    assert state == "succeeded", message
    assert canvas.fake.refreshes == 1
    row = catalog_row(clean_app, tenant)
    assert row.token_expires_at > time.time() and not row.problem


def test_disconnecting_the_catalog_ends_it_in_canvas_and_asks_first(
    clean_app: Any, lms: FakeLms, canvas: Served, ben: Session
) -> None:
    tenant = int(lms.registration_id)  # type: ignore[attr-defined]
    assert "Disconnect the catalog" not in text(ben.get("/catalog/access"))
    nothing = ben.follow(ben.get("/catalog/access/canvas/disconnect"))
    assert "The catalog is not connected to Canvas through the developer key." in text(nothing)

    assert connect_catalog(ben, canvas).status_code == 200
    assert "Disconnect the catalog" in text(ben.get("/catalog/access"))
    confirm = ben.get("/catalog/access/canvas/disconnect")
    assert confirm.status_code == 200
    assert "Disconnect the catalog from Canvas?" in text(confirm)
    assert f"connected as Ben Brooks (Canvas user {canvas.user_id('ben')})" in text(confirm)
    assert catalog_row(clean_app, tenant).connected_as  # asking changed nothing

    # Expired meanwhile: renewed first, so Canvas knows the token it is asked to end.
    with clean_app.app_context(), tenant_scope(db.session, tenant):
        stored = db.session.scalar(select(CatalogSource))
        assert stored is not None
        stored.token_expires_at = time.time() - 60
        db.session.commit()
    done = ben.follow(ben.post("/catalog/access/canvas/disconnect"))
    words = text(done)
    assert "Disconnected: Canvas ended the connection and Wayfinder forgot it." in words
    assert "Connect the catalog as me" in words and "Disconnect the catalog" not in words
    assert canvas.fake.refreshes == 1 and canvas.fake.revoked == 1
    assert not canvas.fake.tokens and not canvas.fake.refresh_tokens  # over in Canvas too
    row = catalog_row(clean_app, tenant)
    assert row.key_only and not row.connected_as and not row.refresh_token_encrypted
    assert KEY_ONLY_NOTICE in text(ben.get("/catalog/manage"))


def test_disconnecting_while_canvas_does_not_answer_still_forgets_and_says_what_to_do(
    clean_app: Any, lms: FakeLms, canvas: Served, ben: Session
) -> None:
    tenant = int(lms.registration_id)  # type: ignore[attr-defined]
    assert connect_catalog(ben, canvas).status_code == 200
    canvas.fake.faults.append("oauth_down")
    words = text(ben.follow(ben.post("/catalog/access/canvas/disconnect")))
    assert "Canvas did not confirm it ended it" in words
    assert "Account > Settings > Approved integrations" in words
    assert canvas.fake.revoked == 0
    assert catalog_row(clean_app, tenant).key_only


def test_only_administrators_disconnect_the_catalog(
    clean_app: Any, lms: FakeLms, canvas: Served, ben: Session
) -> None:
    tenant = int(lms.registration_id)  # type: ignore[attr-defined]
    assert connect_catalog(ben, canvas).status_code == 200
    ana = person(lms, "ana-sub", [LEARNER], "Ana Alvarez")
    refused = ana.post("/catalog/access/canvas/disconnect")
    assert refused.status_code == 403
    assert catalog_row(clean_app, tenant).connected_as == canvas.user_id("ben")
