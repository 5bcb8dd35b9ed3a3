"""Changing SECRET_KEY with the old value in SECRET_KEY_FALLBACKS loses nobody's work.

Ana launched and opened a form before the restart that changed SECRET_KEY. Served by Wayfinder
restarted with the new key and the old one as a fallback (a second app on the same database and
store), her launch token still opens pages and the form she had open still submits; what the new
process signs is signed with the new key. Without the fallback, the token and the form are
refused with a page that says what to do, never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from lti_tool import create_app
from lti_tool.config import signing_keys
from lti_tool.extensions import db
from lti_tool.lti import dynreg
from lti_tool.lti.session import read_token
from tests.community.conftest import Session, ana, chloe, text
from tests.conftest import SECRET, overrides
from tests.harness import FakeLms, ServerThread

__all__ = ["ana", "chloe"]  # fixtures, imported for this module's tests

NEW_KEY = "the-secret-key-after-the-restart-0123456789"


@contextmanager
def restarted(app: Any, tmp_path: Path, fallbacks: list[str]) -> Iterator[Any]:
    """Wayfinder started again on the same database and store with NEW_KEY as SECRET_KEY."""
    again = create_app(
        {
            **overrides(tmp_path),
            "DATABASE_URL": app.config["DATABASE_URL"],
            "SECRET_KEY": NEW_KEY,
            "SECRET_KEY_FALLBACKS": fallbacks,
        }
    )
    server = ServerThread(again)
    again.config["BASE"] = f"http://127.0.0.1:{server.port}"
    try:
        yield again
    finally:
        server.stop()
        with again.app_context():
            db.session.remove()
            db.engine.dispose()


def open_form(ana: Session) -> str:
    """Ana's profile form, opened before the restart: its CSRF token."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', ana.get("/me/edit").text)
    assert match
    return match.group(1)


def on(app: Any, ana: Session) -> Session:
    return Session(ana.browser, app.config["BASE"], ana.token, ana.name)


def test_a_launch_and_an_open_form_outlive_the_change_with_a_fallback(
    ana: Session, app: Any, tmp_path: Path
) -> None:
    csrf = open_form(ana)
    with restarted(app, tmp_path, [SECRET]) as again:
        after = on(again, ana)
        page = after.get("/me/edit")
        assert page.status_code == 200, text(page)[:400]

        saved = after.browser.post(
            after.url("/me/edit"),
            data={"csrf_token": csrf, "preferred_name": "Anita"},
            allow_redirects=False,
        )
        assert saved.status_code == 303, text(saved)[:400]
        assert "Anita" in text(after.follow(saved))

        # What the new process signs (the page's links and form) is under the new key: it still
        # reads once the old key is dropped.
        signed = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        token = re.search(r"lt=([\w.\-]+)", page.text)
        assert signed and token
    with restarted(app, tmp_path, []) as later:
        after = Session(ana.browser, later.config["BASE"], token.group(1), ana.name)
        saved = after.browser.post(
            after.url("/me/edit"),
            data={"csrf_token": signed.group(1), "preferred_name": "Ani"},
            allow_redirects=False,
        )
        assert saved.status_code == 303, text(saved)[:400]


def test_without_the_fallback_the_old_token_and_form_are_refused_plainly(
    ana: Session, app: Any, tmp_path: Path
) -> None:
    csrf = open_form(ana)
    with restarted(app, tmp_path, []) as again:
        after = on(again, ana)
        page = after.get("/me/edit")
        assert 400 <= page.status_code < 500
        assert "Traceback" not in page.text

        refused = after.browser.post(
            after.url("/me/edit"),
            data={"csrf_token": csrf, "preferred_name": "Anita"},
            allow_redirects=False,
        )
        assert 400 <= refused.status_code < 500
        assert "Traceback" not in refused.text
    # Nothing was saved by the refused form.
    assert "Anita" not in text(ana.get("/me"))


def test_the_launch_token_reads_under_the_new_key_with_the_old_as_fallback(
    ana: Session, app: Any, tmp_path: Path
) -> None:
    with restarted(app, tmp_path, [SECRET]) as again:
        assert read_token(again, ana.token)
    with restarted(app, tmp_path, []) as again:
        assert read_token(again, ana.token) is None


def test_a_registration_confirmed_across_the_change_still_reads(
    app: Any, tmp_path: Path, lms: FakeLms
) -> None:
    """The dynamic registration's confirmation page carries a signed reference for 10 minutes."""
    platform = dynreg.PlatformConfig(
        issuer="https://moodle.example.com",
        authorization_endpoint="https://moodle.example.com/auth",
        token_endpoint="https://moodle.example.com/token",
        jwks_uri="https://moodle.example.com/jwks",
        registration_endpoint="https://moodle.example.com/register",
    )

    def confirmation_page() -> str:
        with app.app_context():
            reference = dynreg.remember_pending(
                platform,
                "https://moodle.example.com/conf",
                "token",
                "https://wf",
                keys=[SECRET],
                ttl=600,
            )
            db.session.commit()
            return reference

    reference = confirmation_page()
    with restarted(app, tmp_path, [SECRET]) as again, again.app_context():
        pending = dynreg.take_pending(reference, keys=signing_keys(again.config), ttl=600)
        assert pending["config"]["issuer"] == "https://moodle.example.com"

    reference = confirmation_page()
    with (
        restarted(app, tmp_path, []) as again,
        again.app_context(),
        pytest.raises(dynreg.RegistrationProblem),
    ):
        dynreg.take_pending(reference, keys=signing_keys(again.config), ttl=600)
