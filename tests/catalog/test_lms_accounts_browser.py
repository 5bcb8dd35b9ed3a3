"""In Chromium: Ana connects her Canvas account from her plan in a new window (Wayfinder ->
the served Canvas fake's authorise page -> the callback page), then enrols by keyboard; and a
trainer searches and pages the deep-link picker. Every page fits a 360 px phone. Screenshots at
360 px and 1280 px go to /tmp/shots-lmsauth/ to look at."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy import insert

from lti_tool.catalog.models import CatalogItem
from lti_tool.extensions import db
from lti_tool.lti.models import utcnow
from lti_tool.tenancy import tenant_scope
from tests.catalog.test_catalog_browser import ARGS, CHROMIUM, _no_overflow
from tests.catalog.test_lms_accounts import on_canvas, on_moodle  # noqa: F401 (fixtures)
from tests.catalog.test_plan import People
from tests.deeplinking.test_deeplinking import deep_link_as, moodle_settings, open_picker
from tests.harness import INSTRUCTOR, Browser, FakeLms

SHOTS = Path(tempfile.gettempdir()) / "shots-lmsauth"
pytestmark = pytest.mark.browser


def test_connect_canvas_in_a_new_window_then_enrol(on_canvas: People) -> None:  # noqa: F811
    people, fake = on_canvas, on_canvas.served.fake
    fake.browser_user = "ana"
    cid, uid = int(people.served.course_id("calls")), int(people.served.user_id("ana"))
    fake.enrolled.pop((cid, uid), None)
    entry = people.add(people.ana, "Handling difficult calls")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for width, height in ((360, 740), (1280, 900)):
                context = browser.new_context(viewport={"width": width, "height": height})
                page = context.new_page()
                page.goto(people.ana.url("/catalog/plan"))
                assert "Connect your Canvas account" in page.inner_text("main")
                _no_overflow(page, f"plan-connect-{width}")
                page.screenshot(path=str(SHOTS / f"plan-connect-{width}.png"), full_page=True)
                page.focus("main a.button[target=_blank]")
                with context.expect_page() as opened:
                    page.keyboard.press("Enter")
                window = opened.value
                window.wait_for_load_state()
                assert window.url.startswith(people.lms.tool_url + "/catalog/oauth/canvas/callback")
                assert "Connected - you can close this window" in window.inner_text("main")
                _no_overflow(window, f"connected-{width}")
                window.screenshot(path=str(SHOTS / f"connected-{width}.png"), full_page=True)
                window.close()
                page.reload()
                assert "Connected" in page.inner_text("main .lms-account")
                if width == 360:
                    page.focus(f"#plan-{entry} form button")
                    with page.expect_navigation():
                        page.keyboard.press("Enter")
                    assert "You are enrolled in Handling difficult calls" in page.inner_text("main")
                    page.screenshot(path=str(SHOTS / "plan-enrolled-360.png"), full_page=True)
                page.goto(people.ana.url("/catalog/account"))
                _no_overflow(page, f"account-{width}")
                page.screenshot(path=str(SHOTS / f"account-{width}.png"), full_page=True)
                # Disconnect (with its confirmation), so the next width connects again.
                page.goto(people.ana.url("/catalog/account/remove"))
                with page.expect_navigation():
                    page.click("main button.danger")
                context.close()
            assert (cid, uid) in fake.self_enrolled
        finally:
            browser.close()


def test_the_picker_searches_and_pages_on_a_phone(
    clean_app: Any, lms: FakeLms, tool_server: str
) -> None:
    tenant = int(lms.registration_id)  # type: ignore[attr-defined]
    with clean_app.app_context(), tenant_scope(db.session, tenant):
        now = utcnow()
        db.session.execute(
            insert(CatalogItem),
            [
                {
                    "registration_id": tenant,
                    "source": "lms",
                    "external_id": str(n),
                    "title": f"Calls course {n:03d}" if n % 2 else f"Billing course {n:03d}",
                    "summary": "A course from the LMS.",
                    "search_text": f"{'calls' if n % 2 else 'billing'} course {n:03d}",
                    "lms_format": "course",
                    "lms_enrolment": "manual",
                    "created_at": now,
                }
                for n in range(300)
            ],
        )
        db.session.commit()
    deep_link_as(lms, [INSTRUCTOR], moodle_settings(lms))
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for width, height in ((360, 740), (1280, 900)):
                launched = open_picker(lms, Browser())
                url = tool_server + launched.headers["Content-Location"]
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(url)
                assert "300 items, page 1 of 12" in page.inner_text("main")
                page.fill("#q-catalog", "billing")
                with page.expect_navigation():
                    page.press("#q-catalog", "Enter")  # Enter searches, it does not place
                main = page.inner_text("main")
                assert "150 items match “billing”, page 1 of 6" in main, main[:500]
                page.focus("main .pick-pages button")
                with page.expect_navigation():
                    page.keyboard.press("Enter")
                assert "page 2 of 6" in page.inner_text("main")
                titles = re.findall(r"Billing course \d{3}", page.inner_text("main"))
                assert len(titles) == 25
                _no_overflow(page, f"picker-{width}")
                page.screenshot(path=str(SHOTS / f"picker-{width}.png"), full_page=True)
                page.locator(".pick-search").scroll_into_view_if_needed()
                page.screenshot(path=str(SHOTS / f"picker-search-{width}.png"))
                page.locator(".pick-pages").scroll_into_view_if_needed()
                page.screenshot(path=str(SHOTS / f"picker-pages-{width}.png"))
                page.close()
        finally:
            browser.close()


def test_a_self_enrolment_only_moodle_course_on_a_phone(on_moodle: People) -> None:  # noqa: F811
    people, fake = on_moodle, on_moodle.served.fake
    cid = int(people.served.course_id("calls"))
    fake.enrolled.pop((cid, int(people.served.user_id("ana"))), None)
    fake.no_manual.add(cid)
    entry = people.add(people.ana, "Handling difficult calls")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for width, height in ((360, 740), (1280, 900)):
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(people.ana.url("/catalog/plan"))
                if width == 360:
                    page.focus(f"#plan-{entry} form button")
                    with page.expect_navigation():
                        page.keyboard.press("Enter")
                main = page.inner_text("main")
                assert "lets people enrol only themselves in Moodle" in main
                link = page.locator(f"#plan-{entry} .lms-page a")
                assert link.get_attribute("target") == "_blank"
                assert link.get_attribute("href") == (
                    f"{people.served.url}/enrol/index.php?id={cid}"
                )
                _no_overflow(page, f"plan-moodle-{width}")
                page.screenshot(path=str(SHOTS / f"plan-moodle-{width}.png"), full_page=True)
                page.goto(people.ana.url("/catalog/account"))
                assert "Security keys" in page.inner_text("main")
                _no_overflow(page, f"account-moodle-{width}")
                page.screenshot(path=str(SHOTS / f"account-moodle-{width}.png"), full_page=True)
                page.close()
        finally:
            browser.close()
