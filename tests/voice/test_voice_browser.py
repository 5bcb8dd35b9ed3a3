"""The voice pages in Chromium with the demo data: nothing wider than a 360 px phone, Ana
suggests a training and votes by keyboard alone, Chloe's pulse results page draws its chart and she closes a survey early by keyboard;
screenshots at 360 px and 1280 px (in test-artifacts/voice/ and /tmp/shots-voice/) to look at."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.voice.models import PulseSurvey, Suggestion
from tests.community.conftest import persona

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "voice"
SHOTS = Path(tempfile.gettempdir()) / "shots-voice"
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


def test_voice_pages_fit_a_phone_and_work_by_keyboard(launcher: tuple[Any, str]) -> None:
    app, tool = launcher
    with app.app_context():
        planned = db.session.scalar(select(Suggestion.id).where(Suggestion.status == "planned"))
        coaching = db.session.scalar(
            select(Suggestion.id).where(Suggestion.title.like("Coaching conversations%"))
        )
        runs = db.session.scalars(
            select(PulseSurvey)
            .where(PulseSurvey.title == "Learning pulse, Tier 1 agents")
            .order_by(PulseSurvey.opens_on)
        ).all()
        first, current = runs[0].id, runs[-1].id
        night = db.session.scalar(
            select(PulseSurvey.id).where(PulseSurvey.title == "Night shift pulse")
        )
        early = db.session.scalar(
            select(PulseSurvey.id).where(PulseSurvey.title == "New shift pattern pulse")
        )
    ana, chloe = persona(tool, "ana"), persona(tool, "chloe")
    pages = {
        "home": (ana, "/"),
        "suggestions": (ana, "/voice/"),
        "planned": (ana, f"/voice/{planned}"),
        "mine": (ana, "/voice/mine"),
        "answer": (ana, f"/voice/pulse/{current}"),
        "decide": (chloe, f"/voice/{coaching}"),
        "pulses": (chloe, "/voice/pulse"),
        "results": (chloe, f"/voice/pulse/{first}/results"),
        "hidden": (chloe, f"/voice/pulse/{night}/results"),
        "compare": (chloe, f"/voice/pulse/{first}/compare"),
        "close": (chloe, f"/voice/pulse/{current}/end"),
        "closed-early": (chloe, f"/voice/pulse/{early}/results"),
        "schedule": (chloe, "/voice/pulse/new"),
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    SHOTS.mkdir(parents=True, exist_ok=True)

    def shoot(page: Any, name: str) -> None:
        shot = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        shutil.copy(shot, SHOTS / shot.name)

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
                    if name == "results":
                        chart = page.locator("svg#pulse-averages")
                        assert chart.is_visible()
                        box = chart.bounding_box()
                        assert box is not None and box["width"] > 250 and box["height"] > 100
                        assert page.locator("svg#pulse-averages rect.bar").count() == 3
                    shoot(page, f"{name}-{width}")
                page.close()

            # Keyboard only: Ana types a suggestion close to Ben's; Wayfinder shows his, and she
            # votes for it instead.
            page = browser.new_page(viewport={"width": 360, "height": 740})
            page.goto(ana.url("/voice/new"))
            page.focus("#title")
            page.keyboard.type("Feedback conversations for team leads")
            page.keyboard.press("Tab")
            assert page.evaluate("() => document.activeElement.id") == "details"
            page.keyboard.type("After a listened call.")
            page.focus("form[action^='/voice/new'] button[type=submit]")
            page.keyboard.press("Enter")
            page.wait_for_selector("#similar-h")
            assert "Coaching conversations for new team leads" in page.inner_text(".voice-similar")
            assert page.input_value("#title") == "Feedback conversations for team leads"
            shoot(page, "similar-360")
            page.focus(".voice-similar button[aria-label^='Vote for Coaching']")
            page.keyboard.press("Enter")
            page.wait_for_url(f"**/voice/{coaching}**")
            assert "Your vote is counted" in page.inner_text("main")
            assert page.locator("button", has_text="Withdraw my vote").count() == 1
            shoot(page, "voted-360")

            # And a suggestion nobody made yet is posted at once.
            page.goto(ana.url("/voice/new"))
            page.focus("#title")
            page.keyboard.type("Explaining roaming charges to travellers")
            page.keyboard.press("Enter")  # Enter in a text field submits the form
            page.wait_for_url(re.compile(r"/voice/\d+\?"))
            assert "Your suggestion is posted" in page.inner_text("main")
            assert "Explaining roaming charges to travellers" in page.inner_text("h1")

            # Chloe has heard enough: she closes the open survey early, by keyboard.
            page.goto(chloe.url(f"/voice/pulse/{current}/results"))
            page.get_by_role("link", name="Close it now").focus()
            page.keyboard.press("Enter")
            page.wait_for_url(f"**/voice/pulse/{current}/end**")
            assert "Close “Learning pulse, Tier 1 agents” now?" in page.inner_text("h1")
            page.get_by_role("button", name="Close the survey").focus()
            page.keyboard.press("Enter")
            page.wait_for_url(f"**/voice/pulse/{current}/results**")
            assert "is closed: it takes no more answers" in page.inner_text("main")
            assert "closed early" in page.inner_text("main")
            shoot(page, "closed-now-360")
        finally:
            browser.close()
