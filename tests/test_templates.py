"""Every GET form inside the tool carries the launch token: a GET form replaces its action's
query string, so without the hidden field the next page would lose the launch when the browser
blocks third-party cookies. Every address a template or view builds names a real endpoint: a
misspelt one is a 500 on the page, seen only when that branch of the page is drawn."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lti_tool import create_app
from tests.conftest import overrides

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
OUTSIDE_THE_LAUNCH = {"devlauncher"}  # the pretend LMS, not Wayfinder inside the iframe

FORM = re.compile(r"<form\b[^>]*\bmethod=\"get\"[^>]*>(.*?)</form>", re.S | re.I)


def test_every_get_form_keeps_the_launch_token() -> None:
    missing = []
    checked = 0
    for path in sorted(TEMPLATES.rglob("*.html")):
        if path.relative_to(TEMPLATES).parts[0] in OUTSIDE_THE_LAUNCH:
            continue
        for body in FORM.findall(path.read_text()):
            checked += 1
            if 'name="lt"' not in body:
                missing.append(str(path.relative_to(TEMPLATES)))
    assert checked >= 5
    assert missing == []


URL_FOR = re.compile(r"url_for\(\s*['\"]([\w.]+)['\"]")


def test_every_url_for_names_an_endpoint(tmp_path: Any) -> None:
    app = create_app({**overrides(tmp_path), "DEV_LAUNCHER": True})
    unknown = []
    checked = 0
    for path in sorted([*TEMPLATES.rglob("*.html"), *(ROOT / "lti_tool").rglob("*.py")]):
        for endpoint in URL_FOR.findall(path.read_text()):
            checked += 1
            if not endpoint.startswith(".") and endpoint not in app.view_functions:
                unknown.append(f"{path.relative_to(ROOT)}: {endpoint}")
    assert checked > 500
    assert unknown == []
