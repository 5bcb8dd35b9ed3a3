"""Is a deep-linking request one Wayfinder can answer? (LTI Deep Linking 2.0, section 4.4.1)

Checked during the launch, so a bad request is refused with a clear page and logged for the
admin's diagnostics. Wayfinder needs a return URL it can post the answer to (an http(s) address
on an origin registered for the LMS: the page's CSP form-action allows only those) and a
platform that accepts ltiResourceLink items. ``data`` and ``accept_multiple`` are optional:
Moodle sends no data.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from lti_tool.lti.context import Claims
from lti_tool.security import platform_origins
from lti_tool.web_address import is_web_address

RESOURCE_LINK_TYPE = "ltiResourceLink"


def url_origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_allowed(origin: str, allowed: list[str]) -> bool:
    """As the CSP source list would: exact origins, and `https://*.example.com` wildcards."""
    scheme, _, host = origin.partition("://")
    for pattern in allowed:
        pattern = pattern.lower()
        if pattern == origin:
            return True
        p_scheme, _, p_host = pattern.partition("://")
        if p_host.startswith("*.") and p_scheme == scheme and host.endswith(p_host[1:]):
            return True
    return False


def deep_linking_problem(body: dict[str, Any], registration_id: int) -> str | None:
    """None when Wayfinder can answer this request, else what is wrong, for the admin."""
    services = Claims.read(body).services
    url = services.deep_linking_return_url
    if not url:
        return "the deep_linking_settings claim has no deep_link_return_url"
    if not is_web_address(url):
        return f"deep_link_return_url {url!r} is not an http(s) address"
    if RESOURCE_LINK_TYPE not in services.deep_linking_accept_types:
        return (
            f"accept_types {list(services.deep_linking_accept_types)!r} "
            f"does not include {RESOURCE_LINK_TYPE}"
        )
    allowed = platform_origins(registration_id)
    origin = url_origin(url)
    if not origin_allowed(origin, allowed):
        return (
            f"deep_link_return_url is on {origin}, which is not an origin registered for this LMS "
            f"({', '.join(allowed) or 'none'})"
        )
    return None
