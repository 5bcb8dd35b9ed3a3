"""The copy buttons of the manual setup page in a real browser, in Spanish: admin.js says what
the page gives it (data-* of #copy-status), so the button and the announcement are Spanish."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.admin.test_i18n_admin import SpanishAdmin
from tests.harness import FakeLms
from tests.test_browser import ARGS, CHROMIUM, TIMEOUT

pytestmark = pytest.mark.browser


def test_copy_button_and_its_announcement_in_spanish(lms: FakeLms, clean_app: Any) -> None:
    admin = SpanishAdmin(lms)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
            page = context.new_page()
            page.goto(admin.url("/admin/setup"))
            named = page.get_by_role("button", name="Copiar URL de la herramienta")
            expect(named).to_have_attribute("data-copy", "moodle-2")
            button = page.locator("button[data-copy=moodle-2]")  # its name changes on a click
            button.click()
            expect(button).to_contain_text("Copiado", timeout=TIMEOUT)
            expect(page.locator("#copy-status")).to_have_text(
                "Se copió: URL de la herramienta.", timeout=TIMEOUT
            )
            assert page.evaluate("navigator.clipboard.readText()") == lms.tool_url + "/lti/launch"
            # Two seconds later the button reads as before.
            expect(button).to_have_text("Copiar URL de la herramienta", timeout=TIMEOUT)
        finally:
            browser.close()
