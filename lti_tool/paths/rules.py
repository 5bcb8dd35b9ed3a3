"""The rules of a path, as pure functions over a version's tree and a learner's step states.

- A set is done "all in order" or "all in any order" when every *required* child is done
  (electives never block), and "at least N" when N children (any) are done.
- In an in-order set a child is locked until the required children before it are done; a lock
  applies to everything inside a locked set. Sets whose rule is already met lock nothing.
- Percent complete is computed down the tree: a step counts 1 when completed or waived; an
  "all" set is the mean of its required children (of all children when none is required); an
  "at least N" set the sum of its N best children divided by N.
- What comes next: the open (unlocked, not done) required step whose set still needs it, with
  the earliest due date, else the first in tree order; electives only when nothing else is open.
- A step is overdue once its due date (assignment date + due offset in days) has passed and it
  is not done; due soon within DUE_SOON_DAYS.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lti_tool.i18n import _, date_text
from lti_tool.paths.models import PathNode, PathVersion, Rule, StepKind, StepState

DUE_SOON_DAYS = 7


@dataclass
class Item:
    """A node of the tree with the learner's state worked out."""

    node: PathNode | None  # None for the root (the version itself)
    rule: Rule
    min_count: int
    children: list[Item] = field(default_factory=list)
    parent: Item | None = None
    state: StepState = StepState.NOT_STARTED
    locked: bool = False
    done: bool = False
    fraction: float = 0.0
    due_at: datetime | None = None
    overdue: bool = False
    due_soon: bool = False
    needed: bool = True  # False once the enclosing set's rule is met without it

    @property
    def is_set(self) -> bool:
        return self.node is None or self.node.is_set

    @property
    def key(self) -> str:
        return self.node.key if self.node is not None else ""

    @property
    def title(self) -> str:
        return self.node.title if self.node is not None else ""

    @property
    def required(self) -> bool:
        return self.node is None or self.node.is_set or self.node.required

    @property
    def blocker(self) -> Item | None:
        """Why a locked item is locked: the first required item not done before it (or before
        the set holding it, the nearest such set up the tree) in an in-order set."""
        if not self.locked:
            return None
        current = self
        while current.parent is not None:
            parent = current.parent
            if parent.rule is Rule.IN_ORDER:
                for sibling in parent.children:
                    if sibling is current:
                        break
                    if sibling.required and not sibling.done:
                        return sibling
            current = parent
        return None

    @property
    def kind(self) -> StepKind | None:
        return StepKind(self.node.kind) if self.node is not None and not self.is_set else None

    @property
    def steps_done(self) -> int:
        return sum(1 for s in self.steps() if s.done)

    @property
    def steps_total(self) -> int:
        return sum(1 for _step in self.steps())

    def steps(self) -> Iterator[Item]:
        for child in self.children:
            if child.is_set:
                yield from child.steps()
            else:
                yield child

    def walk(self) -> Iterator[Item]:
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def rule_text(self) -> str:
        if self.rule is Rule.AT_LEAST:
            return _(
                "at least %(need)s of %(count)s", need=self.min_count, count=len(self.children)
            )
        return self.rule.label


@dataclass
class PathView:
    root: Item
    percent: int
    next_step: Item | None
    next_reason: str
    due_soon: list[Item]
    by_key: dict[str, Item]

    @property
    def done(self) -> bool:
        return self.root.done


def build_tree(version: PathVersion, nodes: Iterable[PathNode]) -> Item:
    root = Item(None, Rule(version.rule), version.min_count)
    items: dict[int, Item] = {}
    ordered = sorted(nodes, key=lambda n: (n.position, n.id or 0))
    for node in ordered:
        items[node.id] = Item(
            node, Rule(node.rule) if node.is_set else Rule.ANY_ORDER, node.min_count
        )
    for node in ordered:
        parent = items.get(node.parent_id) if node.parent_id is not None else root
        if parent is None:
            continue  # an orphan (its set was deleted in this draft): not shown
        item = items[node.id]
        item.parent = parent
        parent.children.append(item)
    return root


def _needed_count(item: Item) -> int:
    if item.rule is Rule.AT_LEAST:
        return max(1, min(item.min_count, len(item.children))) if item.children else 0
    return (
        sum(1 for c in item.children if c.required) if any(c.required for c in item.children) else 0
    )


def _resolve(item: Item, states: dict[str, StepState], locked: bool) -> None:
    item.locked = locked
    if not item.is_set:
        item.state = states.get(item.key, StepState.NOT_STARTED)
        item.done = item.state.done
        item.fraction = 1.0 if item.done else 0.0
        return
    blocked = locked
    for child in item.children:
        _resolve(child, states, blocked)
        if item.rule is Rule.IN_ORDER and child.required and not child.done:
            blocked = True
    if item.rule is Rule.AT_LEAST:
        need = _needed_count(item)
        done = sum(1 for c in item.children if c.done)
        item.done = done >= need
        best = sorted((c.fraction for c in item.children), reverse=True)[:need]
        item.fraction = (sum(best) / need) if need else 1.0
    else:
        counted = [c for c in item.children if c.required] or item.children
        item.done = all(c.done for c in item.children if c.required)
        item.fraction = (sum(c.fraction for c in counted) / len(counted)) if counted else 1.0
    if item.rule is Rule.IN_ORDER and item.done:
        # The set's rule is met: electives left in it are open, whatever their place.
        for child in item.children:
            if child.locked and not locked:
                _unlock(child)
    if item.done:
        for child in item.children:
            if not child.done:
                _not_needed(child)


def _unlock(item: Item) -> None:
    for inner in item.walk():
        inner.locked = False


def _not_needed(item: Item) -> None:
    for inner in item.walk():
        inner.needed = False


def evaluate(
    version: PathVersion,
    nodes: Iterable[PathNode],
    states: dict[str, StepState],
    assigned_at: datetime,
    now: datetime,
) -> PathView:
    root = build_tree(version, nodes)
    _resolve(root, states, False)
    by_key: dict[str, Item] = {}
    soon_limit = now + timedelta(days=DUE_SOON_DAYS)
    due: list[Item] = []
    for step in root.steps():
        by_key[step.key] = step
        assert step.node is not None
        if step.node.due_days is not None:
            step.due_at = assigned_at + timedelta(days=step.node.due_days)
            if not step.done:
                step.overdue = step.due_at < now
                step.due_soon = step.overdue or step.due_at <= soon_limit
                if step.due_soon:
                    due.append(step)
    for item in root.walk():
        if item.is_set and item.node is not None:
            by_key[item.key] = item
    due.sort(key=lambda s: s.due_at or now)
    next_step, reason = _next(root)
    return PathView(root, int(root.fraction * 100 + 1e-9), next_step, reason, due, by_key)


def _next(root: Item) -> tuple[Item | None, str]:
    open_steps = [s for s in root.steps() if not s.done and not s.locked]
    required = [s for s in open_steps if s.needed and s.node is not None and s.node.required]
    pool = required or [s for s in open_steps if s.needed] or open_steps
    if not pool:
        return None, ""
    dated = [s for s in pool if s.due_at is not None]
    step = min(dated, key=lambda s: s.due_at or datetime.max) if dated else pool[0]
    return step, reason_for(step, bool(required))


def reason_for(step: Item, required: bool) -> str:
    parent = step.parent
    in_set = parent is not None and parent.node is not None
    title = parent.title if parent is not None else ""
    if step.overdue:
        return _(
            "It was due %(date)s: the most overdue step you can do now.",
            date=date_text(step.due_at, "dd MMM"),
        )
    if not required:
        if in_set:
            return _(
                "Every required step you can do now is done; this elective in “%(set)s” is open.",
                set=title,
            )
        return _("Every required step you can do now is done; this elective in your path is open.")
    in_order = parent is not None and parent.rule is Rule.IN_ORDER
    if step.due_at is None:
        if in_order:
            if in_set:
                return _("It is the next step of “%(set)s”, which is done in order.", set=title)
            return _("It is the next step of your path, which is done in order.")
        if in_set:
            return _("It is a required step of “%(set)s”.", set=title)
        return _("It is a required step of your path.")
    due = date_text(step.due_at, "dd MMM")
    if in_order:
        if in_set:
            return _(
                "It is the next step of “%(set)s”, which is done in order and due %(date)s, "
                "the soonest of what is open.",
                set=title,
                date=due,
            )
        return _(
            "It is the next step of your path, which is done in order and due %(date)s, "
            "the soonest of what is open.",
            date=due,
        )
    if in_set:
        return _(
            "It is a required step of “%(set)s” and due %(date)s, the soonest of what is open.",
            set=title,
            date=due,
        )
    return _(
        "It is a required step of your path and due %(date)s, the soonest of what is open.",
        date=due,
    )


def resolve_again(
    root: Item, states: dict[str, StepState], items: list[Item] | None = None
) -> tuple[int, bool]:
    """Percent complete and done, as ``evaluate`` gives them, for one more learner on a tree
    built once with ``build_tree``: pages that evaluate many learners of one version (the team
    page) skip rebuilding it. ``items``: list(root.walk()), when the caller keeps it. Due dates
    are not worked out here."""
    for item in items if items is not None else root.walk():
        item.needed = True
    _resolve(root, states, False)
    return int(root.fraction * 100 + 1e-9), root.done


@dataclass(frozen=True, slots=True)
class Tally:
    """A set of a published version reduced to what percent complete and done need: pages that
    evaluate many learners (the team page) compile each version once and share it (it is never
    mutated, so threads may share it too). Locks and next steps are not worked out."""

    at_least: bool
    need: int  # "at least N": the N; "all" rules: unused
    children: tuple[Tally | str, ...]  # a set, or a step's key
    required: tuple[bool, ...]
    counted: tuple[int, ...]  # "all" rules: the children whose mean is the set's fraction


def compile_tally(item: Item) -> Tally:
    children = tuple(compile_tally(c) if c.is_set else c.key for c in item.children)
    required = tuple(c.required for c in item.children)
    counted = tuple(i for i, r in enumerate(required) if r) or tuple(range(len(children)))
    return Tally(item.rule is Rule.AT_LEAST, _needed_count(item), children, required, counted)


def _tally(t: Tally, done_keys: frozenset[str] | set[str]) -> tuple[float, bool]:
    fractions: list[float] = []
    dones: list[bool] = []
    for child in t.children:
        if isinstance(child, str):
            d = child in done_keys
            fractions.append(1.0 if d else 0.0)
            dones.append(d)
        else:
            f, d = _tally(child, done_keys)
            fractions.append(f)
            dones.append(d)
    if t.at_least:
        if not t.need:
            return 1.0, True
        best = sorted(fractions, reverse=True)[: t.need]
        return sum(best) / t.need, sum(dones) >= t.need
    done = all(d for d, r in zip(dones, t.required, strict=True) if r)
    if not t.counted:
        return 1.0, done
    return sum(fractions[i] for i in t.counted) / len(t.counted), done


def tally(t: Tally, done_keys: frozenset[str] | set[str]) -> tuple[int, bool]:
    """Percent complete and done, exactly as ``evaluate`` gives them, from the keys of the
    learner's completed or waived steps."""
    fraction, done = _tally(t, done_keys)
    return int(fraction * 100 + 1e-9), done
