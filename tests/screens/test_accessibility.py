"""The demo's pages meet WCAG 2.1 AA as far as axe-core can tell.

Each persona's pages, found as the narrow-frame check finds them (tests/screens/crawl.py), are
checked in Chromium at 320 px by axe-core (bundled by axe-playwright-python) with the WCAG 2.0
and 2.1 level A and AA rules, every <details> opened so that what it folds away is checked too.
The first pages of each crawl (the home page and what it links to) are checked again at
1280 px, where tables and charts spread out, and the first pages of three persons in Spanish, at
both widths: longer words push labels apart and make tables scroll where English ones do not.

Axe catches what a machine can see (names, labels, contrast, ids, ARIA, scrolling regions that
a keyboard cannot reach); keyboard order and how a screen reader reads a page still need a
person. A finding is fixed in the page, never by turning a rule off.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from lti_tool.devlauncher.demo import PERSONAS
from tests.community.conftest import Session, persona
from tests.screens.crawl import ARGS, CHROMIUM, PAGES_PER_PERSONA, crawl, require_chromium

require_chromium()

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser

NARROW, WIDE = 320, 1280
WIDE_PAGES = 12  # per persona, in the crawl's order: the home page and the pages it links to
SPANISH_PAGES = 25  # enough to reach the insights pages, whose tables scroll at 1280 px in Spanish
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
# Elements axe judges wrongly, as a CSS selector and why it is wrong. Only single elements
# go here, never a whole rule.
NOT_CHECKED: dict[str, str] = {}
OPEN_DETAILS = "() => document.querySelectorAll('details').forEach(d => { d.open = true; })"
AXE = Axe()


def _shown(path: str) -> str:
    """The path without the launch token, which is long and differs on every run."""
    parts = urlsplit(path)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "lt"])
    return parts.path + (f"?{query}" if query else "")


def _findings(page: Page, where: str) -> list[str]:
    page.evaluate(OPEN_DETAILS)
    context = {"exclude": [[selector] for selector in NOT_CHECKED]} if NOT_CHECKED else None
    results = AXE.run(page, context=context, options=OPTIONS).response
    return [
        f"{where}: {v['id']} ({v['impact']}, {len(v['nodes'])} elements) {v['help']}; "
        + " | ".join(" ".join(node["target"]) for node in v["nodes"][:3])
        for v in results["violations"]
    ]


def _check(
    session: Session, lang: str, wide_pages: int, limit: int = PAGES_PER_PERSONA
) -> tuple[int, list[str]]:
    found: list[str] = []
    visited = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": NARROW, "height": 640})
            for path in crawl(page, session, limit):
                visited += 1
                shown = _shown(path)
                found += _findings(page, f"{shown} at {NARROW} px ({lang})")
                if visited <= wide_pages:
                    page.set_viewport_size({"width": WIDE, "height": 800})
                    found += _findings(page, f"{shown} at {WIDE} px ({lang})")
                    page.set_viewport_size({"width": NARROW, "height": 640})
        finally:
            browser.close()
    return visited, found


@pytest.mark.parametrize("who", [p.key for p in PERSONAS])
def test_every_page_passes_axe(launcher: tuple[Any, str], who: str) -> None:
    _app, tool = launcher
    visited, found = _check(persona(tool, who), "en", WIDE_PAGES)
    assert visited >= 10, (who, visited)
    assert not found, f"{who}: accessibility violations:\n" + "\n".join(found)


@pytest.mark.parametrize("who", ["ana", "chloe", "dev"])
def test_pages_in_spanish_pass_axe(launcher: tuple[Any, str], who: str) -> None:
    _app, tool = launcher
    visited, found = _check(persona(tool, who, "es-419"), "es-419", SPANISH_PAGES, SPANISH_PAGES)
    assert visited == SPANISH_PAGES, (who, visited)
    assert not found, f"{who}: accessibility violations in Spanish:\n" + "\n".join(found)


def test_problem_pages_pass_axe(launcher: tuple[Any, str]) -> None:
    """What a person sees when a launch fails or a page is missing: the crawl never meets these."""
    _app, tool = launcher
    pages = {
        "/no-such-page (in a launch)": persona(tool, "ana").url("/no-such-page"),
        "/lti/login (not started by the LMS)": f"{tool}/lti/login",
        "/me (opened without a launch)": f"{tool}/me",
        "/lti/register (not opened by an LMS)": f"{tool}/lti/register",
    }
    found: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": NARROW, "height": 640})
            for where, url in pages.items():
                response = page.goto(url)
                assert response is not None and 400 <= response.status < 500, (where, response)
                found += _findings(page, f"{where} at {NARROW} px")
        finally:
            browser.close()
    assert not found, "accessibility violations:\n" + "\n".join(found)
