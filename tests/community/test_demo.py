"""The demo data of the development launcher: what Chloe, Ben and Ana see in the community."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from lti_tool import create_app
from lti_tool.community.models import Post
from lti_tool.devlauncher import demo
from lti_tool.extensions import db
from tests.community.conftest import Session, text
from tests.conftest import overrides
from tests.harness import Browser, ServerThread, form_fields


@pytest.fixture
def launcher(clean_app: Any, tmp_path: Any) -> Iterator[tuple[Any, str]]:
    app = create_app(
        {
            **overrides(tmp_path),
            "DATABASE_URL": clean_app.config["DATABASE_URL"],
            "DEV_LAUNCHER": True,
        }
    )
    app.instance_path = str(tmp_path)
    server = ServerThread(app)
    tool, lms = f"http://127.0.0.1:{server.port}", f"http://localhost:{server.port}"
    app.config.update(DEV_TOOL_URL=tool, DEV_LMS_URL=lms)
    with app.app_context():
        demo.seed(tool, lms)
        db.session.commit()
        demo.seed(tool, lms)  # seeding again adds nothing
        db.session.commit()
    yield app, tool
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def persona(tool: str, key: str) -> Session:
    browser = Browser()
    page = browser.get(f"{tool}/dev/?persona={key}&storage=none".replace("127.0.0.1", "localhost"))
    login_url = re.search(r'src="([^"]+/lti/login[^"]*)"', page.text)
    assert login_url, page.text[:500]
    login = browser.get(login_url.group(1).replace("&amp;", "&"))
    auth = browser.get(login.headers["Location"])
    action, fields = form_fields(auth.text)
    landed = browser.post(action, data=fields)
    assert landed.status_code == 200
    token = re.search(r"lt=([\w.\-]+)", landed.headers["Content-Location"])
    assert token
    return Session(browser, tool, token.group(1), key)


def test_demo_community(launcher: tuple[Any, str]) -> None:
    app, tool = launcher
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Post)) == 7

    chloe = persona(tool, "chloe")
    queue = text(chloe.get("/community/review"))
    assert "Flagged (1)" in queue and "It has a customer's name and phone number." in queue
    assert "Where the new cancellation fee is explained" in queue  # its article changed

    ana = persona(tool, "ana")
    home = ana.get("/")
    assert "/community/?" in home.text
    feed = text(ana.get("/community/"))
    assert "Verified by Ben Brooks" in feed and "Verified by Chloe Chen" in feed
    assert "Not verified yet" in feed and "Solved" in feed
    assert "Ben Brooks answered your question" in text(ana.get("/community/notifications"))

    ben = persona(tool, "ben")
    waiting = text(ben.get("/community/unanswered"))
    assert "A caller swears at me from the first second" in waiting
