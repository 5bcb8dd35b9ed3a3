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
