"""Every GET form inside the tool carries the launch token: a GET form replaces its action's
query string, so without the hidden field the next page would lose the launch when the browser
blocks third-party cookies."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
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
