"""The team page's compiled tally gives the same percent complete and done as the full
evaluation, over random trees of every rule and random step states."""

from __future__ import annotations

import random
from datetime import datetime

from lti_tool.paths import rules
from lti_tool.paths.models import Rule, StepState
from lti_tool.paths.rows import NodeRow, VersionRow, as_nodes, as_version

RULES = [r.value for r in Rule]


def random_version(r: random.Random, vid: int) -> tuple[VersionRow, list[NodeRow]]:
    nodes: list[NodeRow] = []
    ids = iter(range(1, 10_000))

    def add(parent: int | None, depth: int) -> None:
        for position in range(r.randint(0, 5)):
            is_set = depth < 3 and r.random() < 0.35
            nid = next(ids)
            nodes.append(
                NodeRow(
                    id=nid,
                    version_id=vid,
                    parent_id=parent,
                    position=position,
                    key=f"k{nid}",
                    kind="set" if is_set else "link",
                    title=f"n{nid}",
                    rule=r.choice(RULES),
                    min_count=r.randint(0, 4),
                    url="",
                    format="reading",
                    minutes=5,
                    due_days=None,
                    required=r.random() < 0.7,
                )
            )
            if is_set:
                add(nid, depth + 1)

    add(None, 0)
    version = VersionRow(vid, 1, 1, r.choice(RULES), r.randint(0, 3), datetime(2026, 1, 1))
    return version, nodes


def test_tally_matches_evaluate_on_random_trees_and_states() -> None:
    r = random.Random(20261203)
    now = datetime(2026, 12, 3)
    checked = 0
    for vid in range(300):
        version, nodes = random_version(r, vid)
        tally = rules.compile_tally(rules.build_tree(as_version(version), as_nodes(nodes)))
        steps = [n.key for n in nodes if not n.is_set]
        for _ in range(10):
            states = {k: r.choice(list(StepState)) for k in steps if r.random() < 0.6}
            view = rules.evaluate(as_version(version), as_nodes(nodes), states, now, now)
            done = {k for k, s in states.items() if s.done}
            assert rules.tally(tally, done) == (view.percent, view.done), (vid, states)
            checked += 1
    assert checked == 3000


def test_tally_of_an_empty_version_is_done() -> None:
    version = VersionRow(1, 1, 1, Rule.IN_ORDER.value, 0, None)
    root = rules.build_tree(as_version(version), [])
    assert rules.tally(rules.compile_tally(root), set()) == (100, True)


def _node(
    nid: int, parent: int | None, position: int, kind: str, rule: str = "in_order"
) -> NodeRow:
    return NodeRow(
        id=nid,
        version_id=1,
        parent_id=parent,
        position=position,
        key=f"k{nid}",
        kind=kind,
        title=f"n{nid}",
        rule=rule,
        min_count=0,
        url="",
        format="reading",
        minutes=5,
        due_days=None,
        required=True,
    )


def test_a_locked_step_names_what_it_waits_for_at_the_level_that_locks_it() -> None:
    """Path in order: set A (any order: steps 2, 3), then set B (any order: steps 5, 6). Step 6
    waits for set A, not for step 5 beside it (its own set is in any order)."""
    version = VersionRow(1, 1, 1, Rule.IN_ORDER.value, 0, None)
    nodes = [
        _node(1, None, 0, "set", "any_order"),
        _node(2, 1, 0, "link"),
        _node(3, 1, 1, "link"),
        _node(4, None, 1, "set", "any_order"),
        _node(5, 4, 0, "link"),
        _node(6, 4, 1, "link"),
    ]
    now = datetime(2026, 12, 4)
    view = rules.evaluate(as_version(version), as_nodes(nodes), {}, now, now)
    by_key = {i.key: i for i in view.root.walk()}
    assert by_key["k6"].locked and by_key["k6"].blocker is by_key["k1"]
    assert by_key["k2"].blocker is None and by_key["k3"].blocker is None  # open
    # Set A done: everything opens, nothing blocks.
    done = {"k2": StepState.COMPLETED, "k3": StepState.COMPLETED}
    view = rules.evaluate(as_version(version), as_nodes(nodes), done, now, now)
    assert not any(i.locked or i.blocker for i in view.root.walk())
    # Inside an in-order set, the step before it is what it waits for.
    nodes[3] = _node(4, None, 1, "set", "in_order")
    view = rules.evaluate(as_version(version), as_nodes(nodes), done, now, now)
    by_key = {i.key: i for i in view.root.walk()}
    assert by_key["k6"].blocker is by_key["k5"] and by_key["k5"].blocker is None
