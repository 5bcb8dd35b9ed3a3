"""The demo as each persona sees feedback: Ana's session waiting for her rating, Chloe's
Feedback page with a trend and a lowest-rated list, feedback scores on the dashboards."""

from __future__ import annotations

from typing import Any

from tests.community.conftest import persona, text


def test_demo_personas_see_feedback(launcher: tuple[Any, str]) -> None:
    _app, tool = launcher
    ana, chloe = persona(tool, "ana"), persona(tool, "chloe")
    home = ana.get("/")
    words = text(home)
    assert "Waiting for your rating" in words
    assert words.count("Not now") == 1  # one recent completion: her session with Sam
    assert "Rate “Shadow me on billing calls”" in words

    page = chloe.get("/feedback/")
    assert page.status_code == 200
    words = text(page)
    assert 'id="chart-feedback-trend"' in page.text and "<polyline" in page.text
    assert "Rated lowest" in words
    lowest = words.split("Rated lowest", 1)[1].split("Every rated item", 1)[0]
    # CRM shortcuts (catalog) and the CRM tour (step) are the demo's weak spots.
    assert (
        lowest.index("CRM shortcuts")
        < lowest.index("Tour of the CRM and ticketing tools")
        < lowest.index("Empathy on the phone")
    )
    assert "De-escalation: bring me your hardest calls" in words
    assert "Empathy on the phone" in words
    board = chloe.get("/insights/")
    assert "Feedback scores" in text(board) and 'id="chart-feedback"' in board.text
