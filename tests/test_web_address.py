"""Web addresses read from forms and from an LMS (``lti_tool.web_address``): text Python's
``urlsplit`` cannot split is no address, never a 500."""

from __future__ import annotations

import pytest

from lti_tool.web_address import is_web_address, split_url


@pytest.mark.parametrize("text", ["http://[", "http://[::1", "http://a]b/", "https://[x]/"])
def test_an_address_python_cannot_split_is_none(text: str) -> None:
    assert split_url(text) is None
    assert not is_web_address(text)


@pytest.mark.parametrize(
    ("text", "web"),
    [
        ("https://lms.example.com/course/view.php?id=12", True),
        ("http://[::1]:8080/x", True),
        ("ftp://files.example.com/", False),
        ("lms.example.com", False),
        ("", False),
    ],
)
def test_full_http_addresses(text: str, web: bool) -> None:
    assert is_web_address(text) is web
