"""A real browser (Playwright driving Debian's Chromium) on an LMS page from one site
(http://localhost:PORT, the development launcher) embedding Wayfinder from another
(http://127.0.0.1:PORT): launches with third-party cookies blocked, with no cookies at all, and
with cookies allowed; navigation two pages deep and a form submitted inside the iframe.
Screenshots at 360 px and 1280 px go to test-artifacts/."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _clean, demo_site

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP localhost 127.0.0.1",
]
ALL_COOKIES_BLOCKED = {"profile": {"default_content_setting_values": {"cookies": 2}}}
THIRD_PARTY_COOKIES_ALLOWED = {
    "profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False}
}
TIMEOUT = 15_000

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("Debian's Chromium is required for the browser tests in CI")
    pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed", allow_module_level=True)

from playwright.sync_api import (  # noqa: E402
    Browser,
    BrowserContext,
    Frame,
    Page,
    Playwright,
    sync_playwright,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(app: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Wayfinder with the development launcher, on the tests' database, served on loopback."""
    _clean(app)
    with demo_site(app.config["DATABASE_URL"], tmp_path_factory.mktemp("browser")) as served:
        yield {"tool": served.tool, "lms": served.lms}


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
    yield browser
    browser.close()


@contextmanager
def browser_with(
    p: Playwright, preferences: dict[str, Any], tmp_path: Path
) -> Iterator[BrowserContext]:
    """A Chromium profile with these preferences (cookie settings are profile preferences)."""
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True, exist_ok=True)
    (profile / "Default" / "Preferences").write_text(json.dumps(preferences))
    context = p.chromium.launch_persistent_context(
        str(profile), executable_path=str(CHROMIUM), headless=True, args=ARGS
    )
    try:
        yield context
    finally:
        context.close()


def launch_in_frame(page: Page, lms: str, persona: str = "ana", storage: str = "answer") -> Frame:
    page.goto(f"{lms}/dev/?persona={persona}&storage={storage}")
    page.wait_for_selector("iframe[title=Wayfinder]", timeout=TIMEOUT)
    frame = page.frame_locator("iframe[title=Wayfinder]")
    frame.locator("h1").first.wait_for(timeout=TIMEOUT)
    handle = page.query_selector("iframe[title=Wayfinder]")
    assert handle is not None
    content = handle.content_frame()
    assert content is not None
    return content


def wait_for_heading(frame: Frame, text: str) -> None:
    try:
        frame.wait_for_selector(f"h1:has-text('{text}')", timeout=TIMEOUT)
    except PlaywrightTimeout:
        # What the frame showed instead, for whoever reads the failure (test-artifacts/).
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "heading-timeout.html").write_text(
            f"<!-- {frame.url} -->\n" + frame.content(), encoding="utf-8"
        )
        frame.page.screenshot(path=str(ARTIFACTS / "heading-timeout.png"), full_page=True)
        raise


def navigate_and_submit(page: Page, frame: Frame, tool: str) -> None:
    """Home -> Profile -> Edit -> Save, all inside the iframe."""
    wait_for_heading(frame, "Welcome, Ana")  # her preferred name may differ after another test
    frame.get_by_role("link", name="Profile").click()
    wait_for_heading(frame, "Your profile")
    frame.get_by_role("link", name="Edit your profile").click()
    wait_for_heading(frame, "Edit your profile")
    new_name = f"Ana {secrets.token_hex(3)}"
    frame.get_by_label("Preferred name").fill(new_name)
    frame.get_by_role("button", name="Save").click()
    frame.wait_for_selector("text=Your profile is saved.", timeout=TIMEOUT)
    assert frame.locator("dd", has_text=new_name).count() == 1
    assert frame.url.startswith(tool + "/me?lt=")  # still inside the iframe, on Wayfinder
    assert page.url.startswith("http://localhost:")  # the LMS page never navigated


def test_third_party_cookies_blocked_launch_navigate_and_submit(
    site: dict[str, str], chromium: Browser
) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        frame = launch_in_frame(page, site["lms"])
        navigate_and_submit(page, frame, site["tool"])
    finally:
        context.close()


def test_refreshing_the_launched_page_is_a_get_of_that_page(
    site: dict[str, str], chromium: Browser
) -> None:
    """The launch's POST is answered with the page; a refresh must fetch that page again with
    GET, never re-post the one-time id_token (which would be refused as replayed)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        frame = launch_in_frame(page, site["lms"])
        wait_for_heading(frame, "Welcome, Ana")
        # The POST was replaced in history (the browser reports the new URL a moment later).
        frame.wait_for_url(lambda url: url.startswith(site["tool"] + "/?lt="), timeout=TIMEOUT)
        requests: list[tuple[str, str]] = []
        page.on("request", lambda r: requests.append((r.method, r.url)))
        with page.expect_event("framenavigated", timeout=TIMEOUT):
            frame.evaluate("window.location.reload()")
        frame = page.frame_locator("iframe[title=Wayfinder]").locator("h1").first
        frame.wait_for(timeout=TIMEOUT)
        assert frame.inner_text().startswith("Welcome, Ana")
        assert ("POST", site["tool"] + "/lti/launch") not in requests
        assert any(m == "GET" and u.startswith(site["tool"] + "/?lt=") for m, u in requests)
    finally:
        context.close()


def test_no_cookies_at_all_with_platform_storage(
    site: dict[str, str], playwright: Playwright, tmp_path: Path
) -> None:
    with browser_with(playwright, ALL_COOKIES_BLOCKED, tmp_path) as context:
        page = context.new_page()
        frame = launch_in_frame(page, site["lms"], storage="answer")
        navigate_and_submit(page, frame, site["tool"])
        assert context.cookies(site["tool"]) == []


def test_no_cookies_and_no_platform_storage_offers_a_new_window(
    site: dict[str, str], chromium: Browser, playwright: Playwright, tmp_path: Path
) -> None:
    with browser_with(playwright, ALL_COOKIES_BLOCKED, tmp_path) as context:
        page = context.new_page()
        frame = launch_in_frame(page, site["lms"], storage="none")
        wait_for_heading(frame, "Your browser blocked Wayfinder inside the LMS page")
        ARTIFACTS.mkdir(exist_ok=True)
        for width in (360, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(ARTIFACTS / f"cookies-blocked-{width}.png"), full_page=True)
        href = frame.get_by_role("link", name="Open Wayfinder in a new window").get_attribute(
            "href"
        )
        assert href and "/lti/login?relaunch=" in href
    # In a new window (top level, where the browser keeps first-party cookies) the launch completes.
    top = chromium.new_context()
    try:
        page = top.new_page()
        page.goto(href)
        page.wait_for_selector("h1:has-text('Welcome, Ana')", timeout=TIMEOUT)
    finally:
        top.close()


def test_platform_storage_offered_but_unanswered(
    site: dict[str, str], playwright: Playwright, tmp_path: Path
) -> None:
    """Like Canvas's mobile apps: the storage target is sent but nobody answers."""
    with browser_with(playwright, ALL_COOKIES_BLOCKED, tmp_path) as context:
        page = context.new_page()
        frame = launch_in_frame(page, site["lms"], storage="ignore")
        frame.wait_for_selector("text=Open Wayfinder in a new window", timeout=TIMEOUT)


def test_third_party_cookies_allowed(
    site: dict[str, str], playwright: Playwright, tmp_path: Path
) -> None:
    with browser_with(playwright, THIRD_PARTY_COOKIES_ALLOWED, tmp_path) as context:
        page = context.new_page()
        frame = launch_in_frame(page, site["lms"], storage="none")
        navigate_and_submit(page, frame, site["tool"])
        assert any(c["name"] == "wayfinder_session" for c in context.cookies(site["tool"]))


@pytest.mark.parametrize("width", [360, 1280])
def test_screenshots(site: dict[str, str], chromium: Browser, width: int) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    context = chromium.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        for persona, greeting in (("ana", "Welcome, Ana"), ("dev", "Welcome, Dev Desai")):
            frame = launch_in_frame(page, site["lms"], persona=persona)
            frame.wait_for_selector(f"h1:has-text('{greeting}')", timeout=TIMEOUT)
            page.screenshot(path=str(ARTIFACTS / f"launcher-{persona}-{width}.png"), full_page=True)
        # Wayfinder's own pages, top level, at this width.
        page.goto(frame.url)
        page.screenshot(path=str(ARTIFACTS / f"home-admin-{width}.png"), full_page=True)
        page.get_by_role("link", name="Profile").click()
        page.wait_for_selector("h1:has-text('Your profile')", timeout=TIMEOUT)
        page.screenshot(path=str(ARTIFACTS / f"profile-{width}.png"), full_page=True)
        # The page has no horizontal scroll at this width.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    finally:
        context.close()


def test_dynamic_registration_in_the_lms_dialog_with_cookies_blocked(
    site: dict[str, str], playwright: Playwright, tmp_path: Path
) -> None:
    """The launcher plays an LMS (on another site) opening /lti/register in its iframe; with every
    cookie blocked the admin confirms, and Wayfinder's org.imsglobal.lti.close message reaches the
    LMS page, which closes the dialog. Demo launches keep working afterwards."""
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_with(playwright, ALL_COOKIES_BLOCKED, tmp_path) as context:
        page = context.new_page()
        page.set_viewport_size({"width": 360, "height": 900})
        page.goto(f"{site['lms']}/dev/")
        page.get_by_text("Install Wayfinder in an LMS").click()
        page.get_by_role("link", name="Try dynamic registration from this LMS").click()
        frame = page.frame_locator("iframe[title='Register Wayfinder']")
        frame.locator("h1:has-text('Register Wayfinder with')").wait_for(timeout=TIMEOUT)
        # Headless Chromium leaves cross-site frames blank in screenshots: look at the page itself.
        src = page.get_attribute("iframe[title='Register Wayfinder']", "src")
        assert src
        alone = context.new_page()
        alone.set_viewport_size({"width": 360, "height": 900})
        alone.goto(src)
        alone.screenshot(path=str(ARTIFACTS / "register-confirm-360.png"), full_page=True)
        assert alone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        alone.close()
        frame.get_by_role("button", name="Confirm and register").click()
        page.wait_for_selector(
            "text=Wayfinder told this LMS the registration is finished", timeout=TIMEOUT
        )
        assert page.query_selector("iframe[title='Register Wayfinder']") is None
        assert context.cookies(site["tool"]) == []
        frame = launch_in_frame(page, site["lms"], persona="dev")
        wait_for_heading(frame, "Welcome, Dev Desai")
