"""Web addresses read from forms and from an LMS.

``urlsplit`` raises ValueError for some text a person can type or an LMS can send: "http://["
or "http://a]b/" (a bracket that opens no IPv6 address). That made every form with an address
field a 500. ``split_url`` reads what it can, or None, so the caller says what to fix.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit


def split_url(url: str) -> SplitResult | None:
    """The address's parts, or None when it cannot be split at all."""
    try:
        parts = urlsplit(url)
        _ = parts.hostname  # checks the bracketed part of the host too
    except ValueError:
        return None
    return parts


def is_web_address(url: str) -> bool:
    """A full http(s) address: a scheme and a host."""
    parts = split_url(url)
    return parts is not None and parts.scheme in ("http", "https") and bool(parts.netloc)
