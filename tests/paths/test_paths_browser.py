"""The learning path in a real browser, inside the development launcher's iframe: Ana, new to
Wayfinder, goes through the onboarding (rates her skills, picks interests, formats and a career
goal) and lands on My path with suggestions and their reasons; she opens a step and asks for a
sign-off; Ben (her team lead) signs it off from his team's pages; Ana sees her progress updated.
Screenshots at 360 px and 1280 px go to test-artifacts/ (paths-*.png)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import delete, select

from lti_tool import create_app
from lti_tool.devlauncher import demo
from lti_tool.extensions import db
from lti_tool.paths.personal_models import LearnerProfile, Rater, SkillRating
from lti_tool.people.models import Person
from tests.conftest import overrides
from tests.harness import ServerThread
from tests.test_browser import ARGS, ARTIFACTS, CHROMIUM, TIMEOUT, launch_in_frame

pytestmark = pytest.mark.browser


@pytest.fixture
def site(clean_app: Any, tmp_path: Any) -> Iterator[tuple[str, str]]:
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
        # This walk-through starts with Ana's first launch: she has not done the onboarding.
        ana = db.session.scalar(select(Person.id).where(Person.sub == "ana"))
        db.session.execute(delete(LearnerProfile).where(LearnerProfile.person_id == ana))
        db.session.execute(
            delete(SkillRating).where(
                SkillRating.person_id == ana, SkillRating.rater == Rater.SELF.value
            )
        )
        db.session.commit()
    yield tool, lms
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_ana_asks_ben_signs_off_ana_sees_progress(site: tuple[str, str]) -> None:
    _tool, lms = site
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 360, "height": 800}).new_page()
            frame = launch_in_frame(page, lms, persona="ana")
            frame.wait_for_selector("h1:has-text('Welcome, Ana')", timeout=TIMEOUT)
            page.goto(frame.url)  # Wayfinder's pages top level, at 360 px
            page.wait_for_selector("text=Let's make Wayfinder yours", timeout=TIMEOUT)
            assert fits(page)
            page.screenshot(path=str(ARTIFACTS / "paths-welcome-360.png"), full_page=True)
            page.get_by_role("link", name="Get started").click()
            page.wait_for_selector("h1:has-text('Rate your skills')", timeout=TIMEOUT)
            for skill, level in (("Call control", "2"), ("Empathy", "3"), ("Compliance", "3")):
                group = page.get_by_role("group", name=skill)
                group.locator(f"input[value='{level}']").check()
            assert fits(page)
            page.screenshot(path=str(ARTIFACTS / "paths-onboarding-skills-360.png"), full_page=True)
            page.get_by_role("button", name="Save and continue").click()
            page.wait_for_selector("h1:has-text('What interests you')", timeout=TIMEOUT)
            page.get_by_label("De-escalation").check()
            page.get_by_label("Video").check()
            assert fits(page)
            page.get_by_role("button", name="Save and continue").click()
            page.wait_for_selector("h1:has-text('Your career goal')", timeout=TIMEOUT)
            page.get_by_label("My goal").select_option(label="Senior agent")
            page.get_by_role("button", name="Finish").click()
            page.wait_for_selector("h1:has-text('My path')", timeout=TIMEOUT)
            assert page.get_by_text("Thank you!").is_visible()
            suggested = page.locator("ol.suggestions")
            assert suggested.get_by_text("Senior agent needs 4").first.is_visible()
            # Welcome, tools tour, and the shadowing step (Ana's session with Sam, both signed
            # off: lti_tool/devlauncher/demo_coaching.py).
            assert page.get_by_text("3 of 10 steps done").is_visible()
            assert fits(page)
            page.screenshot(path=str(ARTIFACTS / "paths-my-path-360.png"), full_page=True)
            # The shadowing step is done by the signed-off session: Ana asks for the coaching one.
            page.get_by_role("link", name="Shadow a senior agent for one shift").first.press(
                "Enter"
            )
            page.wait_for_selector("h1:has-text('Shadow a senior agent')", timeout=TIMEOUT)
            assert page.get_by_text("a session both sides signed off").is_visible()
            page.go_back()
            page.get_by_role("link", name="Coaching session with your team lead").first.click()
            page.wait_for_selector("h1:has-text('Coaching session')", timeout=TIMEOUT)
            assert page.get_by_text("Your team lead listens to two of your calls").is_visible()
            page.get_by_label("Note for the person signing off").fill("Tuesday, calls 3 and 7")
            page.get_by_role("button", name="Ask for sign-off").click()
            page.wait_for_selector("text=Sign-off requested.", timeout=TIMEOUT)
            assert page.get_by_text("waiting for sign-off").first.is_visible()
            assert fits(page)
            page.screenshot(path=str(ARTIFACTS / "paths-step-360.png"), full_page=True)

            page.goto(page.url.split("/paths/")[0] + "/paths/skills?" + page.url.split("?", 1)[1])
            page.wait_for_selector("h1:has-text('My skills')", timeout=TIMEOUT)
            assert page.get_by_text("Ben Brooks, ").first.is_visible()  # his rating of her
            assert fits(page)
            page.screenshot(path=str(ARTIFACTS / "paths-my-skills-360.png"), full_page=True)

            desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            frame = launch_in_frame(desk, lms, persona="ben")
            frame.wait_for_selector("h1:has-text('Welcome, Ben')", timeout=TIMEOUT)
            frame.get_by_role("link", name="Your team's progress").click()
            frame.wait_for_selector("h1:has-text('Billing team A')", timeout=TIMEOUT)
            row = frame.locator("tr", has_text="Ana Alvarez")
            assert "Tier 1 agent: your first 90 days:" in row.inner_text()
            own = frame.locator("section", has_text="Your own path").inner_text()
            assert "Team lead: coaching essentials: 50% complete" in own
            wide = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            wide.goto(frame.url)  # the team page top level, at desktop width
            wide.wait_for_selector("h1:has-text('Billing team A')", timeout=TIMEOUT)
            wide.screenshot(path=str(ARTIFACTS / "paths-team-1280.png"), full_page=True)
            narrow = browser.new_context(viewport={"width": 360, "height": 800}).new_page()
            narrow.goto(frame.url)
            narrow.wait_for_selector("h1:has-text('Billing team A')", timeout=TIMEOUT)
            assert fits(narrow)
            narrow.screenshot(path=str(ARTIFACTS / "paths-team-360.png"), full_page=True)
            narrow.get_by_role("link", name="Ana Alvarez's skills").click()
            narrow.wait_for_selector("h1:has-text('Ana Alvarez')", timeout=TIMEOUT)
            assert fits(narrow)
            narrow.screenshot(path=str(ARTIFACTS / "paths-rate-member-360.png"), full_page=True)
            # Ana's request is the one waiting (the demo's shadowing request was closed by the
            # signed-off shadowing session): "1 sign-off to decide".
            frame.get_by_role("link", name="1 sign-off to decide").click()
            frame.wait_for_selector("h1:has-text('Sign-offs waiting for you')", timeout=TIMEOUT)
            card = frame.locator("li.card", has_text="Coaching session with your team lead")
            assert card.get_by_text("Tuesday, calls 3 and 7").is_visible()
            desk.screenshot(path=str(ARTIFACTS / "paths-signoffs-1280.png"), full_page=True)
            card.get_by_label("Note to Ana Alvarez").fill("Good call control on both.")
            # Keyboard, not a click: a full-page screenshot just before resizes the view for a
            # moment, and a click aimed at coordinates can land nowhere.
            card.get_by_role("button", name="Sign off").focus()
            card.get_by_role("button", name="Sign off").press("Enter")
            frame.wait_for_selector("text=Signed off “Coaching session", timeout=TIMEOUT)
            # The demo's shadowing request was closed by the signed-off shadowing session.
            assert frame.locator("li.card", has_text="Shadow a senior agent").count() == 0

            page.goto(page.url.split("/paths/")[0] + "/paths/?" + page.url.split("?", 1)[1])
            page.wait_for_selector("h1:has-text('My path')", timeout=TIMEOUT)
            assert page.get_by_text("4 of 10 steps done").is_visible()
            assert fits(page)
            page.screenshot(path=str(ARTIFACTS / "paths-my-path-after-360.png"), full_page=True)

            frame = launch_in_frame(desk, lms, persona="ana")
            assert frame.get_by_text("Let's make Wayfinder yours").count() == 0  # shown once
            frame.get_by_role("link", name="Open My path").click()
            frame.wait_for_selector("h1:has-text('My path')", timeout=TIMEOUT)
            desk.screenshot(path=str(ARTIFACTS / "paths-my-path-1280.png"), full_page=True)
            # By keyboard: right after a full-page screenshot a click can land nowhere.
            frame.get_by_role("link", name="My skills").first.focus()
            frame.get_by_role("link", name="My skills").first.press("Enter")
            frame.wait_for_selector("h1:has-text('My skills')", timeout=TIMEOUT)
            wide.goto(frame.url)
            wide.wait_for_selector("h1:has-text('My skills')", timeout=TIMEOUT)
            wide.screenshot(path=str(ARTIFACTS / "paths-my-skills-1280.png"), full_page=True)

            # Sam has not done the onboarding: his home page offers it.
            frame = launch_in_frame(page, lms, persona="sam")
            frame.wait_for_selector("text=Let's make Wayfinder yours", timeout=TIMEOUT)
            page.goto(frame.url)
            page.wait_for_selector("text=Let's make Wayfinder yours", timeout=TIMEOUT)
            assert fits(page)
            page.screenshot(path=str(ARTIFACTS / "paths-home-newcomer-360.png"), full_page=True)

            frame = launch_in_frame(desk, lms, persona="dev")  # Chloe's launch is a deep link
            frame.get_by_role("link", name="Learning paths").first.click()
            frame.wait_for_selector("h1:has-text('Learning paths')", timeout=TIMEOUT)
            desk.screenshot(path=str(ARTIFACTS / "paths-manage-1280.png"), full_page=True)
            link = frame.get_by_role("link", name="Tier 1 agent: your first 90 days")
            link.wait_for(timeout=TIMEOUT)
            with frame.expect_navigation(timeout=TIMEOUT):
                link.press("Enter")
            frame.wait_for_selector("text=Start a new draft (v2)", timeout=TIMEOUT)
            assert frame.get_by_text("Call control, Empathy").first.is_visible()  # its skills
            desk.screenshot(path=str(ARTIFACTS / "paths-editor-1280.png"), full_page=True)

            # The editor at 360 px, by keyboard: a new draft, a step added, moved up, published.
            page.goto(frame.url)
            page.wait_for_selector("text=Start a new draft (v2)", timeout=TIMEOUT)
            page.get_by_role("button", name="Start a new draft (v2)").focus()
            page.keyboard.press("Enter")
            page.wait_for_selector("text=Draft version 2 is ready to edit", timeout=TIMEOUT)
            assert fits(page)
            page.get_by_role("link", name="+ Step in “Month 1: handle it yourself”").focus()
            page.keyboard.press("Enter")
            page.wait_for_selector("h1:has-text('New step')", timeout=TIMEOUT)
            page.get_by_label("Title").focus()
            page.keyboard.type("Listen to five great calls")
            page.get_by_label("Kind of step").select_option("link")
            page.get_by_label("Address to open").focus()
            page.keyboard.type("https://help.example.com/great-calls")
            page.get_by_label("Estimated minutes").focus()
            page.keyboard.type("45")
            assert fits(page)
            page.screenshot(path=str(ARTIFACTS / "paths-step-form-360.png"), full_page=True)
            page.get_by_label("Estimated minutes").press("Enter")  # submits the form
            page.wait_for_selector(
                "text=Step “Listen to five great calls” is saved.", timeout=TIMEOUT
            )
            page.get_by_role("button", name="Move Listen to five great calls up").focus()
            page.keyboard.press("Enter")
            # The editor comes back without the "saved" message: wait for the new page itself
            # (the old one has the same heading, and may still be there under load).
            page.wait_for_selector(
                "text=Step “Listen to five great calls” is saved.",
                state="detached",
                timeout=TIMEOUT,
            )
            page.wait_for_selector("h1:has-text('Tier 1 agent')", timeout=TIMEOUT)
            month = page.locator("li", has_text="Set: Month 1").first.inner_text()
            assert month.index("Listen to five great calls") < month.index("Quality check")
            assert fits(page)
            page.screenshot(path=str(ARTIFACTS / "paths-editor-360.png"), full_page=True)
            page.get_by_role("button", name="Publish v2").focus()
            page.keyboard.press("Enter")
            page.wait_for_selector("text=Version 2 is published.", timeout=TIMEOUT)
            # Ana, and the demo's Tier 1 agents with a KPI history (demo_insights), stay on v1.
            assert page.get_by_text("41 people are on an older version").is_visible()
        finally:
            browser.close()
