"""Coaching in a real browser, on the demo data, inside the development launcher's iframe and
top level: Ben adds a slot to his de-escalation offer (1280 px); Ana (360 px) asks for it for
her coaching step; Ben confirms from the bell; the time comes; both sign off; Ana's path shows
the step done. The digest, a skill page and Ben's team page too. Every page is used by
keyboard where it matters, fits 360 px without sideways scrolling, and is saved as a screenshot
in /tmp/shots-coaching/ (and test-artifacts/)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import select

from lti_tool import create_app
from lti_tool.coaching.models import CoachingSession
from lti_tool.devlauncher import demo
from lti_tool.extensions import db
from lti_tool.lti.models import utcnow
from tests.conftest import overrides
from tests.harness import ServerThread
from tests.test_browser import ARGS, ARTIFACTS, CHROMIUM, TIMEOUT, launch_in_frame

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots-coaching")  # noqa: S108 (where the brief asks for them)


@pytest.fixture
def site(clean_app: Any, tmp_path: Any) -> Iterator[tuple[Any, str]]:
    app = create_app(
        {
            **overrides(tmp_path),
            "DATABASE_URL": clean_app.config["DATABASE_URL"],
            "DEV_LAUNCHER": True,
        }
    )
    app.instance_path = str(tmp_path)
    server = ServerThread(app)
    tool, lms = f"http://127.0.0.1:{server.port}", f"http://localhost:{server.port}"
    app.config.update(DEV_TOOL_URL=tool, DEV_LMS_URL=lms)
    with app.app_context():
        demo.seed(tool, lms)
        db.session.commit()
    yield app, lms
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def shot(page: Page, name: str) -> None:
    for folder in (SHOTS, ARTIFACTS):
        folder.mkdir(exist_ok=True, parents=True)
        page.screenshot(path=str(folder / f"coaching-{name}.png"), full_page=True)


def press(page: Any, role: str, name: str) -> None:
    """Keyboard, not a click: focus the control and press Enter."""
    control = page.get_by_role(role, name=name).first
    control.focus()
    control.press("Enter")


def test_offer_book_confirm_both_sign_off_and_the_path_shows_it(site: tuple[Any, str]) -> None:
    app, lms = site
    tomorrow = (utcnow() + timedelta(days=2)).date().isoformat()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            frame = launch_in_frame(desk, lms, persona="ben")
            frame.wait_for_selector("h1:has-text('Welcome, Ben')", timeout=TIMEOUT)
            desk.goto(frame.url)  # top level from here
            desk.get_by_role("link", name="Community", exact=True).click()
            desk.get_by_role("link", name="Coaching and shadowing").first.click()
            desk.wait_for_selector("h1:has-text('Coaching and shadowing')", timeout=TIMEOUT)
            assert desk.get_by_text("asks for it").count() == 0  # requests show on the offer
            press(
                desk.locator("section[aria-labelledby=offers-mine-h]"),
                "link",
                "De-escalation: bring me your hardest calls",
            )
            desk.wait_for_selector("h2:has-text('Your slots')", timeout=TIMEOUT)
            assert desk.get_by_text("asks for it").first.is_visible()  # Sam's demo request
            desk.get_by_label("Date").fill(tomorrow)
            desk.get_by_label("Time (Mexico City)").fill("16:00")  # Ben's LMS zone
            desk.get_by_label("Minutes").fill("45")
            desk.get_by_label("Place or call link").fill("Room 3, second floor")
            press(desk, "button", "Add the slot")
            desk.wait_for_selector("text=Slot added", timeout=TIMEOUT)
            shot(desk, "offer-coach-1280")

            phone = browser.new_context(viewport={"width": 360, "height": 800}).new_page()
            frame = launch_in_frame(phone, lms, persona="ana")
            frame.wait_for_selector("h1:has-text('Welcome, Ana')", timeout=TIMEOUT)
            phone.goto(frame.url)
            phone.get_by_role("link", name="Community", exact=True).click()
            phone.get_by_role("link", name="Coaching and shadowing").first.click()
            phone.wait_for_selector("h1:has-text('Coaching and shadowing')", timeout=TIMEOUT)
            assert phone.get_by_text("with Ben Brooks").first.is_visible()  # the demo booking
            assert fits(phone)
            shot(phone, "index-learner-360")
            press(
                phone.locator("section[aria-labelledby=offers-h]"),
                "link",
                "De-escalation: bring me your hardest calls",
            )
            slot = phone.locator("li", has_text="Room 3, second floor")
            slot.wait_for(timeout=TIMEOUT)
            slot.get_by_label("Note for Ben Brooks (optional)").fill("The late-fee caller")
            slot.get_by_label("Counts for your path step").select_option(
                label="Coaching session with your team lead (Tier 1 agent: your first 90 days)"
            )
            assert fits(phone)
            shot(phone, "offer-learner-360")
            slot.get_by_role("button", name="Ask for this slot").focus()
            phone.keyboard.press("Enter")
            phone.wait_for_selector("text=Request sent", timeout=TIMEOUT)
            assert phone.get_by_text("waiting for the coach").first.is_visible()
            session_url = phone.url

            # Ben: the bell, then confirm.
            desk.reload()
            desk.get_by_role("link", name="Notifications").first.click()
            desk.wait_for_selector("h1:has-text('Notifications')", timeout=TIMEOUT)
            press(desk, "button", "Unread: Ana Alvarez asks to book your session")
            desk.wait_for_selector("h1:has-text('De-escalation')", timeout=TIMEOUT)
            press(desk, "button", "Confirm the session")
            desk.wait_for_selector("text=Confirmed", timeout=TIMEOUT)

            with app.app_context():  # the time comes
                row = db.session.scalar(
                    select(CoachingSession).where(CoachingSession.note == "The late-fee caller")
                )
                assert row is not None
                row.starts_at = row.slot.starts_at = utcnow() - timedelta(minutes=50)
                db.session.commit()

            phone.goto(session_url)
            phone.get_by_label("What you learned (optional)").fill("Pause, then name the fee.")
            press(phone, "button", "Sign off the session")
            phone.wait_for_selector("text=Signed off.", timeout=TIMEOUT)
            assert phone.get_by_text("You signed off. Waiting for Ben Brooks").is_visible()
            assert fits(phone)
            shot(phone, "session-learner-signed-360")

            desk.reload()
            desk.get_by_label("What you worked on, what to practise next (optional)").fill(
                "Good pause; next time offer the goodwill credit earlier."
            )
            press(desk, "button", "Sign off the session")
            desk.wait_for_selector("text=Both of you signed off", timeout=TIMEOUT)
            assert desk.get_by_text("done, both signed off").first.is_visible()
            shot(desk, "session-completed-1280")

            phone.goto(session_url.split("/coaching/")[0] + "/paths/?" + session_url.split("?")[1])
            phone.wait_for_selector("h1:has-text('My path')", timeout=TIMEOUT)
            # Welcome, tools tour, shadowing (demo) and now the coaching step.
            assert phone.get_by_text("4 of 10 steps done").is_visible()
            assert fits(phone)
            shot(phone, "my-path-after-360")
            phone.get_by_role("link", name="Coaching session with your team lead").first.click()
            phone.wait_for_selector("text=a session both sides signed off", timeout=TIMEOUT)
            shot(phone, "step-done-360")

            # The digest, a skill page (from the step's skill link) and Ben's team page.
            phone.get_by_role("link", name="Call control").first.click()
            phone.wait_for_selector("h1:has-text('Call control')", timeout=TIMEOUT)
            assert phone.get_by_text("Path steps that build it").is_visible()
            assert fits(phone)
            shot(phone, "skill-360")
            phone.get_by_role("link", name="Weekly digest").click()
            phone.wait_for_selector("h1:has-text('What your peers shared')", timeout=TIMEOUT)
            assert phone.get_by_text("Summarise before you close").first.is_visible()
            assert fits(phone)
            shot(phone, "digest-360")
            press(phone, "link", "← Previous week")
            phone.wait_for_selector("text=Nothing shared by Tier 1 agents", timeout=TIMEOUT)

            desk.get_by_role("link", name="My team's contributions").click()
            desk.wait_for_selector("h1:has-text('Your team')", timeout=TIMEOUT)
            row = desk.locator("tr", has_text="Ana Alvarez")
            assert row.count() == 1
            shot(desk, "team-1280")
            team_phone = browser.new_context(viewport={"width": 360, "height": 800}).new_page()
            team_phone.goto(desk.url)
            team_phone.wait_for_selector("h1:has-text('Your team')", timeout=TIMEOUT)
            assert fits(team_phone)
            shot(team_phone, "team-360")
        finally:
            browser.close()
