"""The demo's pages speak to the person reading them: a leader reads a request in the third
person, an admin reads a launch failure's cause in words (its code beside it), grammar holds."""

from __future__ import annotations

from typing import Any

from lti_tool.errors import PROBLEMS
from tests.community.conftest import persona, text


def test_demo_pages_read_in_plain_words(launcher: tuple[Any, str]) -> None:
    _app, tool = launcher
    dev, ben = persona(tool, "dev"), persona(tool, "ben")
    home = text(dev.get("/"))
    assert "How every team lead takes part in learning" in home
    recent = home.split("Recent launch failures", 1)[1]
    assert f"{PROBLEMS['unknown_deployment'].title} ( unknown_deployment )" in recent
    requests = text(ben.get("/catalog/requests"))
    assert "For their career goal" in requests and "My career goal" not in requests
    assert "see it in the catalog" in requests
