"""Long unbroken text (a pasted link, a word without spaces) wraps: no page scrolls sideways.

People paste knowledge-base links into suggestions, tips and searches. A title or a search
without a space in it made the voice pages 8,000 px wide and the community's "nothing matches"
line 2,900 px on a 360 px phone. Ana posts such a suggestion and a tip, and searches for such a
word; the pages showing them are opened in Chromium 320 px wide."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.community.conftest import persona, skill_ids
from tests.screens.crawl import ARGS, CHROMIUM, require_chromium

require_chromium()

from playwright.sync_api import sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser

WIDTH = 320
LINK = "https://kb.example.com/articles/" + "refund-after-thirty-days-" * 5 + "x"
WORD = "Double" + "charged" * 20


def test_long_unbroken_text_wraps_in_a_narrow_frame(launcher: tuple[Any, str]) -> None:
    app, tool = launcher
    ana = persona(tool, "ana")
    made = ana.post("/voice/new", {"title": WORD[:120], "details": LINK, "confirm": "1"})
    assert made.status_code == 303, made.text[:500]
    suggestion = made.headers["Location"]
    tip = ana.post(
        "/community/new/tip",
        {
            "title": WORD[:120],
            "body": f"See {LINK}",
            "skills": [next(iter(skill_ids(app).values()))],
        },
    )
    assert tip.status_code == 303, tip.text[:500]
    pages = [
        re.sub(r"[?&]lt=[^&]*", "", suggestion),
        "/voice/",
        "/voice/mine",
        re.sub(r"[?&]lt=[^&]*", "", tip.headers["Location"]),
        "/community/",
        f"/community/?q={WORD}",
    ]
    too_wide = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 640})
            for path in pages:
                page.goto(ana.url(path))
                over = page.evaluate(
                    "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
                )
                if over > 0:
                    too_wide.append(f"{path}: {over} px too wide")
        finally:
            browser.close()
    assert not too_wide, too_wide
