"""Every page of the demo fits a narrow LMS frame.

Moodle and Canvas show Wayfinder in an iframe inside their own page, so on a 360 px phone the
frame is narrower still (about 324 px in the development launcher). Each persona's pages, found
by following Wayfinder's own links from the home page two levels deep, are opened in Chromium at
320 px wide: none may scroll sideways. Screenshots of any that do go to test-artifacts/screens/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from lti_tool.devlauncher.demo import PERSONAS
from tests.community.conftest import persona

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "screens"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"]
WIDTH = 320
PAGES_PER_PERSONA = 120
ID = re.compile(r"\d+|(?=.*\d)[\w-]{8,}")  # a row id, or a step key such as 9de9ba2b0d49
# Downloads, the LTI endpoints and the launcher are not pages of the tool to look at.
SKIP = ("/lti/", "/dev/", "/static/")

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("Debian's Chromium is required for the browser tests in CI")
    pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser

LINKS = """() => Array.from(document.querySelectorAll('a[href]'))
  .filter(a => !a.hasAttribute('download') && a.origin === location.origin)
  .map(a => a.pathname + a.search)"""
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = Array.from(document.querySelectorAll('body *')).filter(el => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > width + 1 && getComputedStyle(el).position !== 'fixed'
      && !el.closest('.table-scroll, .visually-hidden, [hidden]');
  }).slice(0, 3).map(el => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '') + ' "' + (el.textContent || '').trim().slice(0, 40) + '"');
  return {over: document.scrollingElement.scrollWidth - width, wide};
}"""


def _key(path: str) -> str:
    """Pages that differ only by their ids are one kind of page: look at the first of each."""
    parts = urlsplit(path).path.rstrip("/").split("/")
    return "/".join("#" if ID.fullmatch(p) else p for p in parts)


@pytest.mark.parametrize("who", [p.key for p in PERSONAS])
def test_every_page_fits_a_narrow_frame(launcher: tuple[Any, str], who: str) -> None:
    _app, tool = launcher
    session = persona(tool, who)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    queue: list[tuple[str, int]] = [("/", 0)]
    too_wide: list[str] = []
    visited = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 640})
            while queue and visited < PAGES_PER_PERSONA:
                path, depth = queue.pop(0)
                if _key(path) in seen:
                    continue
                seen.add(_key(path))
                response = page.goto(session.url(path))
                assert response is not None, path
                if response.headers.get("content-type", "").split(";")[0] != "text/html":
                    continue
                assert response.status < 500, (who, path, response.status)
                visited += 1
                found = page.evaluate(OVERFLOW)
                if found["over"] > 0:
                    name = _key(path).strip("/").replace("/", "_").replace("#", "n") or "home"
                    page.screenshot(path=str(ARTIFACTS / f"{who}-{name}.png"), full_page=True)
                    too_wide.append(f"{path} by {found['over']} px: {found['wide']}")
                if depth < 2:
                    for link in page.evaluate(LINKS):
                        if not link.startswith(SKIP) and _key(link) not in seen:
                            queue.append((link, depth + 1))
        finally:
            browser.close()
    assert visited >= 10, (who, visited)
    assert not too_wide, f"{who}: pages wider than {WIDTH} px:\n" + "\n".join(too_wide)
