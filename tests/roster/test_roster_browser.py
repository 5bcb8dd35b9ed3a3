"""The roster page in a real browser, inside the launcher's iframe: pressing Sync shows the job
waiting, and the page's status poll (static JS; the CSP forbids inline scripts) brings in the
result once a worker has run it. Screenshots at 360 px and 1280 px go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import demo_site
from tests.jobs.util import drain
from tests.test_browser import ARGS, ARTIFACTS, CHROMIUM, TIMEOUT, launch_in_frame

pytestmark = pytest.mark.browser


@pytest.fixture
def site(clean_app: Any, tmp_path: Any) -> Iterator[tuple[Any, str, str]]:
    with demo_site(clean_app.config["DATABASE_URL"], tmp_path) as site:
        yield site.app, site.tool, site.lms


@pytest.mark.parametrize("width", [360, 1280])
def test_sync_from_the_roster_page_shows_progress_then_members(
    site: tuple[Any, str, str], width: int
) -> None:
    app, _tool, lms = site
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
            frame = launch_in_frame(page, lms, persona="chloe")
            frame.wait_for_selector("h1:has-text('Welcome, Chloe')", timeout=TIMEOUT)
            frame.get_by_role("link", name="See the roster and sync it").click()
            frame.wait_for_selector("h1:has-text('Course roster')", timeout=TIMEOUT)
            frame.get_by_role("button", name="Sync roster now").click()
            frame.wait_for_selector("text=Waiting to start", timeout=TIMEOUT)
            assert frame.get_by_role("button", name="Sync roster now").is_disabled()
            page.screenshot(path=str(ARTIFACTS / f"roster-waiting-{width}.png"), full_page=True)

            # A worker runs the job while the page sits there (in this thread: RQ's worker
            # needs the main thread). No reload by the test: the page's own status poll notices.
            drain(app)
            frame.wait_for_selector("text=Last sync finished", timeout=TIMEOUT)
            assert frame.get_by_text("Synced 18 members").is_visible()
            assert frame.get_by_role("cell", name="Carmen Diaz").count() == 1
            page.goto(frame.url)  # the roster page top level, at this width
            page.wait_for_selector("h1:has-text('Course roster')", timeout=TIMEOUT)
            page.screenshot(path=str(ARTIFACTS / f"roster-{width}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        finally:
            browser.close()
