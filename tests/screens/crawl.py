"""The demo's pages as a person finds them, for the screen checks.

Each persona is launched through the development launcher, and their pages are found in Chromium
by following Wayfinder's own links from the home page, two levels deep. Pages that differ only by
their ids are one kind of page, so only the first of each kind is opened.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from tests.community.conftest import Session

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "screens"
PAGES_PER_PERSONA = 120
DEPTH = 2
ID = re.compile(r"\d+|(?=.*\d)[\w-]{8,}")  # a row id, or a step key such as 9de9ba2b0d49
# Downloads, the LTI endpoints and the launcher are not pages of the tool to look at.
SKIP = ("/lti/", "/dev/", "/static/")
LINKS = """() => Array.from(document.querySelectorAll('a[href]'))
  .filter(a => !a.hasAttribute('download') && a.origin === location.origin)
  .map(a => a.pathname + a.search)"""


def require_chromium() -> None:
    """Skip the calling test module without Debian's Chromium, except in CI, where it must be."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        raise RuntimeError("Debian's Chromium is required for the browser tests in CI")
    pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed", allow_module_level=True)


def kind(path: str) -> str:
    """A page's kind: its path with ids in place of "#"."""
    parts = urlsplit(path).path.rstrip("/").split("/")
    return "/".join("#" if ID.fullmatch(p) else p for p in parts)


def shot_name(who: str, path: str) -> str:
    return f"{who}-{kind(path).strip('/').replace('/', '_').replace('#', 'n') or 'home'}.png"


def crawl(page: Page, session: Session, limit: int = PAGES_PER_PERSONA) -> Iterator[str]:
    """Open ``session``'s pages one after the other in the Playwright ``page``, breadth first
    from the home page; yields each HTML page's path while it is open."""
    seen: set[str] = set()
    queue: list[tuple[str, int]] = [("/", 0)]
    visited = 0
    while queue and visited < limit:
        path, depth = queue.pop(0)
        if kind(path) in seen:
            continue
        seen.add(kind(path))
        response = page.goto(session.url(path))
        assert response is not None, path
        if response.headers.get("content-type", "").split(";")[0] != "text/html":
            continue
        assert response.status < 500, (session.name, path, response.status)
        visited += 1
        links = page.evaluate(LINKS) if depth < DEPTH else []
        yield path
        for link in links:
            if not link.startswith(SKIP) and kind(link) not in seen:
                queue.append((link, depth + 1))
