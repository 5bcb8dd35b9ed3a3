"""Headers on every page: CSP frame-ancestors limited to registered platforms."""

from __future__ import annotations

from tests.harness import Browser, FakeLms, launch


def test_security_headers_and_frame_ancestors(lms: FakeLms, browser: Browser, clean_app) -> None:
    attempt = launch(browser, lms)
    page = browser.get(lms.tool_url + attempt.launch.headers["Content-Location"])
    csp = page.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {lms.url}" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert "X-Frame-Options" not in page.headers
    assert page.headers["Cache-Control"] == "no-store"
    cookie = attempt.launch.headers["Set-Cookie"]
    assert "SameSite=None" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    # An unrelated site may not frame Wayfinder.
    assert "evil.example" not in csp


def test_frame_ancestors_of_one_tenant_exclude_another(
    lms: FakeLms, browser: Browser, clean_app, tool_server
) -> None:
    from tests.conftest import add_registration

    other = FakeLms(client_id="client-2")
    other.connect(tool_server)
    try:
        add_registration(clean_app, other)
        attempt = launch(browser, lms)
        csp = browser.get(lms.tool_url + attempt.launch.headers["Content-Location"]).headers[
            "Content-Security-Policy"
        ]
        assert lms.url in csp and other.url not in csp
    finally:
        other.server.stop()
