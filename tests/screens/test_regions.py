"""Scrollable regions (wide tables, long commands) are a tab stop only while they scroll.

A region with tabindex="0" lets a keyboard user reach a table wider than the frame and scroll it
with the arrow keys; where it does not scroll, the tab stop leads nowhere. lti_tool/static/
regions.js keeps the one in step with the other, on load and after a resize. Checked in Chromium
on Dev's administration pages at 1280 and 320 px, back and forth."""

from __future__ import annotations

from typing import Any

import pytest

from tests.community.conftest import persona
from tests.screens.crawl import ARGS, CHROMIUM, require_chromium

require_chromium()

from playwright.sync_api import Page, sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser

REGIONS = """() => Array.from(document.querySelectorAll('[role="region"]')).map(el => ({
  scrolls: el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1,
  stop: el.getAttribute('tabindex') === '0',
}))"""


def regions(page: Page, width: int) -> list[dict[str, bool]]:
    page.set_viewport_size({"width": width, "height": 700})
    page.wait_for_timeout(150)  # the resize handler runs on the next frame
    found: list[dict[str, bool]] = page.evaluate(REGIONS)
    assert found, page.url
    assert all(r["scrolls"] == r["stop"] for r in found), (width, found)
    return found


def test_a_region_is_a_tab_stop_only_while_it_scrolls(launcher: tuple[Any, str]) -> None:
    _app, tool = launcher
    dev = persona(tool, "dev")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 700})
            page.goto(dev.url("/admin/keys"))
            wide = regions(page, 1280)
            assert not any(r["scrolls"] for r in wide)  # nothing to scroll: no extra tab stop
            narrow = regions(page, 320)
            assert any(r["scrolls"] for r in narrow)  # a table wider than the frame: reachable
            assert not any(r["scrolls"] for r in regions(page, 1280))
            page.keyboard.press("Tab")  # skip link first; nothing odd before it
            assert page.evaluate("document.activeElement.className") == "skip-link"
        finally:
            browser.close()


def test_the_spanish_admin_home_fits_a_narrow_frame(launcher: tuple[Any, str]) -> None:
    """Spanish words run longer: at 320 px the failed-launches table scrolls in its own region
    instead of widening the page."""
    _app, tool = launcher
    dev = persona(tool, "dev", "es-419")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 320, "height": 700})
            page.goto(dev.url("/admin/"))
            over = page.evaluate(
                "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert over <= 0, over
        finally:
            browser.close()
