"""The demo as each persona meets the leaders' features: Ben sees his team's coaching and no
nudge; Ana sees her team lead's learning; Dev, who leads the team leads, sees the scorecard
with three leads and the night shift marked as stalled (lti_tool/devlauncher/demo_leaders.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from lti_tool.devlauncher import demo_leaders
from lti_tool.extensions import db
from lti_tool.roles.models import Team
from tests.community.conftest import persona, text
from tests.conftest import demo_site


@pytest.fixture
def launcher(clean_app: Any, tmp_path: Any) -> Iterator[tuple[Any, str]]:
    with demo_site(clean_app.config["DATABASE_URL"], tmp_path) as site:
        yield site.app, site.tool


def test_each_persona_meets_the_leaders_features(launcher: tuple[Any, str]) -> None:
    app, tool = launcher
    with app.app_context():
        ids = {t.name: t.id for t in db.session.scalars(select(Team))}

    ben = persona(tool, "ben")
    home = text(ben.get("/"))
    assert "has gone quiet" not in home and "Leader scorecard" not in home
    page = text(ben.get(f"/paths/team/{ids['Billing team A']}"))
    assert "Coaching given" in page
    assert "1 coaching or shadowing session given by the team and Ben Brooks" in page
    assert "shadowed by Ana Alvarez" in page
    assert "1 course enrolment request to approve" in page  # Ana's, from the catalog demo
    assert "has gone quiet" not in page

    ana = persona(tool, "ana")
    assert "see Ben Brooks's path" in text(ana.get("/"))

    dev = persona(tool, "dev")
    assert "Open the leader scorecard" in text(dev.get("/"))
    card = text(dev.get("/leaders/scorecard"))
    for lead in ("Ben Brooks", "Lucas Moreau", "Priya Patel"):
        assert lead in card
    assert f"{demo_leaders.NIGHT_TEAM}: learning stalled" in card
    assert "Lucas Moreau Escalations 3 2 1 of 2 decided" in card
    assert "Lucas Moreau Escalations 3 3" in text(dev.get("/leaders/scorecard?period=90"))
    night = text(dev.get(f"/paths/team/{ids[demo_leaders.NIGHT_TEAM]}"))
    assert (
        "Learning in this team has gone quiet" in night and "Priya Patel sees a reminder" in night
    )
    assert persona(tool, "ana").get("/leaders/scorecard").status_code == 403
