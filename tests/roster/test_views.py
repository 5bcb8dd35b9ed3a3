"""The instructor's roster page: who may see it, starting a sync, seeing its result."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import select

from lti_tool.devlauncher.platform import LaunchSpec, LaunchUser
from lti_tool.devlauncher.roster_platform import RosterPlatform, member
from lti_tool.extensions import db
from lti_tool.jobs.models import Job, JobState
from lti_tool.lti.models import Registration
from lti_tool.people.models import Course
from tests.harness import INSTRUCTOR, LEARNER, Browser, FakeLms, ServerThread, form_fields, launch
from tests.jobs.util import drain

NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


@pytest.fixture
def platform(lms: FakeLms, clean_app: Any) -> Iterator[RosterPlatform]:
    members = {
        "course-1": [
            member("user-1", ["Instructor"], name="Ines Instructor"),
            *(member(f"agent-{i}", ["Learner"], name=f"Agent {i:02}") for i in range(60)),
        ]
    }
    holder: dict[str, str] = {}
    roster = RosterPlatform(
        client_id=lms.client_id,
        token_url=lambda: holder["url"] + "/token",
        tool_jwks=lambda: requests.get(lms.tool_url + "/lti/jwks", timeout=5).json(),
        members_for=members.get,
        secret="views-test-secret",
    )
    server = ServerThread(roster.app())
    holder["url"] = f"http://127.0.0.1:{server.port}"
    with clean_app.app_context():
        reg = db.session.get(Registration, lms.registration_id)  # type: ignore[attr-defined]
        assert reg is not None
        reg.auth_token_url = holder["url"] + "/token"
        db.session.commit()
    roster.url = holder["url"]  # type: ignore[attr-defined]
    yield roster
    server.stop()


def launched_as(browser: Browser, lms: FakeLms, roles: list[str], roster_url: str) -> str:
    lms.spec = LaunchSpec(
        user=LaunchUser("user-1", roles, "Ines Instructor", "ines@example.com"),
        context_id="course-1",
        context_title="Billing basics",
        extra_claims={NRPS: {"context_memberships_url": roster_url, "service_versions": ["2.0"]}},
    )
    attempt = launch(browser, lms)
    assert attempt.launch is not None and attempt.launch.status_code == 200
    token = re.search(r"lt=([\w.\-]+)", attempt.launch.headers["Content-Location"])
    assert token
    return token.group(1)


def test_learner_may_not_see_or_sync_the_roster(
    lms: FakeLms, browser: Browser, platform: RosterPlatform, clean_app: Any
) -> None:
    token = launched_as(browser, lms, [LEARNER], platform.url + "/nrps/course-1")  # type: ignore[attr-defined]
    page = browser.get(f"{lms.tool_url}/roster/?lt={token}")
    assert page.status_code == 403 and "This page is not for your role" in page.text
    home = browser.get(f"{lms.tool_url}/?lt={token}")
    assert "/roster/" not in home.text
    # A valid CSRF token of this launch (from the profile form) does not make the POST allowed.
    _action, fields = form_fields(browser.get(f"{lms.tool_url}/me/edit?lt={token}").text)
    sync = browser.post(f"{lms.tool_url}/roster/sync?lt={token}", data=fields)
    assert sync.status_code == 403 and "This page is not for your role" in sync.text
    with clean_app.app_context():
        assert db.session.scalar(select(Job)) is None


def test_instructor_starts_a_sync_and_sees_the_members(
    lms: FakeLms, browser: Browser, platform: RosterPlatform, clean_app: Any
) -> None:
    roster_url = platform.url + "/nrps/course-1"  # type: ignore[attr-defined]
    token = launched_as(browser, lms, [INSTRUCTOR], roster_url)
    with clean_app.app_context():
        course = db.session.scalar(select(Course).where(Course.context_id == "course-1"))
        assert course is not None and course.roster_url == roster_url  # kept from the launch
    home = browser.get(f"{lms.tool_url}/?lt={token}")
    assert "Course roster" in home.text and "/roster/?lt=" in home.text
    page = browser.get(f"{lms.tool_url}/roster/?lt={token}")
    assert page.status_code == 200
    assert "No sync yet" in page.text and 'Members <span class="muted">(1)</span>' in page.text

    action, fields = form_fields(page.text)
    assert "csrf_token" in fields and "lt=" in action
    started = browser.post(lms.tool_url + action, data=fields)
    assert started.status_code == 303
    waiting = browser.get(lms.tool_url + started.headers["Location"])
    assert "Roster sync started" in waiting.text
    assert "Waiting to start" in waiting.text and 'data-running="true"' in waiting.text
    assert "disabled" in waiting.text  # no second sync while one is pending
    again = browser.post(lms.tool_url + action, data=fields)
    assert (
        "already waiting or running" in browser.get(lms.tool_url + again.headers["Location"]).text
    )

    drain(clean_app)
    status = browser.get(f"{lms.tool_url}/roster/status?lt={token}").json()
    assert status["state"] == "succeeded" and status["finished"] is True
    assert status["done"] == status["total"] == 61
    done = browser.get(f"{lms.tool_url}/roster/?lt={token}")
    assert "Last sync finished" in done.text and "started by Ines Instructor" in done.text
    assert "Synced 61 members: 60 new" in done.text
    assert 'Members <span class="muted">(61)</span>' in done.text
    assert "Page 1 of 2" in done.text and "Agent 00" in done.text
    next_page = re.search(r'href="(/roster/\?[^"]*page=2[^"]*)"', done.text)
    assert next_page
    second = browser.get(lms.tool_url + next_page.group(1).replace("&amp;", "&"))
    assert "Page 2 of 2" in second.text and "Agent 59" in second.text
    with clean_app.app_context():
        assert [j.state for j in db.session.scalars(select(Job))] == [JobState.SUCCEEDED]


def test_inline_mode_shows_the_result_right_away(
    lms: FakeLms,
    browser: Browser,
    platform: RosterPlatform,
    clean_app: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(clean_app.config, "JOBS_INLINE", True)
    token = launched_as(browser, lms, [INSTRUCTOR], platform.url + "/nrps/course-1")  # type: ignore[attr-defined]
    page = browser.get(f"{lms.tool_url}/roster/?lt={token}")
    action, fields = form_fields(page.text)
    started = browser.post(lms.tool_url + action, data=fields)
    done = browser.get(lms.tool_url + started.headers["Location"])
    assert "Last sync finished" in done.text and "Synced 61 members" in done.text
    assert 'data-running="false"' in done.text
