"""The leader scorecard and the stall nudge in a real browser, on the demo data: Dev (who leads
the team leads) sorts the scorecard by keyboard at 1280 px and at 360 px; Ben, made leader of
the stalled night shift for this test, sees the nudge on his home and on the team's page and
hides it for a week. Every page fits 360 px without sideways scrolling and is saved as a
screenshot in /tmp/shots-leaders/ (and test-artifacts/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import select

from lti_tool.devlauncher import demo_leaders
from lti_tool.extensions import db
from lti_tool.people.models import Person
from lti_tool.roles.models import Team
from tests.conftest import demo_site
from tests.test_browser import ARGS, ARTIFACTS, CHROMIUM, TIMEOUT, launch_in_frame

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots-leaders")  # noqa: S108


@pytest.fixture
def site(clean_app: Any, tmp_path: Any) -> Iterator[tuple[Any, str]]:
    with demo_site(clean_app.config["DATABASE_URL"], tmp_path) as s:
        yield s.app, s.lms


def fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def shot(page: Page, name: str) -> None:
    for folder in (SHOTS, ARTIFACTS):
        folder.mkdir(exist_ok=True, parents=True)
        page.screenshot(path=str(folder / f"leaders-{name}.png"), full_page=True)


def at(frame_url: str, path: str) -> str:
    """The same launch (its token) on another Wayfinder page."""
    parts = urlsplit(frame_url)
    return f"{parts.scheme}://{parts.netloc}{path}{'&' if '?' in path else '?'}{parts.query}"


def test_scorecard_and_nudge(site: tuple[Any, str]) -> None:
    app, lms = site
    with app.app_context():
        night = db.session.scalar(select(Team).where(Team.name == demo_leaders.NIGHT_TEAM))
        ben = db.session.scalar(select(Person).where(Person.sub == "ben"))
        assert night is not None and ben is not None
        night.leader_id, night_id = ben.id, night.id
        db.session.commit()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            frame = launch_in_frame(page, lms, persona="dev")
            # The frame's first heading may be the platform-storage step's: wait for the home
            # page, whose address carries the launch token.
            frame.wait_for_selector("h1:has-text('Welcome, Dev')", timeout=TIMEOUT)
            page.goto(at(frame.url, "/leaders/scorecard"))
            page.wait_for_selector("h1:has-text('Leader scorecard')", timeout=TIMEOUT)
            rows = page.locator("table.scorecard tbody tr")
            assert rows.count() == 3  # Ben (two teams now), Dev (an administrator sees all), Lucas
            assert page.get_by_text("Night shift: learning stalled").is_visible()
            shot(page, "scorecard-1280")
            link = page.get_by_role("link", name="Coaching sessions given")
            link.focus()
            link.press("Enter")
            page.wait_for_url("**sort=coaching**", timeout=TIMEOUT)
            first = page.locator("table.scorecard tbody tr").first.locator("th").text_content()
            assert first is not None and first.startswith("Lucas Moreau")
            assert page.locator("th[aria-sort=descending]").count() == 1
            page.set_viewport_size({"width": 360, "height": 800})
            page.reload()
            assert fits(page)
            shot(page, "scorecard-360")
            period = page.get_by_label("Period", exact=True)
            period.select_option("90")
            show = page.get_by_role("button", name="Show")
            show.focus()
            show.press("Enter")
            page.wait_for_url("**period=90**", timeout=TIMEOUT)
            assert page.get_by_text("last 90 days").first.is_visible()

            desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            frame = launch_in_frame(desk, lms, persona="ben")
            frame.wait_for_selector("h1:has-text('Welcome, Ben')", timeout=TIMEOUT)
            desk.goto(frame.url)
            desk.wait_for_selector("h1:has-text('Welcome, Ben')", timeout=TIMEOUT)
            assert desk.get_by_text("Dev Desai").count() == 0  # no empty path to show his team
            assert desk.get_by_text("Learning in Night shift has gone quiet").is_visible()
            shot(desk, "home-nudge-1280")
            desk.goto(at(frame.url, f"/paths/team/{night_id}"))
            desk.wait_for_selector("h1:has-text('Night shift')", timeout=TIMEOUT)
            assert desk.get_by_role("link", name="Book or offer a coaching slot").is_visible()
            assert desk.get_by_role("heading", name="Coaching given").is_visible()
            shot(desk, "team-nudge-1280")
            desk.set_viewport_size({"width": 360, "height": 800})
            desk.reload()
            assert fits(desk)
            shot(desk, "team-nudge-360")
            hide = desk.get_by_role("button", name="Hide this for a week")
            hide.focus()
            hide.press("Enter")
            desk.wait_for_selector("text=is hidden until", timeout=TIMEOUT)
            assert desk.get_by_text("has gone quiet").count() == 0
            shot(desk, "team-dismissed-360")
        finally:
            browser.close()
