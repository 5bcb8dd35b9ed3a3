"""Headers on every response, and the proxy in front.

Wayfinder lives in the LMS's iframe, so it never sends X-Frame-Options; instead the CSP's
frame-ancestors names only the registered platforms' origins (the launching tenant's, once the
launch is known). Scripts and styles come from Wayfinder itself; nothing from a CDN.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Flask, Response, g, request
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from lti_tool.extensions import db
from lti_tool.lti.models import PlatformKind, Registration

CANVAS_HOSTED = "https://*.instructure.com"
_CACHE_SECONDS = 30
_origins_cache: dict[int | None, tuple[float, list[str]]] = {}


def _origin(url: str) -> str:
    parts = urlsplit(url or "")
    return (
        f"{parts.scheme}://{parts.netloc}"
        if parts.scheme in ("http", "https") and parts.netloc
        else ""
    )


def platform_origins(registration_id: int | None) -> list[str]:
    """Origins allowed to frame Wayfinder: the issuer and auth origins of enabled registrations,
    plus their recorded LMS page origins. Cached briefly in-process; a cache, not state."""
    cached = _origins_cache.get(registration_id)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    query = select(Registration).where(Registration.enabled.is_(True))
    if registration_id is not None:
        query = query.where(Registration.id == registration_id)
    origins: set[str] = set()
    for reg in db.session.scalars(query):
        origins.update(o for o in (_origin(reg.issuer), _origin(reg.auth_login_url)) if o)
        origins.update(o for o in (_origin(u) for u in reg.frame_origins or []) if o)
        if reg.platform is PlatformKind.CANVAS:
            origins.add(CANVAS_HOSTED)
    result = sorted(origins)
    _origins_cache[registration_id] = (time.monotonic() + _CACHE_SECONDS, result)
    return result


def content_security_policy(form_action: list[str], frame_ancestors: list[str]) -> str:
    """Wayfinder's one policy: everything from Wayfinder itself; forms may also post to, and
    pages be framed by, the sources given."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            " ".join(["form-action 'self'", *form_action]),
            " ".join(["frame-ancestors", *frame_ancestors]),
        ]
    )


def _content_security_policy() -> str:
    launch = g.get("launch")
    origins = platform_origins(launch.registration_id if launch else None)
    return content_security_policy(origins, ["'self'", *origins])


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", _content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin-allow-popups")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.path.startswith("/lti/") or g.get("launch") is not None:
        headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    proxies = int(app.config.get("PROXY_FIX") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
    app.after_request(add_security_headers)
