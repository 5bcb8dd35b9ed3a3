"""A learning path placed by deep linking in a real browser, third-party cookies blocked: in the
development launcher (http://localhost) Chloe adds Wayfinder content to the demo course and
picks the Tier 1 path (graded) and one of its steps with its own column; the pretend LMS
validates the answer (lti1p3platform) and makes the columns; Ana opens the placed path in the
iframe (her own path), her progress is in the LMS's gradebook, and completing a step updates
it. Screenshots at 360 px and 1280 px go to /tmp/shots-grades-paths/ and test-artifacts/."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright

from lti_tool.devlauncher.demo import DEMO_PATH
from tests.conftest import demo_site
from tests.test_browser import ARGS, ARTIFACTS, CHROMIUM, TIMEOUT

pytestmark = pytest.mark.browser

SHOTS = Path(tempfile.gettempdir()) / "shots-grades-paths"
STEP = "Billing and invoices"


@pytest.fixture
def site(clean_app: Any, tmp_path: Any) -> Iterator[tuple[str, str]]:
    with demo_site(clean_app.config["DATABASE_URL"], tmp_path, JOBS_INLINE=True) as site:
        yield site.tool, site.lms


def fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)
    shutil.copy(SHOTS / name, ARTIFACTS / name)


def frame_url(page: Page) -> str:
    handle = page.query_selector("iframe[title=Wayfinder]")
    assert handle is not None and handle.content_frame() is not None
    return handle.content_frame().url  # type: ignore[union-attr]


@pytest.mark.parametrize("width", [360, 1280])
def test_chloe_places_the_path_and_anas_progress_reaches_the_gradebook(
    site: tuple[str, str], width: int
) -> None:
    tool, lms = site
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
            assert frame_url(page).startswith(tool + "/deeplinking/?lt=")

            # By keyboard: the path (graded), then a step with its own column.
            path_box = frame.get_by_role("checkbox", name=DEMO_PATH, exact=True)
            path_box.focus()
            page.keyboard.press("Space")
            assert path_box.is_checked()
            frame.locator("summary", has_text=f"{DEMO_PATH}: one step on its own").click()
            frame.get_by_role("checkbox", name=STEP, exact=True).check()
            frame.get_by_role(
                "checkbox", name=f"With its own gradebook column (out of 100) for “{STEP}”"
            ).check()

            # The picker alone (headless Chromium leaves cross-site frames blank in shots).
            alone = context.new_page()
            alone.set_viewport_size({"width": width, "height": 900})
            alone.goto(frame_url(page))
            alone.locator("summary", has_text=f"{DEMO_PATH}: one step on its own").click()
            shot(alone, f"path-picker-{width}.png")
            assert fits(alone)
            alone.close()

            frame.get_by_role("button", name="Add to course").click()
            frame.locator("h1:has-text('The LMS would create 2 activities')").wait_for(
                timeout=TIMEOUT
            )
            assert frame.get_by_text("made in").count() == 2  # both columns, in the LMS
            shot(page, f"path-placed-{width}.png")

            # Ana opens the placed path: her own path, in the iframe, no cookies.
            placed = frame.locator("section.placed-item", has_text=DEMO_PATH).first
            placed.get_by_role("link", name="Open as Ana Alvarez").click()
            page.wait_for_selector("text=Opening the placed activity", timeout=TIMEOUT)
            frame = page.frame_locator("iframe[title=Wayfinder]")
            frame.locator("h1:has-text('My path')").wait_for(timeout=TIMEOUT)
            assert "/paths/?lt=" in frame_url(page)

            # Her progress made before the path was placed is in the LMS's gradebook.
            book = context.new_page()
            book.set_viewport_size({"width": width, "height": 900})
            book.goto(f"{tool}/dev/platform/gradebook")
            column = book.locator("section", has=book.get_by_role("heading", name=DEMO_PATH))
            assert column.get_by_text("Ana Alvarez").count() == 1
            assert column.get_by_text("25 / 100").count() == 1
            assert column.get_by_text("InProgress, Pending").count() == 1

            # She completes a step in the iframe; the column follows, the step gets its own.
            frame.get_by_role("link", name=STEP).first.click()
            frame.locator(f"h1:has-text('{STEP}')").wait_for(timeout=TIMEOUT)
            frame.get_by_role("button", name="Mark as done").click()
            frame.get_by_text(f"“{STEP}” is done.").wait_for(timeout=TIMEOUT)
            book.reload()
            column = book.locator("section", has=book.get_by_role("heading", name=DEMO_PATH))
            assert column.get_by_text("41 / 100").count() == 1
            step_column = book.locator(
                "section", has=book.get_by_role("heading", name=f"{DEMO_PATH}: {STEP}")
            )
            assert step_column.get_by_text("100 / 100").count() == 1
            assert step_column.get_by_text("Completed, FullyGraded").count() == 1
            shot(book, f"path-gradebook-{width}.png")
            assert fits(book)
        finally:
            browser.close()


def test_the_demo_course_already_has_the_path_placed(site: tuple[str, str]) -> None:
    """Demo data: the launcher lists the Tier 1 path as an activity of the course; Ana opens it
    (her path, no cookies) and her progress so far is in the LMS's gradebook."""
    tool, lms = site
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 360, "height": 900})
            page = context.new_page()
            page.goto(f"{lms}/dev/")
            course = page.locator(
                "section", has=page.get_by_role("heading", name=f"In this course: {DEMO_PATH}")
            )
            shot(page, "path-launcher-360.png")
            assert fits(page)
            course.get_by_role("link", name="Open as Ana Alvarez").click()
            frame = page.frame_locator("iframe[title=Wayfinder]")
            frame.locator("h1:has-text('My path')").wait_for(timeout=TIMEOUT)
            book = context.new_page()
            book.goto(f"{tool}/dev/platform/gradebook")
            column = book.locator("section", has=book.get_by_role("heading", name=DEMO_PATH))
            assert column.get_by_text("Ana Alvarez").count() == 1
            assert column.get_by_text("25 / 100").count() == 1
        finally:
            browser.close()
