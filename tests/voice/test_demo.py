"""The demo data through the development launcher: each persona sees the learners' voice."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.voice.models import PulseSurvey, Suggestion
from tests.community.conftest import persona, text


def test_demo_personas_see_suggestions_and_pulses(launcher: tuple[Any, str]) -> None:
    app, tool = launcher
    with app.app_context():
        statuses = dict(
            db.session.execute(
                select(Suggestion.status, func.count()).group_by(Suggestion.status)
            ).all()
        )
        surveys = {s.id: s for s in db.session.scalars(select(PulseSurvey))}
    assert set(statuses) == {"open", "answered", "planned", "closed"}
    ana, chloe = persona(tool, "ana"), persona(tool, "chloe")
    home = text(ana.get("/"))
    assert "A quick survey for you" in home and "Learning pulse, Tier 1 agents" in home
    mine = text(ana.get("/voice/mine"))
    assert "Handling billing disputes in Spanish" in mine and "Spanish billing phrasebook" in mine
    assert "Chloe Chen planned a training you suggested" in text(
        ana.get("/community/notifications")
    )
    listed = text(ana.get("/voice/"))
    assert listed.index("Fraud red flags") < listed.index("Coaching conversations")
    closed = [s for s in surveys.values() if s.title.startswith("Learning pulse")]
    first = min(closed, key=lambda s: s.opens_on)
    results = chloe.get(f"/voice/pulse/{first.id}/results")
    page = text(results)
    assert "Answers 12" in page and 'id="pulse-averages"' in results.text
    assert "in random order and without dates" in page
    night = next(s for s in surveys.values() if s.title == "Night shift pulse")
    assert "results are hidden to keep answers anonymous" in text(
        chloe.get(f"/voice/pulse/{night.id}/results")
    )
    early = next(s for s in surveys.values() if s.title == "New shift pattern pulse")
    assert early.closed_early_at is not None
    page = text(chloe.get(f"/voice/pulse/{early.id}/results"))
    assert "closed early" in page and "Answers 6" in page and "Average per statement" in page
    assert "New shift pattern pulse" not in home
    compare = text(chloe.get(f"/voice/pulse/{first.id}/compare"))
    assert "Every run of" in compare and "hidden" in compare
    assert "Training suggestions and pulse surveys" in text(chloe.get("/"))
