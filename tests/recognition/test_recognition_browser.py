"""The recognition pages in Chromium with the demo data: nothing wider than a 360 px phone,
giving thanks works by keyboard alone, and screenshots at 360 px and 1280 px (in
test-artifacts/recognition/ and /tmp/shots-recognition/) to look at."""

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
from lti_tool.people.models import Person
from lti_tool.recognition.models import Award, Badge
from lti_tool.roles import services as roles
from lti_tool.roles.models import Source
from lti_tool.tenancy import tenant_scope
from tests.community.conftest import persona

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "recognition"
SHOTS = Path(tempfile.gettempdir()) / "shots-recognition"
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


def test_pages_fit_a_phone_and_thanks_work_by_keyboard(launcher: tuple[Any, str]) -> None:
    app, tool = launcher
    with app.app_context():
        given = db.session.scalar(
            select(Award.id).join(Badge).where(Badge.name == "Above and beyond")
        )
        ben_id = db.session.scalar(select(Person.id).where(Person.sub == "ben"))
        badge_id = db.session.scalar(select(Badge.id).where(Badge.name == "De-escalation pro"))
    with app.app_context():
        # Two more Tier 1 agents (as a roster sync would bring in), so "People near me" has
        # colleagues to show.
        reg_id = db.session.scalar(select(Person.registration_id).where(Person.sub == "ana"))
        with tenant_scope(db.session, reg_id):
            tier1 = roles.match_role("Tier 1 agent")
            for sub, name in (("agent-a", "Aisha Bello"), ("agent-b", "Bruno Costa")):
                row = Person(registration_id=reg_id, sub=sub, name=name)
                db.session.add(row)
                db.session.flush()
                roles.set_source_role(row, Source.LTI, tier1, by="test", by_person_id=None)
        db.session.commit()
    ana, ben, chloe = (persona(tool, key) for key in ("ana", "ben", "chloe"))
    pages = {
        "mine": (ana, "/recognition/"),
        "profile": (ana, "/me"),
        "badges": (ana, "/recognition/badges"),
        "award": (ana, f"/recognition/awards/{given}"),
        "near": (ana, "/recognition/near"),
        "person": (ana, f"/recognition/people/{ben_id}"),
        "team": (ben, "/recognition/team"),
        "give-badge": (ben, "/recognition/award"),
        "badge": (chloe, f"/recognition/badges/{badge_id}"),
        "badge-form": (chloe, "/recognition/badges/new"),
        "home": (ana, "/"),
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
                    # Every badge picture loaded (the CSP allows them; no broken images).
                    broken = page.evaluate(
                        "() => [...document.images].filter(i => !i.complete || !i.naturalWidth)"
                        ".map(i => i.src)"
                    )
                    assert broken == [], (name, broken)
                    if name == "near":
                        # Colleagues of Ana's role within reach of her progress (the demo's
                        # Tier 1 agents, lti_tool/devlauncher/demo_insights.py, among them).
                        assert re.search(r"\d+% complete", page.inner_text("main"))
                    shot = ARTIFACTS / f"{name}-{width}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    shutil.copy(shot, SHOTS / shot.name)
                page.close()

            # Keyboard only: on Ben's recognition page, Tab to "Thank Ben Brooks", Enter, type.
            page = browser.new_page(viewport={"width": 360, "height": 740})
            page.goto(ana.url(f"/recognition/people/{ben_id}"))
            for _ in range(40):
                page.keyboard.press("Tab")
                label = page.evaluate("() => document.activeElement.textContent.trim()")
                if label == "Thank Ben Brooks":
                    break
            else:
                raise AssertionError("the Thank button is not reachable by keyboard")
            page.keyboard.press("Enter")
            page.wait_for_url("**/recognition/thanks**")
            page.keyboard.press("Tab")
            for _ in range(30):
                if page.evaluate("() => document.activeElement.id") == "message":
                    break
                page.keyboard.press("Tab")
            page.keyboard.type("Thanks for the shift swap!")
            page.keyboard.press("Tab")  # the Send button
            page.keyboard.press("Enter")
            page.wait_for_url(f"**/recognition/people/{ben_id}**")
            assert "Thanks for the shift swap!" in page.inner_text("main")
            page.screenshot(path=str(SHOTS / "thanked-360.png"), full_page=True)
        finally:
            browser.close()
