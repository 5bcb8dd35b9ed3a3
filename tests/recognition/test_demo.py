"""The demo data through the development launcher: each persona sees recognition."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.recognition.models import Award, Badge
from tests.community.conftest import persona, text


def test_demo_personas_see_recognition(launcher: tuple[Any, str]) -> None:
    app, tool = launcher
    with app.app_context():
        awards = {
            (a.person.sub, a.badge.name): a.awarded_by.sub if a.awarded_by else None
            for a in db.session.scalars(select(Award).join(Badge))
        }
    assert awards[("ana", "First tip verified")] is None  # by the verification hook
    assert awards[("sam", "First tip verified")] is None  # by the re-evaluation
    assert awards[("ana", "Above and beyond")] == "ben"
    ana, ben, chloe, dev = (persona(tool, k) for k in ("ana", "ben", "chloe", "dev"))
    mine = text(ana.get("/recognition/"))
    assert "First tip verified" in mine and "Above and beyond" in mine
    assert "40 minutes" in mine and "Ben Brooks thanked you" in mine
    assert "Recognition" in text(ana.get("/"))
    profile = text(ben.get("/me"))
    assert "Ana Alvarez thanked you" in profile and "You thanked Ana Alvarez" in profile
    assert "For an answer to “Customer wants a refund" in profile
    team = text(ben.get("/recognition/team"))
    assert "Billing team A" in team and "Ana Alvarez" in team
    badges = text(chloe.get("/recognition/badges"))
    assert "New badge" in badges and "De-escalation pro" in badges
    assert "Reach level 4 in De-escalation" in badges
    assert "Badges" in text(chloe.get("/"))
    assert "Trusted tipster" in text(dev.get("/recognition/badges"))
