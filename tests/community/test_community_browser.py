"""The community pages in Chromium with the demo data: nothing wider than a 360 px phone,
main actions reachable and usable by keyboard alone, and screenshots at 360 px and 1280 px in
test-artifacts/community/ to look at."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lti_tool.community.models import Answer, Post
from lti_tool.extensions import db
from tests.community.conftest import persona

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "community"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("Debian's Chromium is required for the browser tests in CI")
    pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser

LOOKUP = "See a customer's last three contacts in two clicks"  # Ana has not marked it helpful


def test_pages_fit_a_phone_and_work_by_keyboard(launcher: tuple[Any, str]) -> None:
    app, tool = launcher
    with app.app_context():
        ids = {p.title: p.id for p in db.session.scalars(select(Post))}
        flagged = db.session.scalar(select(Answer.id).where(Answer.body_md.like("Yes: call%")))
    question = ids["Customer wants a refund after 30 days: what can I offer?"]
    tip, lookup = ids["Say the refund date out loud"], ids[LOOKUP]
    chloe, ana, ben = (persona(tool, key) for key in ("chloe", "ana", "ben"))
    pages = {
        "feed": (ana, "/community/"),
        "question": (ana, f"/community/p/{question}"),
        "tip": (ana, f"/community/p/{tip}"),
        "new-tip": (ana, "/community/new/tip"),
        "notifications": (ana, "/community/notifications"),
        "unanswered": (ben, "/community/unanswered"),
        "review": (chloe, "/community/review"),
        "moderate": (chloe, f"/community/answer/{flagged}/moderate"),
        "people": (chloe, "/community/people"),
        "home": (ana, "/"),
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for width, height in ((360, 740), (1280, 900)):
                page = browser.new_page(viewport={"width": width, "height": height})
                for name, (who, path) in pages.items():
                    response = page.goto(who.url(path))
                    assert response is not None and response.status == 200, name
                    overflow = page.evaluate(
                        "() => document.scrollingElement.scrollWidth - window.innerWidth"
                    )
                    assert overflow <= 0, (name, width, overflow)
                    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
                page.close()

            # Keyboard only: from the top of the tip page, Tab to "Helpful" and press Enter.
            page = browser.new_page(viewport={"width": 360, "height": 740})
            page.goto(ana.url(f"/community/p/{lookup}"))
            for _ in range(40):
                page.keyboard.press("Tab")
                label = page.evaluate("() => document.activeElement.textContent.trim()")
                if label.startswith("Helpful"):
                    break
            else:
                pytest.fail("Helpful is not reachable by Tab")
            page.keyboard.press("Enter")
            page.wait_for_load_state()
            assert "Marked as helpful" in page.inner_text("main"), page.inner_text("main")
            # The flag form opens from the keyboard too (a <details> element).
            page.focus("details.flag summary")
            page.keyboard.press("Enter")
            assert page.is_visible("details.flag input[name=reason]")
        finally:
            browser.close()
