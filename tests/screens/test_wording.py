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


def test_staff_tell_apart_people_whose_lms_shares_no_name(launcher: tuple[Any, str]) -> None:
    """Sam's LMS shares neither name nor email: to his colleagues he is "Colleague", but the
    lists where his leader and the trainers pick people name him by his LMS user id."""
    _app, tool = launcher
    ben, dev = persona(tool, "ben"), persona(tool, "dev")
    assert "Colleague (LMS user sam)" in text(ben.follow(ben.get("/paths/team")))  # his one team
    assert "Colleague (LMS user sam)" in text(ben.get("/recognition/award"))
    assert "Colleague (LMS user sam)" in text(dev.get("/roles/people"))
    assert "Colleague (LMS user sam)" not in text(persona(tool, "ana").get("/community/"))
