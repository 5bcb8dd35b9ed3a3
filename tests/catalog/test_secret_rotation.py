"""Changing SECRET_KEY, with real encryption: tokens stored under the old key are read through
SECRET_KEY_FALLBACKS and written again under the new one; with no key that reads them, people
are asked to connect again and the administrator is told which setting to check, never a 500."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.base import StoredToken
from lti_tool.catalog import access, accounts
from lti_tool.catalog.models import CatalogSource, LmsAccount
from lti_tool.config import ConfigError, load_settings, validate
from lti_tool.extensions import db
from lti_tool.people.models import Person
from lti_tool.tenancy import tenant_scope
from tests.catalog.conftest import text
from tests.catalog.test_lms_accounts import on_canvas  # noqa: F401 (a fixture)
from tests.catalog.test_plan import People, person
from tests.harness import ADMIN, LEARNER

NEW_KEY = "the-new-secret-key-after-rotation-0123456789"


def stored(people: People) -> tuple[LmsAccount, CatalogSource]:
    with people.app.app_context(), tenant_scope(db.session, people.tenant):
        row = db.session.scalar(select(LmsAccount))
        source = db.session.scalar(select(CatalogSource))
        assert row is not None and source is not None
        db.session.expunge_all()
        return row, source


def save_ana_token(people: People, key: str) -> None:
    with people.app.app_context(), tenant_scope(db.session, people.tenant):
        ana = db.session.scalar(select(Person).where(Person.sub == "ana-sub"))
        assert ana is not None
        accounts.PersonTokens(people.tenant, key, "canvas", ana.id).put(
            people.served.user_id("ana"),
            StoredToken(access_token="ana-access-1", refresh_token="ana-refresh-1"),
        )
        db.session.commit()


def test_a_changed_secret_key_with_the_old_one_as_fallback_reads_and_reseals_tokens(
    on_canvas: People,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people, app = on_canvas, on_canvas.app
    old = app.config["SECRET_KEY"]
    save_ana_token(people, old)
    monkeypatch.setitem(app.config, "SECRET_KEY", NEW_KEY)
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old])

    ana = person(
        people.lms,
        "ana-sub",
        [LEARNER],
        "Ana Alvarez",
        "Tier 1 agent",
        canvas_user_id=people.served.user_id("ana"),
    )
    plan = ana.get("/catalog/plan")
    assert plan.status_code == 200
    assert 'status-enrolled">Connected</span>' in plan.text and "again" not in text(plan)
    with app.app_context(), tenant_scope(db.session, people.tenant):
        keys = access.secret_keys(app.config)
        token = accounts.PersonTokens(people.tenant, keys, "canvas").get(
            people.served.user_id("ana")
        )
        assert token is not None and token.access_token == "ana-access-1"
        found = access.access_for(people.tenant, keys)
        assert found.unreadable == () and found.settings.client_secret
        db.session.commit()
    # Both are now sealed with the new key alone: the old one can be dropped.
    row, source = stored(people)
    assert access.unseal(NEW_KEY, row.access_token_encrypted) == ("ana-access-1", False)
    assert access.unseal(NEW_KEY, row.refresh_token_encrypted) == ("ana-refresh-1", False)
    assert access.unseal(NEW_KEY, source.client_secret_encrypted)[0] == (
        people.served.fake.client_secret
    )
    with pytest.raises(access.Unreadable):
        access.unseal(old, row.access_token_encrypted)


def test_without_a_key_that_reads_them_people_connect_again_and_the_admin_is_told_why(
    on_canvas: People,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people, app = on_canvas, on_canvas.app
    save_ana_token(people, app.config["SECRET_KEY"])
    monkeypatch.setitem(app.config, "SECRET_KEY", NEW_KEY)
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])

    ana = person(
        people.lms,
        "ana-sub",
        [LEARNER],
        "Ana Alvarez",
        "Tier 1 agent",
        canvas_user_id=people.served.user_id("ana"),
    )
    for path in ("/catalog/plan", "/catalog/account"):
        page = ana.get(path)
        assert page.status_code == 200, path
        words = text(page)
        assert "Connect your Canvas account again" in words, path
        assert 'status-enrolled">Connected</span>' not in page.text, path
        assert "SECRET_KEY_FALLBACKS" not in words, path  # that is for the administrator
    entry = people.add(ana, "Handling difficult calls")
    people.served.fake.enrolled.pop(
        (int(people.served.course_id("calls")), int(people.served.user_id("ana"))), None
    )
    tried = ana.post(f"/catalog/plan/{entry}/enrol")
    assert tried.status_code == 303
    assert "Connect your Canvas account" in text(ana.follow(tried))

    dev = person(people.lms, "dev", [ADMIN], "Dev Desai")
    settings_page = dev.get("/catalog/access")
    assert settings_page.status_code == 200
    words = text(settings_page)
    assert "developer key secret cannot be read" in words
    assert "SECRET_KEY_FALLBACKS" in words and "WAYFINDER_SECRET_KEY_FALLBACKS" in words
    # An administrator with their own unreadable connection reads the setting to check there too.
    with app.app_context(), tenant_scope(db.session, people.tenant):
        row = db.session.scalar(select(LmsAccount))
        assert row is not None
        devs = db.session.scalar(select(Person.id).where(Person.sub == "dev"))
        row.person_id = devs
        db.session.commit()
    assert "SECRET_KEY_FALLBACKS" in text(dev.get("/catalog/account"))


def test_fallback_keys_are_set_like_every_other_setting(tmp_path: Path) -> None:
    named = tmp_path / "site.toml"
    named.write_text(f'SECRET_KEY_FALLBACKS = ["{"a" * 40}"]\n')
    assert load_settings(environ={"WAYFINDER_CONFIG": str(named)})["SECRET_KEY_FALLBACKS"] == [
        "a" * 40
    ]
    from_env = load_settings(
        environ={"WAYFINDER_SECRET_KEY_FALLBACKS": f" {'b' * 40} , {'c' * 40} "}
    )
    assert from_env["SECRET_KEY_FALLBACKS"] == ["b" * 40, "c" * 40]
    assert load_settings(environ={})["SECRET_KEY_FALLBACKS"] == []
    good = load_settings(environ={"WAYFINDER_SECRET_KEY": "k" * 40}, overrides={})
    validate(good)
    for bad in ("not a list", ["short"], [42]):
        with pytest.raises(ConfigError, match="SECRET_KEY_FALLBACKS"):
            validate({**good, "SECRET_KEY_FALLBACKS": bad})
