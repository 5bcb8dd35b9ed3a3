"""End-to-end launches over real HTTP from a pretend LMS built on lti1p3platform."""

from __future__ import annotations

from tests.harness import ADMIN, INSTRUCTOR, LEARNER, MANAGER, SYSADMIN, Browser, FakeLms, launch, page_title


def home_after(browser: Browser, lms: FakeLms, attempt):  # noqa: ANN001, ANN201
    assert attempt.launch is not None
    assert attempt.launch.status_code == 303, attempt.launch.text[:2000]
    location = attempt.launch.headers["Location"]
    assert "lt=" in location
    return browser.get(lms.tool_url + location)


def test_learner_launch_lands_on_learner_home(lms: FakeLms, browser: Browser) -> None:
    page = home_after(browser, lms, launch(browser, lms))
    assert page.status_code == 200
    assert page_title(page) == "Welcome, Lee Learner"
    assert "Your next step" in page.text
    assert "Learning paths by job role" not in page.text
    assert "This installation" not in page.text
