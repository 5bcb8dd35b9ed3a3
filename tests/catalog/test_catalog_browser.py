"""The catalog in Chromium with the demo data: Ana searches, filters, adds a course to her plan
with a goal and a date, enrols from the plan (by keyboard), and every page fits a 360 px phone.
Screenshots at 360 px and 1280 px go to /tmp/shots-catalog/ to look at."""

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lti_tool.catalog.models import CatalogItem
from lti_tool.extensions import db
from tests.catalog.conftest import persona

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(tempfile.gettempdir()) / "shots-catalog"
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


def _no_overflow(page: Any, name: str) -> None:
    overflow = page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (name, overflow)


def test_search_filter_add_enrol_and_the_plan(launcher: tuple[Any, str]) -> None:
    app, tool = launcher
    with app.app_context():
        ids = {i.title: i.id for i in db.session.scalars(select(CatalogItem))}
    ana, ben, chloe, dev = (persona(tool, key) for key in ("ana", "ben", "chloe", "dev"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for width, height in ((360, 740), (1280, 900)):
                page = browser.new_page(viewport={"width": width, "height": height})
                # Search, then filter by skill, as Ana.
                page.goto(ana.url("/catalog/"))
                page.fill("#q", "calls")
                with page.expect_navigation():
                    page.press("#q", "Enter")
                assert "Handling difficult calls" in page.inner_text("main")
                page.select_option("#skill", label="De-escalation")
                page.select_option("#sort", "fit")
                with page.expect_navigation():
                    page.click("main form.catalog-search button[type=submit]")
                main = page.inner_text("main")
                assert "Why this fits you:" in main
                assert "Builds De-escalation" in main
                _no_overflow(page, f"catalog-{width}")
                page.screenshot(path=str(SHOTS / f"catalog-search-{width}.png"), full_page=True)
                page.close()

            # Add "De-escalation in practice" to the plan at 360 px, then enrol by keyboard.
            page = browser.new_page(viewport={"width": 360, "height": 740})
            page.goto(ana.url("/catalog/?q=practice"))
            with page.expect_navigation():
                page.click("text=De-escalation in practice")
            page.check("input[name=goal_kind][value=skill_gap]")
            page.select_option(
                "#goal_skill_id", label="De-escalation (a target of your role or goal)"
            )
            page.fill("#target_date", (date.today() + timedelta(days=21)).isoformat())
            page.screenshot(path=str(SHOTS / "add-to-plan-360.png"), full_page=True)
            with page.expect_navigation():
                page.click("text=Add to my plan >> nth=-1")
            assert "is in your plan" in page.inner_text("main")
            page.focus(f"#plan-{_plan_anchor(app, ids['De-escalation in practice'])} button")
            with page.expect_navigation():
                page.keyboard.press("Enter")
            main = page.inner_text("main")
            assert "You are enrolled in De-escalation in practice" in main, main
            _no_overflow(page, "plan-360")
            page.screenshot(path=str(SHOTS / "plan-360.png"), full_page=True)
            page.close()

            pages = {
                "plan": (ana, "/catalog/plan"),
                "item": (ana, f"/catalog/i/{ids['Handling difficult calls']}"),
                "home-ana": (ana, "/"),
                "requests-ben": (ben, "/catalog/requests"),
                "manage-chloe": (chloe, "/catalog/manage"),
                "curate-chloe": (chloe, f"/catalog/manage/i/{ids['Handling difficult calls']}"),
                "new-local-chloe": (chloe, "/catalog/manage/new?format=live"),
                "access-dev": (dev, "/catalog/access"),
            }
            for width, height in ((360, 740), (1280, 900)):
                page = browser.new_page(viewport={"width": width, "height": height})
                for name, (who, path) in pages.items():
                    response = page.goto(who.url(path))
                    assert response is not None and response.status == 200, name
                    _no_overflow(page, f"{name}-{width}")
                    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
                page.close()
        finally:
            browser.close()


def _plan_anchor(app: Any, item_id: int) -> int:
    from lti_tool.catalog.models import PlanItem

    with app.app_context():
        found = db.session.scalar(select(PlanItem.id).where(PlanItem.item_id == item_id))
        assert found is not None
        return int(found)
