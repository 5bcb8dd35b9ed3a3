"""Feedback in Chromium with the demo data: Ana rates a step inline by keyboard alone and comes
back to the step with a thank-you; Chloe's Feedback page draws the trend chart; nothing is
wider than a 360 px phone. Screenshots at 360 px and 1280 px (test-artifacts/feedback/ and
/tmp/shots-feedback/) to look at."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from lti_tool.extensions import db
from lti_tool.feedback.models import Rating
from lti_tool.paths.models import Assignment, PathNode, StepProgress
from lti_tool.people.models import Person
from lti_tool.tenancy import tenant_scope
from tests.community.conftest import persona

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "feedback"
SHOTS = Path(tempfile.gettempdir()) / "shots-feedback"
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


def _anas_step(app: Any) -> tuple[int, str, str]:
    """One of the steps Ana completed in the demo, her rating of it taken back (so she rates
    it afresh): (assignment id, step key, title)."""
    with app.app_context():
        ana = db.session.scalar(select(Person).where(Person.sub == "ana"))
        assert ana is not None
        with tenant_scope(db.session, ana.registration_id):
            aid, path_id, key, title = db.session.execute(
                select(Assignment.id, Assignment.path_id, StepProgress.step_key, PathNode.title)
                .join(StepProgress, StepProgress.assignment_id == Assignment.id)
                .join(PathNode, PathNode.version_id == Assignment.version_id)
                .where(
                    Assignment.person_id == ana.id,
                    PathNode.key == StepProgress.step_key,
                    StepProgress.completed_at.is_not(None),
                    StepProgress.evidence == "self_report",
                )
                .order_by(StepProgress.id)
                .limit(1)
            ).one()
            db.session.execute(
                delete(Rating).where(
                    Rating.person_id == ana.id, Rating.subject_id == f"{path_id}:{key}"
                )
            )
            db.session.commit()
    return aid, key, title


def test_ana_rates_a_step_by_keyboard_and_chloe_sees_the_trend(
    launcher: tuple[Any, str],
) -> None:
    app, tool = launcher
    aid, key, title = _anas_step(app)
    ana, chloe = persona(tool, "ana"), persona(tool, "chloe")
    pages = {
        "home": (ana, "/"),
        "step": (ana, f"/paths/a/{aid}/{key}"),
        "plan": (ana, "/catalog/plan"),
        "feedback": (chloe, "/feedback/"),
        "feedback-item": (chloe, "/feedback/i/step/" + _lowest_step(app)),
        "dashboard": (chloe, "/insights/"),
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
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
                    if name == "feedback":
                        chart = page.locator("#chart-feedback-trend")
                        assert chart.is_visible()
                        box = chart.bounding_box()
                        assert box is not None and box["width"] > 250
                        assert page.locator("#chart-feedback-trend polyline").count() >= 1
                        assert "Rated lowest" in page.inner_text("main")
                    if name == "home":
                        assert "Waiting for your rating" in page.inner_text("main")
                    shot = ARTIFACTS / f"{name}-{width}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    shutil.copy(shot, SHOTS / shot.name)
                page.close()

            # Keyboard only, on the step page: focus the first star, arrow to four, Tab to the
            # comment, type, Tab to the button, Enter.
            page = browser.new_page(viewport={"width": 360, "height": 740})
            page.goto(ana.url(f"/paths/a/{aid}/{key}"))
            assert f"How was “{title}”?" in page.inner_text("main")
            first = page.locator("form.rate-inline input[name=stars][value='1']")
            first.focus()
            page.keyboard.press("Space")
            for _ in range(3):
                page.keyboard.press("ArrowRight")
            checked = page.evaluate("() => document.activeElement.value")
            assert checked == "4"
            page.keyboard.press("Tab")
            assert page.evaluate("() => document.activeElement.name") == "comment"
            page.keyboard.type("Clear and short.")
            page.keyboard.press("Tab")
            assert page.evaluate("() => document.activeElement.type") == "submit"
            # The form posts and redirects back to this same step page, so waiting for its URL
            # would return at once; wait for the navigation the Enter starts instead.
            with page.expect_navigation():
                page.keyboard.press("Enter")
            page.wait_for_selector("text=Thank you: your rating")
            main = page.inner_text("main")
            assert f"Thank you: your rating of “{title}” is saved." in main
            assert "Your rating: " in main and "4 out of 5 stars" in main and "change it" in main
            assert page.locator("form.rate-inline input[value='4']").is_checked()
            page.screenshot(path=str(SHOTS / "rated-360.png"), full_page=True)
            shutil.copy(SHOTS / "rated-360.png", ARTIFACTS / "rated-360.png")
        finally:
            browser.close()
    with app.app_context():
        row = db.session.scalar(
            select(Rating).where(Rating.comment == "Clear and short.", Rating.stars == 4)
        )
        assert row is not None and row.title == title


def _lowest_step(app: Any) -> str:
    with app.app_context():
        key = db.session.scalar(
            select(Rating.item_key).where(
                Rating.kind == "step", Rating.title == "Tour of the CRM and ticketing tools"
            )
        )
        assert key is not None
        return str(key)
