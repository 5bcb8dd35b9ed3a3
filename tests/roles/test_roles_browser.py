"""The role-by-skill matrix editor in a real browser at 360 px, by keyboard: Chloe (instructor)
opens it from the home page inside the launcher's iframe, tabs to a cell, types a level, and
saves. Screenshots go to test-artifacts/ (roles-matrix-360.png, roles-me-360.png)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import demo_site
from tests.test_browser import ARGS, ARTIFACTS, CHROMIUM, TIMEOUT, launch_in_frame

pytestmark = pytest.mark.browser


@pytest.fixture
def site(clean_app: Any, tmp_path: Any) -> Iterator[tuple[str, str]]:
    with demo_site(clean_app.config["DATABASE_URL"], tmp_path) as site:
        yield site.tool, site.lms


def test_matrix_by_keyboard_at_360_px(site: tuple[str, str]) -> None:
    _tool, lms = site
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 360, "height": 800}).new_page()
            frame = launch_in_frame(page, lms, persona="chloe")
            frame.wait_for_selector("h1:has-text('Welcome, Chloe')", timeout=TIMEOUT)
            page.goto(frame.url)  # Wayfinder's pages top level, at 360 px
            page.get_by_role("link", name="Target levels").first.click()
            page.wait_for_selector("h1:has-text('Target levels')", timeout=TIMEOUT)
            empathy = page.get_by_label("Empathy for Tier 1 agent")
            assert empathy.input_value() == "3"  # the starter set's target
            # Keyboard only: from the cell before it, Tab lands on it; a digit picks the level.
            page.get_by_label("De-escalation for Tier 1 agent").focus()
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.getAttribute('aria-label')") == (
                "Empathy for Tier 1 agent"
            )
            page.keyboard.type("5")
            assert empathy.input_value() == "5"
            page.keyboard.press("Tab")
            page.keyboard.type("n")  # "none": the role does not need the next skill
            assert page.get_by_label("Product knowledge for Tier 1 agent").input_value() == ""
            page.get_by_role("button", name="Save target levels").focus()
            page.keyboard.press("Enter")
            page.wait_for_selector("text=Target levels saved (2 changed).", timeout=TIMEOUT)
            assert page.get_by_label("Empathy for Tier 1 agent").input_value() == "5"
            assert page.get_by_label("Product knowledge for Tier 1 agent").input_value() == ""
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            page.screenshot(path=str(ARTIFACTS / "roles-matrix-360.png"), full_page=False)
            page.screenshot(path=str(ARTIFACTS / "roles-matrix-360-full.png"), full_page=True)

            frame = launch_in_frame(page, lms, persona="ana")
            frame.wait_for_selector("h1:has-text('Welcome, Ana')", timeout=TIMEOUT)
            page.goto(frame.url)
            page.get_by_role("link", name="My role and career goal").click()
            page.wait_for_selector("h1:has-text('My role')", timeout=TIMEOUT)
            assert page.get_by_text("You are Tier 1 agent").is_visible()
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            page.screenshot(path=str(ARTIFACTS / "roles-me-360.png"), full_page=True)
        finally:
            browser.close()
