"""Fit scores and their reasons, from gaps against role and career-goal targets."""

from __future__ import annotations

from lti_tool.catalog.fit import PEER_WEIGHT, Gap, Peers, explain, score

ROLE = Gap(1, "Empathy", 3, "Tier 1 agent", from_goal=False)
GOAL = Gap(2, "De-escalation", 4, "Senior agent", from_goal=True)


def test_the_reason_names_the_skill_the_role_and_the_level() -> None:
    fit = explain([(2, "De-escalation")], 3, [ROLE, GOAL])
    assert fit.reason == "Builds De-escalation, which Senior agent (your goal) needs at 4."
    assert fit.matches
    fit = explain([(1, "Empathy"), (2, "De-escalation")], 2, [ROLE, GOAL])
    assert fit.reason.startswith("Builds De-escalation") and "also Empathy" in fit.reason


def test_items_for_bigger_gaps_and_the_right_level_score_higher() -> None:
    gaps = [ROLE, GOAL]
    assert score([(2, "De-escalation")], 3, gaps) > score([(1, "Empathy")], 3, gaps)
    assert score([(2, "De-escalation")], 4, gaps) > score([(2, "De-escalation")], 5, gaps)
    assert score([(2, "De-escalation")], None, gaps) < score([(2, "De-escalation")], 4, gaps)
    assert score([], 2, gaps) == 0
    known = Gap(2, "De-escalation", 4, "Senior agent", True, current=4)
    assert score([(2, "De-escalation")], 3, [known]) == 0  # no gap left


def test_every_result_gets_an_honest_line() -> None:
    assert "not among your role's or goal's targets" in explain([(9, "Sales")], 2, [ROLE]).reason
    assert "Not tagged with skills yet" in explain([], None, [ROLE]).reason
    assert "Choose a job role or career goal" in explain([(9, "Sales")], 2, []).reason
    assert "above that target" in explain([(1, "Empathy")], 5, [ROLE]).reason


def test_a_rated_gap_says_where_the_person_is() -> None:
    rated = Gap(2, "De-escalation", 4, "Senior agent", True, current=2)
    fit = explain([(2, "De-escalation")], 3, [rated])
    assert fit.reason == "Builds De-escalation: you are at 2, Senior agent (your goal) needs 4."
    own = Gap(1, "Empathy", 3, "Tier 1 agent", False, current=1)
    assert explain([(1, "Empathy")], 2, [own]).reason.startswith(
        "Builds Empathy: you are at 1, your role (Tier 1 agent) needs 3"
    )
    # A format the person prefers adds to the score and says so.
    assert score([(1, "Empathy")], 2, [own], ("video",), "video") > score(
        [(1, "Empathy")], 2, [own], ("video",), "course"
    )
    assert (
        "A format you prefer (video)"
        in explain([(1, "Empathy")], 2, [own], formats=("video",), item_format="video").reason
    )


def test_what_people_in_the_role_rated_adds_or_takes_away_and_is_said() -> None:
    liked, disliked = Peers(4.66, 12), Peers(1.5, 4)
    plain = score([(2, "De-escalation")], 3, [GOAL])
    assert score([(2, "De-escalation")], 3, [GOAL], peers=liked) > plain
    assert score([(2, "De-escalation")], 3, [GOAL], peers=disliked) < plain
    assert score([(2, "De-escalation")], 3, [GOAL], peers=Peers(3.0, 5)) == plain
    assert score([], None, [], peers=Peers(5.0, 3)) == PEER_WEIGHT
    fit = explain([(2, "De-escalation")], 3, [GOAL], peers=liked)
    assert fit.reason == (
        "Builds De-escalation, which Senior agent (your goal) needs at 4. "
        "Rated 4.7 of 5 by 12 people in your role."
    )
    assert fit.matches  # the peers never make an item match a target it does not build
    assert not explain([(9, "Sales")], 2, [ROLE], peers=liked).matches
    assert explain([], None, [ROLE], peers=Peers(3.0, 3)).reason.endswith(
        "Rated 3.0 of 5 by 3 people in your role."
    )
