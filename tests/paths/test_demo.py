"""The demo's suggestions as its people see them on their home page."""

from __future__ import annotations

import re
from typing import Any

from tests.community.conftest import launcher, persona, text

__all__ = ["launcher"]  # the fixture, imported for this module's tests


def ideas(words: str) -> str:
    return words.split("What to learn next, and why", 1)[1].split("Your learning path", 1)[0]


def test_sam_the_senior_agent_is_not_offered_the_tier_1_onboarding(
    launcher: tuple[Any, str],
) -> None:
    """Nobody has rated Sam yet. His role needs level 4 in the skills the Tier 1 path builds to
    level 3 or 2: those are beginners' steps for him. What the team leads' path builds to 4 is
    above what his role needs, so it is worth his time, and says why."""
    _app, tool = launcher
    home = ideas(text(persona(tool, "sam").get("/")))
    assert "Tier 1 agent: your first 90 days" not in home, home
    assert "Welcome to the contact center" not in home
    assert (
        "Coaching conversations that stick (opens in a new tab) "
        "Senior agent (your role) needs Coaching at level 2."
    ) in home, home


def test_staff_lists_tell_a_person_without_a_name_apart(launcher: tuple[Any, str]) -> None:
    """Sam's LMS shares no name or email. Where Ben, his team lead, picks or reviews people, Sam
    is "Colleague (LMS user sam)", never a bare "Colleague" that two such people would share."""
    _app, tool = launcher
    ben = persona(tool, "ben")
    sam = "Colleague (LMS user sam)"
    assert sam in text(ben.get("/paths/signoffs"))
    team = ben.get("/paths/team")  # his team's page
    words = text(ben.follow(team) if team.status_code == 303 else team)
    assert sam in words
    assert f"{sam} shadowed by Ana Alvarez" in words  # the coaching the team gave
    assign = ben.get("/paths/manage")  # a team lead picks a path to assign
    found = re.search(r'href="(/paths/assign/\d+)', assign.text)
    assert found, assign.text[:2000]
    assert sam in text(ben.get(found.group(1)))
