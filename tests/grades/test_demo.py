"""The development launcher plays the LMS's gradebook: Ana's practice score reaches it, and Dev
the admin retries the score the demo data has the LMS refuse."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from lti_tool import create_app
from lti_tool.devlauncher import demo
from lti_tool.extensions import db
from lti_tool.grades.models import ScoreSend, SendState
from lti_tool.people.models import Course
from tests.conftest import overrides
from tests.harness import Browser, ServerThread, form_fields


@pytest.fixture
def launcher(clean_app: Any, tmp_path: Any) -> Iterator[tuple[Any, str]]:
    app = create_app(
        {
            **overrides(tmp_path),
            "DATABASE_URL": clean_app.config["DATABASE_URL"],
            "DEV_LAUNCHER": True,
            "JOBS_INLINE": True,
            "GRADES_PRACTICE_PAGE": True,
        }
    )
    app.instance_path = str(tmp_path)
    server = ServerThread(app)
    tool, lms = f"http://127.0.0.1:{server.port}", f"http://localhost:{server.port}"
    app.config.update(DEV_TOOL_URL=tool, DEV_LMS_URL=lms)
    with app.app_context():
        demo.seed(tool, lms)
        demo.seed(tool, lms)  # seeding twice adds nothing twice
        db.session.commit()
    yield app, tool
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def launch_as(tool: str, persona: str) -> tuple[Browser, str]:
    browser = Browser()
    page = browser.get(
        f"{tool}/dev/?persona={persona}&storage=none".replace("127.0.0.1", "localhost")
    )
    login_url = re.search(r'src="([^"]+/lti/login[^"]*)"', page.text)
    assert login_url, page.text[:500]
    login = browser.get(login_url.group(1).replace("&amp;", "&"))
    auth = browser.get(login.headers["Location"])
    action, fields = form_fields(auth.text)
    landed = browser.post(action, data=fields)
    assert landed.status_code == 200
    token = re.search(r"lt=([\w.\-]+)", landed.headers["Content-Location"])
    assert token
    return browser, token.group(1)


def test_practice_score_and_admin_retry_reach_the_demo_gradebook(
    launcher: tuple[Any, str],
) -> None:
    app, tool = launcher
    with app.app_context():
        assert (
            len(
                list(
                    db.session.scalars(select(Course).where(Course.ags_lineitems_url.is_not(None)))
                )
            )
            == 1
        )
        seeded = list(db.session.scalars(select(ScoreSend)))
        # Sam's practice score the LMS refused; the rest is the placed path's progress
        # (lti_tool/devlauncher/demo_grades_paths.py), waiting for its first launch.
        assert [s.user_id for s in seeded if s.state == SendState.FAILED] == ["sam"]

    ana, token = launch_as(tool, "ana")
    home = ana.get(f"{tool}/?lt={token}")
    assert "Try it with a practice score" in home.text
    page = ana.get(f"{tool}/grades/practice?lt={token}")
    _action, fields = form_fields(page.text)
    sent = ana.post(
        f"{tool}/grades/practice?lt={token}",
        data={"csrf_token": fields["csrf_token"], "level": "done"},
        allow_redirects=True,
    )
    assert "in the gradebook" in sent.text, sent.text[-2000:]  # inline job, demo mode
    book = Browser().get(f"{tool}/dev/platform/gradebook").json()
    practice = next(i for i in book if i["label"] == "Wayfinder orientation (practice)")
    assert practice["scores"]["ana"]["scoreGiven"] == 100.0

    dev, token = launch_as(tool, "dev")
    admin = dev.get(f"{tool}/admin/grades?lt={token}")
    assert "locked for end-of-term review" in admin.text
    _action, fields = form_fields(admin.text)
    retried = dev.post(
        f"{tool}/admin/grades/retry-failed?lt={token}",
        data={"csrf_token": fields["csrf_token"]},
        allow_redirects=True,
    )
    assert "1 failed score queued again." in retried.text
    # Sam's refused score is sent; what still waits is the placed path's progress, which goes
    # out once a launch of the placed link shows the LMS made its column.
    assert "locked for end-of-term review" not in retried.text
    book = Browser().get(f"{tool}/dev/platform/gradebook").json()
    practice = next(i for i in book if i["label"] == "Wayfinder orientation (practice)")
    assert practice["scores"]["sam"]["scoreGiven"] == 40.0
