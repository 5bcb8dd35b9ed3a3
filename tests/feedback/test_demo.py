"""The demo as each persona sees feedback: Ana's session waiting for her rating, Chloe's
Feedback page with a trend and a lowest-rated list, feedback scores on the dashboards."""

from __future__ import annotations

import re
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
    # Her suggestions weigh what Tier 1 agents rated: the elective they liked comes before the
    # one they rated lower, and says so.
    ideas = words.split("What to learn next", 1)[1].split("Your learning path", 1)[0]
    liked = re.search(
        r"Returns and refunds .*?rated (4\.\d|5) of 5 by \d+ people in your role", ideas
    )
    assert liked, ideas
    assert "Billing and invoices" not in ideas or ideas.index("Returns") < ideas.index("Billing")

    page = chloe.get("/feedback/")
    assert page.status_code == 200
    words = text(page)
    assert 'id="chart-feedback-trend"' in page.text and "<polyline" in page.text
    assert "Rated lowest" in words
    lowest = words.split("Rated lowest", 1)[1].split("Every rated item", 1)[0]
    # CRM shortcuts (catalog) and the CRM tour (step) are the demo's weak spots: first, and
    # the list goes up from there.
    entries = re.split(r" ★ from \d+ ratings", lowest)[:-1]
    assert len(entries) == 10, lowest
    weak = ("CRM shortcuts", "Tour of the CRM and ticketing tools")
    assert sorted(next(t for t in weak if t in e) for e in entries[:2]) == sorted(weak)
    averages = [float(e.rsplit(": ", 1)[1]) for e in entries]
    assert averages == sorted(averages)
    assert "De-escalation: bring me your hardest calls" in words
    assert "Empathy on the phone" in words
    board = chloe.get("/insights/")
    assert "Feedback scores" in text(board) and 'id="chart-feedback"' in board.text
