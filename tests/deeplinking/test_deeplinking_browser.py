"""Deep linking in a real browser with third-party cookies blocked: the development launcher (on
http://localhost) sends an LtiDeepLinkingRequest as Chloe the trainer to Wayfinder (on
http://127.0.0.1) in its iframe; she picks two items, Wayfinder's page posts the signed response
back to the LMS (static JS), the LMS validates it with lti1p3platform and lists the activities;
launching one opens that item. Screenshots at 360 px and 1280 px go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.conftest import demo_site
from tests.test_browser import ARGS, ARTIFACTS, CHROMIUM, TIMEOUT

pytestmark = pytest.mark.browser


@pytest.fixture
def site(clean_app: Any, tmp_path: Any) -> Iterator[tuple[str, str]]:
    with demo_site(clean_app.config["DATABASE_URL"], tmp_path) as site:
        yield site.tool, site.lms


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


@pytest.mark.parametrize("width", [360, 1280])
def test_deep_linking_round_trip_with_third_party_cookies_blocked(
    site: tuple[str, str], width: int
) -> None:
    tool, lms = site
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            # A fresh context blocks third-party cookies in the cross-site iframe.
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            page.goto(f"{lms}/dev/")
            page.get_by_role("link", name="Add Wayfinder content (deep linking) as Chloe").click()
            frame = page.frame_locator("iframe[title=Wayfinder]")
            frame.locator("h1:has-text('Add Wayfinder to your course')").wait_for(timeout=TIMEOUT)
            handle = page.query_selector("iframe[title=Wayfinder]")
            assert handle is not None and handle.content_frame() is not None
            picker_url = handle.content_frame().url  # type: ignore[union-attr]
            assert picker_url.startswith(tool + "/deeplinking/?lt=")

            # Headless Chromium leaves cross-site frames blank in screenshots: the page alone.
            alone = context.new_page()
            alone.goto(picker_url)
            alone.wait_for_selector("h1:has-text('Add Wayfinder to your course')")
            alone.screenshot(
                path=str(ARTIFACTS / f"deeplinking-picker-{width}.png"), full_page=True
            )
            assert no_horizontal_scroll(alone)
            assert alone.get_by_text("Coming soon").count() == 1  # paths
            alone.close()

            frame.get_by_role("checkbox", name="Wayfinder", exact=True).check()
            frame.get_by_role("checkbox", name="Course roster (instructors)").check()
            frame.get_by_role("button", name="Add to course").click()

            # Wayfinder's page posts the response to the LMS, which validates it.
            frame.locator("h1:has-text('The LMS would create 2 activities')").wait_for(
                timeout=TIMEOUT
            )
            page.screenshot(
                path=str(ARTIFACTS / f"deeplinking-returned-{width}.png"), full_page=True
            )
            assert no_horizontal_scroll(page)
            assert frame.get_by_text("wayfinder_item=roster:course").count() == 1
            assert frame.get_by_text(f"{tool}/roster/").count() == 1

            # Launch the placed roster link as Chloe: it opens the roster, inside the iframe.
            roster = frame.locator("section.placed-item", has_text="Course roster")
            roster.get_by_role("link", name="Open as Chloe Chen").click()
            page.wait_for_selector("text=Opening the placed activity", timeout=TIMEOUT)
            frame = page.frame_locator("iframe[title=Wayfinder]")
            frame.locator("h1:has-text('Course roster')").wait_for(timeout=TIMEOUT)
            handle = page.query_selector("iframe[title=Wayfinder]")
            assert handle is not None
            assert handle.content_frame().url.startswith(tool + "/roster/?lt=")  # type: ignore[union-attr]
            page.screenshot(path=str(ARTIFACTS / f"deeplinking-placed-{width}.png"), full_page=True)
        finally:
            browser.close()


def test_learner_refused_in_the_browser(site: tuple[str, str]) -> None:
    _tool, lms = site
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 360, "height": 900}).new_page()
            page.goto(f"{lms}/dev/?persona=ana&message=deep_link")
            frame = page.frame_locator("iframe[title=Wayfinder]")
            heading = "Only instructors can add Wayfinder to a course"
            frame.locator(f"h1:has-text('{heading}')").wait_for(timeout=TIMEOUT)
            handle = page.query_selector("iframe[title=Wayfinder]")
            assert handle is not None
            alone = page.context.new_page()
            alone.goto(handle.content_frame().url)  # type: ignore[union-attr]
            alone.screenshot(path=str(ARTIFACTS / "deeplinking-learner-360.png"), full_page=True)
            assert no_horizontal_scroll(alone)
            frame.get_by_role("link", name="Go to your Wayfinder home").click()
            frame.locator("h1:has-text('Welcome, Ana')").wait_for(timeout=TIMEOUT)
        finally:
            browser.close()
