"""Plain-row loading for pages that evaluate many paths at once (the team page, suggestions).

Loading a thousand PathNode and StepProgress ORM objects costs far more than evaluating them;
these read the same columns as tuples into small frozen objects that rules.evaluate accepts
(it only reads attributes). Queries still go through the session, so the tenant scope applies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from threading import Lock
from typing import Any, TypeVar, cast

from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.paths import rules
from lti_tool.paths.models import (
    PathNode,
    PathVersion,
    SignOffRequest,
    SignOffStatus,
    StepProgress,
    StepState,
)


@dataclass(slots=True)
class NodeRow:
    id: int
    version_id: int
    parent_id: int | None
    position: int
    key: str
    kind: str
    title: str
    rule: str
    min_count: int
    url: str
    format: str
    minutes: int
    due_days: int | None
    required: bool
    skill_ids: list[int] = field(default_factory=list)  # not read when with_skills=False
    is_set: bool = field(init=False)  # a plain attribute: rules.evaluate reads it very often

    def __post_init__(self) -> None:
        self.is_set = self.kind == "set"


@dataclass(frozen=True)
class VersionRow:
    id: int
    path_id: int
    number: int
    rule: str
    min_count: int
    published_at: datetime | None = None


AnyNode = TypeVar("AnyNode", NodeRow, PathNode)

_NODE_COLUMNS = [
    getattr(PathNode, name) for name, f in NodeRow.__dataclass_fields__.items() if f.init
]


def nodes_by_version(
    version_ids: Iterable[int], *where: Any, with_skills: bool = True
) -> dict[int, list[NodeRow]]:
    """Without skills the JSON column is not read (decoding it is most of the cost)."""
    ids = set(version_ids)
    out: dict[int, list[NodeRow]] = {v: [] for v in ids}
    if not ids:
        return out
    columns = _NODE_COLUMNS if with_skills else _NODE_COLUMNS[:-1]
    for row in db.session.execute(
        select(*columns)
        .where(PathNode.version_id.in_(ids), *where)
        .order_by(PathNode.version_id, PathNode.position, PathNode.id)
    ):
        node = NodeRow(*row)
        out[node.version_id].append(node)
    return out


def in_tree_order(nodes: list[AnyNode]) -> list[AnyNode]:
    """A version's nodes as the map lists them: each set's children after it, by position."""
    by_id = {n.id: n for n in nodes}

    def place(n: AnyNode) -> list[tuple[int, int]]:
        trail = []
        seen: AnyNode | None = n
        while seen is not None:
            trail.append((seen.position, seen.id))
            seen = by_id.get(seen.parent_id) if seen.parent_id is not None else None
        return trail[::-1]

    return sorted(nodes, key=place)


def versions(version_ids: Iterable[int]) -> dict[int, VersionRow]:
    ids = set(version_ids)
    if not ids:
        return {}
    return {
        v.id: v
        for v in (
            VersionRow(*row)
            for row in db.session.execute(
                select(
                    PathVersion.id,
                    PathVersion.path_id,
                    PathVersion.number,
                    PathVersion.rule,
                    PathVersion.min_count,
                    PathVersion.published_at,
                ).where(PathVersion.id.in_(ids))
            )
        )
    }


def states(assignment_ids: Iterable[int]) -> dict[int, dict[str, StepState]]:
    ids = list(set(assignment_ids))
    out: dict[int, dict[str, StepState]] = {}
    if not ids:
        return out
    for aid, key, state in db.session.execute(
        select(StepProgress.assignment_id, StepProgress.step_key, StepProgress.state).where(
            StepProgress.assignment_id.in_(ids)
        )
    ):
        out.setdefault(aid, {})[key] = StepState(state)
    return out


@dataclass(frozen=True, slots=True)
class StepNode:
    """Every column of a PathNode, read as a plain row: what My path and the step pages read of
    a published version's nodes, kept per process (see ``published_nodes``). Never written to."""

    id: int
    registration_id: int
    version_id: int
    parent_id: int | None
    position: int
    key: str
    kind: str
    title: str
    rule: str
    min_count: int
    why: str
    url: str
    format: str
    minutes: int
    due_days: int | None
    required: bool
    self_report: bool
    skill_ids: list[int]
    checklist: list[str]
    is_set: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "is_set", self.kind == "set")
        object.__setattr__(self, "skill_ids", list(self.skill_ids or []))
        object.__setattr__(self, "checklist", list(self.checklist or []))


_STEP_NODE_COLUMNS = [
    getattr(PathNode, name) for name, f in StepNode.__dataclass_fields__.items() if f.init
]
_NODES: dict[tuple[int, datetime], list[StepNode]] = {}
_NODES_MAX = 2048
_store_lock = Lock()


def _keep(store: dict[Any, Any], fresh: dict[Any, Any], limit: int) -> None:
    """Add to a per-process store of published versions; a full store starts again."""
    with _store_lock:
        if len(store) + len(fresh) > limit:
            store.clear()
        store.update(fresh)


def published_nodes(versions: dict[int, datetime | None]) -> dict[int, list[PathNode]]:
    """The nodes of each version (id: the moment it was published, None for a draft) as plain
    rows, in position order; those of published versions (which never change) kept per
    process, keyed by the version and the moment it was published."""
    out: dict[int, list[StepNode]] = {}
    missing: dict[int, datetime | None] = {}
    for vid, published_at in versions.items():
        hit = _NODES.get((vid, published_at)) if published_at is not None else None
        if hit is None:
            missing[vid] = published_at
            out[vid] = []
        else:
            out[vid] = hit
    if missing:
        for row in db.session.execute(
            select(*_STEP_NODE_COLUMNS)
            .where(PathNode.version_id.in_(missing))
            .order_by(PathNode.version_id, PathNode.position, PathNode.id)
        ):
            node = StepNode(*row)
            out[node.version_id].append(node)
        fresh = {(vid, at): out[vid] for vid, at in missing.items() if at is not None}
        if fresh:
            _keep(_NODES, fresh, _NODES_MAX)
    return cast(dict[int, list[PathNode]], out)


def forget_published() -> None:
    """Drop what is kept of published versions: only for a published version's rows edited in
    place outside Wayfinder (a repair in the database, a test's shortcut)."""
    with _store_lock:
        _NODES.clear()
        _COMPILED.clear()


DONE_STATES = tuple(s.value for s in StepState if s.done)


def done_keys(assignment_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """The keys of each assignment's completed or waived steps: all that percent complete, done
    and overdue need (steps in progress count as not done), in fewer rows than ``states``."""
    ids = list(set(assignment_ids))
    if not ids:
        return {}
    found: dict[int, list[str]] = {}
    for aid, key in db.session.execute(
        select(StepProgress.assignment_id, StepProgress.step_key).where(
            StepProgress.assignment_id.in_(ids), StepProgress.state.in_(DONE_STATES)
        )
    ):
        found.setdefault(aid, []).append(key)
    return {aid: frozenset(keys) for aid, keys in found.items()}


@dataclass(frozen=True, slots=True)
class Compiled:
    """What the team page needs of one version: its tally, and its dated steps as
    (days after assignment, key), soonest first."""

    tally: rules.Tally
    dated: tuple[tuple[timedelta, str], ...]


# Published versions never change (a new draft gets a new version row), so what is compiled from
# them is kept per process, keyed by the version and the moment it was published (a row id that
# a database could reuse after a delete would come back with another moment). Drafts are never
# kept. Bounded: cleared when full, which costs one reload.
_COMPILED: dict[tuple[int, datetime], Compiled] = {}
_COMPILED_MAX = 4096


def compiled(versions: dict[int, VersionRow]) -> dict[int, Compiled]:
    out: dict[int, Compiled] = {}
    missing = []
    for vid, v in versions.items():
        hit = _COMPILED.get((vid, v.published_at)) if v.published_at is not None else None
        if hit is None:
            missing.append(vid)
        else:
            out[vid] = hit
    if missing:
        nodes = nodes_by_version(missing, with_skills=False)
        fresh = {}
        for vid in missing:
            v = versions[vid]
            root = rules.build_tree(as_version(v), as_nodes(nodes[vid]))
            dated = sorted(
                (timedelta(days=n.due_days), n.key)
                for n in nodes[vid]
                if n.due_days is not None and not n.is_set
            )
            out[vid] = Compiled(rules.compile_tally(root), tuple(dated))
            if v.published_at is not None:
                fresh[(vid, v.published_at)] = out[vid]
        if fresh:
            _keep(_COMPILED, fresh, _COMPILED_MAX)
    return out


def pending_signoffs(assignment_ids: Iterable[int]) -> dict[int, int]:
    ids = list(set(assignment_ids))
    if not ids:
        return {}
    return {
        aid: count
        for aid, count in db.session.execute(
            select(SignOffRequest.assignment_id, func.count())
            .where(
                SignOffRequest.assignment_id.in_(ids),
                SignOffRequest.status == SignOffStatus.PENDING.value,
            )
            .group_by(SignOffRequest.assignment_id)
        )
    }


def as_nodes(rows: list[NodeRow]) -> list[PathNode]:
    """For rules.evaluate, which reads only the attributes NodeRow has."""
    return cast(list[PathNode], rows)


def as_version(row: VersionRow) -> PathVersion:
    return cast(PathVersion, row)
