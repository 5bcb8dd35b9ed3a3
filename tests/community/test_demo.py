"""The demo data of the development launcher: what Chloe, Ben and Ana see in the community."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from lti_tool.community.models import Post
from lti_tool.extensions import db
from tests.community.conftest import persona, text


def test_demo_community(launcher: tuple[Any, str]) -> None:
    app, tool = launcher
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Post)) == 7

    chloe = persona(tool, "chloe")
    queue = text(chloe.get("/community/review"))
    assert "Flagged (2)" in queue and "It has a customer's name and phone number." in queue
    assert "The fee changed in June: this tip is out of date." in queue
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


def test_a_placed_community_link_opens_the_community(lms: Any, chloe: Any) -> None:
    from tests.deeplinking.test_deeplinking import launch_placed
    from tests.harness import LEARNER, Browser

    item = {
        "title": "Community",
        "url": lms.tool_url + "/lti/launch",
        "custom": {"wayfinder_item": "community:space"},
    }
    opened = launch_placed(lms, Browser(), item, [LEARNER])
    assert opened.status_code == 200
    assert opened.headers["Content-Location"].startswith("/community/?lt=")
    assert "From your peers" in text(opened)
