"""Every page of the demo fits a narrow LMS frame.

Moodle and Canvas show Wayfinder in an iframe inside their own page, so on a 360 px phone the
frame is narrower still (about 324 px in the development launcher). Each persona's pages, found
by following Wayfinder's own links from the home page two levels deep (tests/screens/crawl.py),
are opened in Chromium at 320 px wide: none may scroll sideways. Screenshots of any that do go to
test-artifacts/screens/.
"""

from __future__ import annotations

from typing import Any

import pytest

from lti_tool.devlauncher.demo import PERSONAS
from tests.community.conftest import persona
from tests.screens.crawl import ARGS, ARTIFACTS, CHROMIUM, crawl, require_chromium, shot_name

require_chromium()

from playwright.sync_api import sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser

WIDTH = 320
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = Array.from(document.querySelectorAll('body *')).filter(el => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > width + 1 && getComputedStyle(el).position !== 'fixed'
      && !el.closest('.table-scroll, .visually-hidden, [hidden]');
  }).slice(0, 3).map(el => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '') + ' "' + (el.textContent || '').trim().slice(0, 40) + '"');
  return {over: document.scrollingElement.scrollWidth - width, wide};
}"""


@pytest.mark.parametrize("who", [p.key for p in PERSONAS])
def test_every_page_fits_a_narrow_frame(launcher: tuple[Any, str], who: str) -> None:
    _app, tool = launcher
    session = persona(tool, who)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    too_wide: list[str] = []
    visited = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 640})
            for path in crawl(page, session):
                visited += 1
                found = page.evaluate(OVERFLOW)
                if found["over"] > 0:
                    page.screenshot(path=str(ARTIFACTS / shot_name(who, path)), full_page=True)
                    too_wide.append(f"{path} by {found['over']} px: {found['wide']}")
        finally:
            browser.close()
    assert visited >= 10, (who, visited)
    assert not too_wide, f"{who}: pages wider than {WIDTH} px:\n" + "\n".join(too_wide)
