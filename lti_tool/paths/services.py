"""Learning paths: authoring, versions, assignment, progress and sign-offs. Plain functions over
the current tenant's session (the request scopes it); they add and flush, the view commits once.

Versions
--------
A path starts as draft version 1. Publishing freezes a version for good; ``start_draft`` copies
the newest published version into a new draft (same node keys) to edit. Learners stay on the
version they were assigned; new assignees get the newest published one; ``move_to_version``
moves people on purpose, their progress carrying over by step key.

Assignment
----------
By job role, automatically: ``on_role_changed`` is registered on
``lti_tool.roles.services.role_changed`` (same transaction; flushes, never commits). The new
role's published paths are assigned; the old role's automatic assignments are withdrawn when
nothing was started, and kept but marked (``outside_role_since``) otherwise. Publishing a path
assigns it to everyone already holding its role. Instructors (anyone) and leaders (their
teams) can also assign by hand.

Evidence
--------
Self-report where the step allows it; a sign-off for shadowing, coaching and check steps (the
learner asks; their team leader, or for checks a QA analyst, signs off or declines with a
note; instructors and administrators decide for people with no team leader); and
``record_lms_completion`` for the LMS adapters. Every change is a PathEvent, and every
progress change goes to the LMS gradebooks where the path is placed (paths/gradebook.py, called
from ``_refresh_completion``).
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm.attributes import set_committed_value

from lti_tool.community.services import REPEAT_WINDOW
from lti_tool.extensions import db
from lti_tool.i18n import _
from lti_tool.insights.events import record_event
from lti_tool.insights.models import Verb
from lti_tool.lti.models import utcnow
from lti_tool.numbers import as_id, as_ids, whole_number
from lti_tool.paths import gradebook, rules
from lti_tool.paths import rows as tree
from lti_tool.paths.models import (
    Assignment,
    AssignmentStatus,
    Format,
    Path,
    PathEvent,
    PathNode,
    PathVersion,
    Rule,
    SignOffRequest,
    SignOffStatus,
    StepKind,
    StepProgress,
    StepState,
    VersionStatus,
)
from lti_tool.people.models import Person
from lti_tool.roles import services as roles
from lti_tool.roles.models import JobRole, PersonRole, Skill, Team, TeamMember
from lti_tool.web_address import is_web_address

TITLE_MAX = 160
STEP_TITLE_MAX = 200
TEXT_MAX = 4000
NOTE_MAX = 2000
MINUTES_MAX = 10_000
DUE_DAYS_MAX = 3650
QA_ROLE_NAMES = ("qa analyst",)
CHECKLIST_MAX = 30


# Called with the Assignment when a person completes a path (same transaction; a hook flushes,
# never commits). Recognition awards its path badges here.
path_completed: list[Callable[[Assignment], None]] = []


class NotFound(LookupError):
    pass


class Forbidden(PermissionError):
    pass


class Refused(ValueError):
    """An action the rules do not allow now; the message says why, in plain words."""


class AlreadyCreated(Exception):
    """The same person created this same path moments ago (a second click, or the form sent
    again from the browser's history): the path they made, rather than a copy."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            _(
                "You created “%(title)s” a moment ago: here it is, not a second copy.",
                title=path.title,
            )
        )
        self.path = path


@dataclass(frozen=True)
class Actor:
    name: str
    person_id: int | None = None
    is_staff: bool = False  # instructor or administrator


# --- events ---------------------------------------------------------------------------------


def record(
    action: str,
    actor: Actor,
    *,
    registration_id: int,
    person_id: int | None = None,
    path_id: int | None = None,
    assignment_id: int | None = None,
    step_key: str = "",
    from_value: str = "",
    to_value: str = "",
    detail: str = "",
) -> None:
    db.session.add(
        PathEvent(
            registration_id=registration_id,
            action=action,
            person_id=person_id,
            path_id=path_id,
            assignment_id=assignment_id,
            step_key=step_key,
            from_value=from_value[:60],
            to_value=to_value[:60],
            actor=actor.name[:255],
            actor_person_id=actor.person_id,
            detail=detail[:2000],
        )
    )


def events_of(person_id: int, limit: int = 50) -> list[PathEvent]:
    return list(
        db.session.scalars(
            select(PathEvent)
            .where(PathEvent.person_id == person_id)
            .order_by(PathEvent.created_at.desc(), PathEvent.id.desc())
            .limit(limit)
        )
    )


# --- paths and versions ---------------------------------------------------------------------


def path(pk: int) -> Path:
    row = db.session.get(Path, pk)
    if row is None:
        raise NotFound(pk)
    return row


def draft_of(p: Path) -> PathVersion | None:
    return next((v for v in p.versions if v.is_draft), None)


def newest_published(p: Path) -> PathVersion | None:
    published = [v for v in p.versions if not v.is_draft]
    return published[-1] if published else None


def version(p: Path, number: int) -> PathVersion:
    found = next((v for v in p.versions if v.number == number), None)
    if found is None:
        raise NotFound(number)
    return found


def nodes_of(v: PathVersion) -> list[PathNode]:
    return list(
        db.session.scalars(
            select(PathNode)
            .where(PathNode.version_id == v.id)
            .order_by(PathNode.position, PathNode.id)
        )
    )


def node(v: PathVersion, pk: int) -> PathNode:
    row = db.session.get(PathNode, pk)
    if row is None or row.version_id != v.id:
        raise NotFound(pk)
    return row


@dataclass
class PathRow:
    path: Path
    published: PathVersion | None
    draft: PathVersion | None
    active: int
    completed: int
    by_version: dict[int, int]


def path_rows() -> list[PathRow]:
    """The instructor's list, with assignment and completion counts (two aggregate queries)."""
    paths = list(db.session.scalars(select(Path).order_by(Path.title)))
    counts: dict[int, list[int]] = {}
    by_version: dict[int, dict[int, int]] = {}
    for path_id, number, total, completed in db.session.execute(
        select(
            Assignment.path_id,
            PathVersion.number,
            func.count(Assignment.id),
            func.count(Assignment.completed_at),
        )
        .join(PathVersion, PathVersion.id == Assignment.version_id)
        .where(Assignment.status == AssignmentStatus.ACTIVE.value)
        .group_by(Assignment.path_id, PathVersion.number)
    ):
        row = counts.setdefault(path_id, [0, 0])
        row[0] += total
        row[1] += completed
        by_version.setdefault(path_id, {})[number] = total
    return [
        PathRow(
            p,
            newest_published(p),
            draft_of(p),
            counts.get(p.id, [0, 0])[0],
            counts.get(p.id, [0, 0])[1],
            by_version.get(p.id, {}),
        )
        for p in paths
    ]


@dataclass
class RoleCount:
    role_name: str
    path_title: str
    assigned: int
    completed: int
    started: int

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.assigned) if self.assigned else 0


def counts_by_role() -> list[RoleCount]:
    """Assignment and completion per job role and path (active assignments), one query."""
    rows = db.session.execute(
        select(
            JobRole.name,
            Path.title,
            func.count(Assignment.id),
            func.count(Assignment.completed_at),
            func.count(Assignment.started_at),
        )
        .select_from(Assignment)
        .join(Path, Path.id == Assignment.path_id)
        .outerjoin(JobRole, JobRole.id == Path.role_id)
        .where(Assignment.status == AssignmentStatus.ACTIVE.value)
        .group_by(JobRole.name, Path.id, Path.title)
        .order_by(JobRole.name, Path.title, Path.id)
    )
    return [RoleCount(r or _("(no role)"), t, a, c, s) for r, t, a, c, s in rows]


def _clean_text(value: str) -> str:
    return " ".join(value.split())


def _role_choice(role_id: str, errors: dict[str, str]) -> JobRole | None:
    pk = as_id(role_id)
    found = db.session.get(JobRole, pk) if pk is not None else None
    if found is None:
        errors["role_id"] = _("Choose the job role this path is for.")
    return found


def _rule_choice(
    rule: str, min_count: str, errors: dict[str, str], prefix: str = ""
) -> tuple[Rule, int]:
    try:
        chosen = Rule(rule)
    except ValueError:
        errors[prefix + "rule"] = _("Choose how this set is completed.")
        return Rule.IN_ORDER, 0
    count = 0
    if chosen is Rule.AT_LEAST:
        n = whole_number(min_count)
        if n is None or n < 1:
            errors[prefix + "min_count"] = _("Give N as a whole number, 1 or more.")
        else:
            count = n
    return chosen, count


def _title_key(title: str) -> str:
    return " ".join(title.split()).casefold()


def same_title(
    registration_id: int, title: str, role_id: int | None, other_than: Path | None = None
) -> Path | None:
    """Another path of this tenant with this title (case and spaces aside) for the same job role
    (or, like it, for none). Paths of one title for different roles are fine: each role reads
    its own. Compared here rather than in SQL so that case folds the same on every database."""
    query = select(Path).where(
        Path.registration_id == registration_id,
        Path.role_id.is_(None) if role_id is None else Path.role_id == role_id,
    )
    if other_than is not None:
        query = query.where(Path.id != other_than.id)
    key = _title_key(title)
    return next(
        (p for p in db.session.scalars(query.order_by(Path.id)) if _title_key(p.title) == key),
        None,
    )


def title_taken(registration_id: int, row: Path | None, values: dict[str, str]) -> Path | None:
    """The path a new title (or a new role) would clash with; a path keeping its title and role
    never clashes, so paths made before this check stay editable."""
    title = _clean_text(values.get("title", ""))
    role_id = values.get("role_id", "").strip()
    chosen = as_id(role_id)
    if not title or (
        row is not None and _title_key(row.title) == _title_key(title) and row.role_id == chosen
    ):
        return None
    return same_title(registration_id, title, chosen, other_than=row)


def _created_just_now_by(p: Path, actor: Actor) -> bool:
    if actor.person_id is None:
        return False
    return (
        db.session.scalar(
            select(PathEvent.id)
            .where(
                PathEvent.path_id == p.id,
                PathEvent.action == "path_created",
                PathEvent.actor_person_id == actor.person_id,
                PathEvent.created_at >= utcnow() - REPEAT_WINDOW,
            )
            .limit(1)
        )
        is not None
    )


def save_path(
    registration_id: int,
    row: Path | None,
    values: dict[str, str],
    actor: Actor,
) -> tuple[Path | None, dict[str, str]]:
    """Create a path (with its draft version 1) or change its title, role and description.
    A title already used by another path for the same job role is refused (``title_taken``
    names that path), except that the same form sent again by the person who just created
    that path raises AlreadyCreated."""
    errors: dict[str, str] = {}
    title = _clean_text(values.get("title", ""))
    if not title:
        errors["title"] = _("Give the path a title, for example Tier 1 agent: first 90 days.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Use at most %(max)s characters.", max=TITLE_MAX)
    description = values.get("description", "").strip()
    if len(description) > TEXT_MAX:
        errors["description"] = _("Use at most %(max)s characters.", max=TEXT_MAX)
    chosen = _role_choice(values.get("role_id", ""), errors)
    if "title" not in errors and chosen is not None:
        taken = title_taken(registration_id, row, values)
        if (
            taken is not None
            and row is None
            and not errors
            and taken.title == title
            and taken.description == description
            and _created_just_now_by(taken, actor)
        ):
            raise AlreadyCreated(taken)
        if taken is not None:
            errors["title"] = _(
                "%(role)s has a path of this title already: “%(title)s”. Open it to change it, "
                "or give this one another title.",
                role=chosen.name,
                title=taken.title,
            )
    if errors or chosen is None:
        return None, errors
    if row is None:
        row = Path(registration_id=registration_id, title=title, role_id=chosen.id)
        db.session.add(row)
        db.session.flush()
        db.session.add(PathVersion(registration_id=registration_id, path_id=row.id, number=1))
        record(
            "path_created", actor, registration_id=registration_id, path_id=row.id, to_value=title
        )
    elif row.role_id != chosen.id:
        record(
            "path_role_changed",
            actor,
            registration_id=registration_id,
            path_id=row.id,
            from_value=row.role.name if row.role else "",
            to_value=chosen.name,
        )
    row.title = title
    row.description = description
    row.role_id = chosen.id
    db.session.flush()
    db.session.expire(row, ["versions", "role"])
    return row, {}


def save_root_rule(v: PathVersion, rule: str, min_count: str) -> dict[str, str]:
    _editable(v)
    errors: dict[str, str] = {}
    chosen, count = _rule_choice(rule, min_count, errors)
    if not errors:
        v.rule, v.min_count = chosen.value, count
        db.session.flush()
    return errors


def _editable(v: PathVersion) -> None:
    if not v.is_draft:
        raise Refused(
            _(
                "Version %(number)s is published and never changes. Start a new draft to edit it.",
                number=v.number,
            )
        )


def start_draft(p: Path, actor: Actor) -> PathVersion:
    """The draft to edit: the existing one, or a copy of the newest published version."""
    existing = draft_of(p)
    if existing is not None:
        return existing
    source = newest_published(p)
    number = (p.versions[-1].number + 1) if p.versions else 1
    draft = PathVersion(registration_id=p.registration_id, path_id=p.id, number=number)
    if source is not None:
        draft.rule, draft.min_count = source.rule, source.min_count
    db.session.add(draft)
    db.session.flush()
    if source is not None:
        copies: dict[int, PathNode] = {}
        originals = nodes_of(source)
        for original in sorted(originals, key=lambda n: _depth(n, originals)):
            copy = PathNode(
                registration_id=p.registration_id,
                version_id=draft.id,
                parent_id=copies[original.parent_id].id if original.parent_id else None,
                **{c: getattr(original, c) for c in _COPIED},
            )
            db.session.add(copy)
            db.session.flush()
            copies[original.id] = copy
    record(
        "draft_started",
        actor,
        registration_id=p.registration_id,
        path_id=p.id,
        from_value=f"v{source.number}" if source else "",
        to_value=f"v{number}",
    )
    db.session.expire(p, ["versions"])
    return draft


_COPIED = [
    "position",
    "key",
    "kind",
    "title",
    "rule",
    "min_count",
    "why",
    "url",
    "format",
    "minutes",
    "due_days",
    "required",
    "self_report",
    "skill_ids",
    "checklist",
]


def _depth(n: PathNode, nodes: list[PathNode]) -> int:
    by_id = {x.id: x for x in nodes}
    depth = 0
    while n.parent_id is not None and n.parent_id in by_id:
        depth += 1
        n = by_id[n.parent_id]
    return depth


def _siblings(v: PathVersion, parent_id: int | None) -> list[PathNode]:
    return list(
        db.session.scalars(
            select(PathNode)
            .where(PathNode.version_id == v.id, PathNode.parent_id.is_(None))
            .order_by(PathNode.position, PathNode.id)
            if parent_id is None
            else select(PathNode)
            .where(PathNode.version_id == v.id, PathNode.parent_id == parent_id)
            .order_by(PathNode.position, PathNode.id)
        )
    )


def parent_choices(v: PathVersion, exclude: PathNode | None = None) -> list[tuple[int, str]]:
    """The sets a node can sit in, indented by depth (a set never inside itself)."""
    nodes = nodes_of(v)
    banned: set[int] = set()
    if exclude is not None:
        banned = {n.id for n in _subtree(exclude, nodes)}
    sets = [n for n in nodes if n.is_set and n.id not in banned]
    out: list[tuple[int, str]] = []

    def walk(parent: int | None, depth: int) -> None:
        for s in [x for x in sets if x.parent_id == parent]:
            out.append((s.id, "— " * depth + s.title))
            walk(s.id, depth + 1)

    walk(None, 0)
    return out


def _subtree(root: PathNode, nodes: list[PathNode]) -> list[PathNode]:
    found = [root]
    for n in nodes:
        if n.parent_id is not None and n.parent_id in {f.id for f in found} and n not in found:
            found.extend(_subtree(n, nodes))
    return found


def _parent(v: PathVersion, parent_id: str, errors: dict[str, str]) -> int | None:
    if not parent_id.strip():
        return None
    pk = as_id(parent_id)
    found = db.session.get(PathNode, pk) if pk is not None else None
    if found is None or found.version_id != v.id or not found.is_set:
        errors["parent_id"] = _("Choose one of this path's sets.")
        return None
    return found.id


def save_node(
    v: PathVersion,
    row: PathNode | None,
    is_set: bool,
    values: dict[str, str],
    skill_ids: list[str],
) -> tuple[PathNode | None, dict[str, str]]:
    """Create or edit a set or a step of a draft. Steps always sit in a set."""
    _editable(v)
    errors: dict[str, str] = {}
    title = _clean_text(values.get("title", ""))
    if not title:
        errors["title"] = (
            _("Give the set a title, for example Week 1: the basics.")
            if is_set
            else _("Give the step a title, for example Shadow a senior agent for an hour.")
        )
    elif len(title) > STEP_TITLE_MAX:
        errors["title"] = _("Use at most %(max)s characters.", max=STEP_TITLE_MAX)
    parent_id = _parent(v, values.get("parent_id", ""), errors)
    if not is_set and parent_id is None and "parent_id" not in errors:
        errors["parent_id"] = _("Choose the set this step belongs to (add a set first).")
    if row is not None and parent_id is not None:
        inside = {n.id for n in _subtree(row, nodes_of(v))}
        if parent_id in inside:
            errors["parent_id"] = _("A set cannot sit inside itself.")
    fields: dict[str, object] = {"title": title}
    if is_set:
        chosen, count = _rule_choice(values.get("rule", ""), values.get("min_count", ""), errors)
        fields.update(kind="set", rule=chosen.value, min_count=count)
    else:
        fields.update(_step_fields(values, skill_ids, errors))
    if errors:
        return None, errors
    if row is None:
        row = PathNode(
            registration_id=v.registration_id,
            version_id=v.id,
            key=secrets.token_hex(6),
            position=len(_siblings(v, parent_id)),
        )
        db.session.add(row)
    elif row.parent_id != parent_id:
        row.position = len(_siblings(v, parent_id))
    row.parent_id = parent_id
    for name, value in fields.items():
        setattr(row, name, value)
    db.session.flush()
    return row, {}


def _step_fields(
    values: dict[str, str], skill_ids: list[str], errors: dict[str, str]
) -> dict[str, object]:
    try:
        kind = StepKind(values.get("kind", ""))
    except ValueError:
        errors["kind"] = _("Choose what kind of step this is.")
        kind = StepKind.LINK
    url = values.get("url", "").strip()
    if kind in (StepKind.LMS, StepKind.LINK):
        if not url:
            errors["url"] = _("Give the address to open, starting with https://.")
        elif not is_web_address(url):
            errors["url"] = _("Give a full web address starting with https:// (or http://).")
        elif len(url) > 1000:
            errors["url"] = _("Use at most %(max)s characters.", max=1000)
    elif url and not is_web_address(url):
        errors["url"] = _("Give a full web address starting with https://, or leave it empty.")
    why = values.get("why", "").strip()
    if len(why) > TEXT_MAX:
        errors["why"] = _("Use at most %(max)s characters.", max=TEXT_MAX)
    try:
        fmt = Format(values.get("format", ""))
    except ValueError:
        errors["format"] = _("Choose a format.")
        fmt = Format.READING
    minutes_text = values.get("minutes", "").strip()
    minutes = 0
    if minutes_text:
        typed = whole_number(minutes_text)
        if typed is None or typed > MINUTES_MAX:
            errors["minutes"] = _("Give the minutes as a whole number, for example 30.")
        else:
            minutes = typed
    due_text = values.get("due_days", "").strip()
    due_days: int | None = None
    if due_text:
        typed = whole_number(due_text)
        if typed is None or typed > DUE_DAYS_MAX:
            errors["due_days"] = _(
                "Give the days as a whole number, for example 14, or leave it empty."
            )
        else:
            due_days = typed
    wanted = set(as_ids(skill_ids))
    known = (
        set(db.session.scalars(select(Skill.id).where(Skill.id.in_(wanted)))) if wanted else set()
    )
    if wanted - known:
        errors["skills"] = _("Choose skills from the list.")
    checklist = [" ".join(line.split()) for line in values.get("checklist", "").splitlines()]
    checklist = [line[:200] for line in checklist if line]
    if len(checklist) > CHECKLIST_MAX:
        errors["checklist"] = _("Use at most %(max)s items.", max=CHECKLIST_MAX)
    self_report = values.get("self_report") == "yes"
    if self_report and kind.needs_signoff:
        errors["self_report"] = {
            StepKind.SHADOWING: _(
                "A shadowing session is completed by a sign-off, not a self-report."
            ),
            StepKind.COACHING: _(
                "A coaching session is completed by a sign-off, not a self-report."
            ),
            StepKind.CHECK: _("A check is completed by a sign-off, not a self-report."),
        }[kind]
    return {
        "kind": kind.value,
        "url": url,
        "why": why,
        "format": fmt.value,
        "minutes": minutes,
        "due_days": due_days,
        "required": values.get("required", "yes") != "no",
        "self_report": self_report,
        "skill_ids": sorted(known),
        "checklist": checklist if kind in (StepKind.CHECK, StepKind.SHADOWING) else [],
    }


def delete_node(v: PathVersion, row: PathNode) -> int:
    """Delete a set or step of a draft, with everything inside it. Returns how many went."""
    _editable(v)
    gone = _subtree(row, nodes_of(v))
    parent_id = row.parent_id
    for n in reversed(gone):  # innermost first: each flush deletes one row (no cascade race)
        db.session.delete(n)
        db.session.flush()
    for i, sibling in enumerate(_siblings(v, parent_id)):
        sibling.position = i
    db.session.flush()
    return len(gone)


def move_node(v: PathVersion, row: PathNode, direction: str) -> bool:
    _editable(v)
    siblings = _siblings(v, row.parent_id)
    i = next(i for i, s in enumerate(siblings) if s.id == row.id)
    j = i - 1 if direction == "up" else i + 1
    if j < 0 or j >= len(siblings):
        return False
    siblings[i], siblings[j] = siblings[j], siblings[i]
    for pos, sibling in enumerate(siblings):
        sibling.position = pos
    db.session.flush()
    return True


def problems(v: PathVersion) -> list[str]:
    """What stops a draft from being published, in plain words."""
    nodes = nodes_of(v)
    root = rules.build_tree(v, nodes)
    found: list[str] = []
    if not any(True for _step in root.steps()):
        found.append(_("Add at least one step: a path needs something to do."))
    for item in root.walk():
        if item.is_set and not item.children:
            if item.node is not None:  # an empty path is named by the first sentence above
                found.append(
                    _(
                        "The set “%(set)s” is empty: add a step to it or delete it.",
                        set=item.title,
                    )
                )
        elif item.is_set and item.rule is Rule.AT_LEAST and item.min_count > len(item.children):
            found.append(
                _(
                    "The set “%(set)s” asks for at least %(need)s but holds %(count)s.",
                    set=item.title,
                    need=item.min_count,
                    count=len(item.children),
                )
                if item.node is not None
                else _(
                    "The path's top level asks for at least %(need)s but holds %(count)s.",
                    need=item.min_count,
                    count=len(item.children),
                )
            )
    top_steps = [n for n in nodes if n.parent_id is None and not n.is_set]
    if top_steps:
        found.append(_("Some steps are outside any set: move them into a set."))
    return found


def publish(v: PathVersion, actor: Actor) -> int:
    """Freeze the draft and assign the path to everyone holding its role who lacks it.
    Returns how many were newly assigned."""
    _editable(v)
    issues = problems(v)
    if issues:
        raise Refused(issues[0])
    v.status = VersionStatus.PUBLISHED.value
    v.published_at = utcnow()
    v.published_by = actor.name[:255]
    db.session.flush()
    p = v.path
    record(
        "published",
        actor,
        registration_id=p.registration_id,
        path_id=p.id,
        to_value=f"v{v.number}",
    )
    return assign_role_holders(p, v, actor)


# --- assignment -----------------------------------------------------------------------------


def _active_assignment(person_id: int, path_id: int) -> Assignment | None:
    return db.session.scalar(
        select(Assignment).where(
            Assignment.person_id == person_id,
            Assignment.path_id == path_id,
            Assignment.status == AssignmentStatus.ACTIVE.value,
        )
    )


def assign(
    person_id: int, p: Path, v: PathVersion, actor: Actor, source: str = "role"
) -> Assignment | None:
    """Assign the person to the version unless they already have this path. None if they do."""
    existing = _active_assignment(person_id, p.id)
    if existing is not None:
        if existing.outside_role_since is not None and source == "role":
            existing.outside_role_since = None  # their role is the path's role again
        return None
    row = Assignment(
        registration_id=p.registration_id,
        person_id=person_id,
        path_id=p.id,
        version_id=v.id,
        source=source,
        assigned_by=actor.name[:255],
    )
    db.session.add(row)
    db.session.flush()
    record_event(
        p.registration_id, person_id, Verb.ASSIGNED, "path", p.id, title=p.title, path_id=p.id
    )
    record(
        "assigned",
        actor,
        registration_id=p.registration_id,
        person_id=person_id,
        path_id=p.id,
        assignment_id=row.id,
        to_value=f"v{v.number}",
        detail=source,
    )
    return row


def role_holders(role_id: int) -> list[int]:
    """People whose effective role is role_id (current rows of that role, then precedence)."""
    candidates = set(
        db.session.scalars(
            select(PersonRole.person_id).where(
                PersonRole.role_id == role_id, PersonRole.ended_at.is_(None)
            )
        )
    )
    effective = roles.effective_for(candidates)
    return sorted(pid for pid, a in effective.items() if a.role_id == role_id)


def assign_role_holders(p: Path, v: PathVersion, actor: Actor) -> int:
    if p.role_id is None:
        return 0
    have = set(
        db.session.scalars(
            select(Assignment.person_id).where(
                Assignment.path_id == p.id, Assignment.status == AssignmentStatus.ACTIVE.value
            )
        )
    )
    added = 0
    for pid in role_holders(p.role_id):
        if pid not in have and assign(pid, p, v, actor) is not None:
            added += 1
    return added


def on_role_changed(event: roles.RoleChanged) -> None:
    """The role-changed hook: withdraw or mark the old role's paths, assign the new role's."""
    actor = Actor(f"job role change ({event.source.value if event.source else 'cleared'})")
    now = utcnow()
    if event.old_role_id is not None:
        old = db.session.scalars(
            select(Assignment)
            .join(Path, Path.id == Assignment.path_id)
            .where(
                Assignment.person_id == event.person_id,
                Assignment.status == AssignmentStatus.ACTIVE.value,
                Assignment.source == "role",
                Path.role_id == event.old_role_id,
            )
        )
        for a in old:
            if a.started_at is None:
                a.status = AssignmentStatus.WITHDRAWN.value
                a.ended_at = now
                action, to_value = "withdrawn", "withdrawn"
            else:
                a.outside_role_since = now
                action, to_value = "kept_outside_role", "kept"
            record(
                action,
                actor,
                registration_id=event.registration_id,
                person_id=event.person_id,
                path_id=a.path_id,
                assignment_id=a.id,
                from_value="active",
                to_value=to_value,
                detail="job role changed",
            )
    if event.new_role_id is not None:
        for p in db.session.scalars(select(Path).where(Path.role_id == event.new_role_id)):
            v = newest_published(p)
            if v is not None:
                assign(event.person_id, p, v, actor)
    db.session.flush()


def register_hooks() -> None:
    if on_role_changed not in roles.role_changed:
        roles.role_changed.append(on_role_changed)


def assignable_people(actor: Actor) -> list[Person]:
    """Who this actor may assign by hand: instructors anyone, leaders their teams' members."""
    if actor.is_staff:
        return list(db.session.scalars(select(Person).order_by(Person.name, Person.id)))
    return team_members_of(actor.person_id or 0)


def team_members_of(leader_id: int) -> list[Person]:
    return list(
        db.session.scalars(
            select(Person)
            .join(TeamMember, TeamMember.person_id == Person.id)
            .join(Team, Team.id == TeamMember.team_id)
            .where(Team.leader_id == leader_id, Person.id != leader_id)
            .order_by(Person.name, Person.id)
        )
    )


def assignable_teams(actor: Actor) -> list[Team]:
    if actor.is_staff:
        return roles.teams()
    return roles.teams_led_by(actor.person_id or 0)


def assign_by_hand(
    p: Path, actor: Actor, person_ids: Iterable[int] = (), team_id: int | None = None
) -> tuple[int, int]:
    """Assign the newest published version to people and/or a whole team. Returns (assigned,
    already had it). Refused for people the actor may not assign."""
    v = newest_published(p)
    if v is None:
        raise Refused(_("Publish the path before assigning it."))
    allowed = {x.id for x in assignable_people(actor)}
    wanted = set(person_ids)
    if team_id is not None:
        team = db.session.get(Team, team_id)
        if team is None or team.id not in {t.id for t in assignable_teams(actor)}:
            raise Forbidden(team_id)
        wanted |= {
            m.person_id for m in team.members if m.person_id != team.leader_id or actor.is_staff
        }
    if not wanted:
        raise Refused(_("Choose a person or a team."))
    if wanted - allowed:
        raise Forbidden(sorted(wanted - allowed))
    added = 0
    for pid in sorted(wanted):
        if assign(pid, p, v, actor, source="manual") is not None:
            added += 1
    return added, len(wanted) - added


def move_to_version(
    p: Path, target: PathVersion, actor: Actor, from_number: int | None = None
) -> int:
    """Move everyone on an older published version (or only on ``from_number``) to ``target``.
    Their progress carries over by step key; steps that no longer exist are kept in history."""
    if target.is_draft or target.path_id != p.id:
        raise Refused(_("Move people only to a published version of this path."))
    olds = [v for v in p.versions if not v.is_draft and v.number < target.number]
    if from_number is not None:
        olds = [v for v in olds if v.number == from_number]
    if not olds:
        return 0
    numbers = {v.id: v.number for v in olds}
    moved = 0
    for a in db.session.scalars(
        select(Assignment).where(
            Assignment.path_id == p.id,
            Assignment.status == AssignmentStatus.ACTIVE.value,
            Assignment.version_id.in_(list(numbers)),
        )
    ):
        before = numbers[a.version_id]
        a.version_id = target.id
        record(
            "moved_version",
            actor,
            registration_id=p.registration_id,
            person_id=a.person_id,
            path_id=p.id,
            assignment_id=a.id,
            from_value=f"v{before}",
            to_value=f"v{target.number}",
        )
        moved += 1
    db.session.flush()
    # Their completion may change with the new steps.
    for a in db.session.scalars(
        select(Assignment).where(Assignment.path_id == p.id, Assignment.version_id == target.id)
    ):
        _refresh_completion(a, actor)
    return moved


# --- progress -------------------------------------------------------------------------------


@dataclass
class Learning:
    """One assignment with the learner's state worked out."""

    assignment: Assignment
    view: rules.PathView
    pending: dict[str, SignOffRequest]
    last_decision: dict[str, SignOffRequest]
    progress: dict[str, StepProgress]

    @property
    def path(self) -> Path:
        return self.assignment.path


def learning_of(person_id: int, now: datetime | None = None) -> list[Learning]:
    """A person's active paths, each evaluated: four queries whatever the data size."""
    now = now or utcnow()
    assignments = list(db.session.scalars(_active_assignments_query(), {"person_id": person_id}))
    return evaluate_assignments(assignments, now)


# The statements behind learning_of, built once: the home page and My path ask them on every
# visit (ids as expanding bound parameters).


@functools.cache
def _active_assignments_query() -> Any:
    return (
        select(Assignment)
        .where(
            Assignment.person_id == bindparam("person_id"),
            Assignment.status == AssignmentStatus.ACTIVE.value,
        )
        .order_by(Assignment.assigned_at, Assignment.id)
    )


@functools.cache
def _by_ids_query(model: Any) -> Any:
    return select(model).where(model.id.in_(bindparam("ids", expanding=True)))


@functools.cache
def _progress_query() -> Any:
    return select(StepProgress).where(
        StepProgress.assignment_id.in_(bindparam("ids", expanding=True))
    )


@functools.cache
def _signoffs_query() -> Any:
    return (
        select(SignOffRequest)
        .where(SignOffRequest.assignment_id.in_(bindparam("ids", expanding=True)))
        .order_by(SignOffRequest.requested_at, SignOffRequest.id)
    )


def evaluate_assignments(assignments: list[Assignment], now: datetime) -> list[Learning]:
    if not assignments:
        return []
    ids = [a.id for a in assignments]
    version_ids = list({a.version_id for a in assignments})
    versions = {
        v.id: v for v in db.session.scalars(_by_ids_query(PathVersion), {"ids": version_ids})
    }
    path_ids = list({a.path_id for a in assignments})
    paths = {p.id: p for p in db.session.scalars(_by_ids_query(Path), {"ids": path_ids})}
    nodes = tree.published_nodes({v.id: v.published_at for v in versions.values()})
    progress: dict[int, dict[str, StepProgress]] = {}
    for sp in db.session.scalars(_progress_query(), {"ids": ids}):
        progress.setdefault(sp.assignment_id, {})[sp.step_key] = sp
    pending: dict[int, dict[str, SignOffRequest]] = {}
    decided: dict[int, dict[str, SignOffRequest]] = {}
    for r in db.session.scalars(_signoffs_query(), {"ids": ids}):
        if r.status == SignOffStatus.PENDING.value:
            pending.setdefault(r.assignment_id, {})[r.step_key] = r
        else:
            decided.setdefault(r.assignment_id, {})[r.step_key] = r
    out = []
    for a in assignments:
        v = versions[a.version_id]
        states = {k: StepState(sp.state) for k, sp in progress.get(a.id, {}).items()}
        view = rules.evaluate(v, nodes.get(v.id, []), states, a.assigned_at, now)
        out.append(
            Learning(a, view, pending.get(a.id, {}), decided.get(a.id, {}), progress.get(a.id, {}))
        )
        # Loaded above; setting them avoids a lazy load per assignment in templates.
        set_committed_value(a, "version", v)
        set_committed_value(a, "path", paths[a.path_id])
    return out


def learning(assignment_id: int, now: datetime | None = None) -> Learning:
    a = db.session.get(Assignment, assignment_id)
    if a is None or a.status != AssignmentStatus.ACTIVE.value:
        raise NotFound(assignment_id)
    return evaluate_assignments([a], now or utcnow())[0]


def preview(v: PathVersion, now: datetime | None = None) -> rules.PathView:
    """The version as a learner assigned now would see it (nothing is stored)."""
    now = now or utcnow()
    return rules.evaluate(v, nodes_of(v), {}, now, now)


def _set_state(
    a: Assignment,
    step_key: str,
    new: StepState,
    actor: Actor,
    *,
    evidence: str = "",
    note: str = "",
    action: str = "step_state",
) -> bool:
    row = db.session.scalar(
        select(StepProgress).where(
            StepProgress.assignment_id == a.id, StepProgress.step_key == step_key
        )
    )
    old = StepState(row.state) if row is not None else StepState.NOT_STARTED
    if old is new:
        return False
    now = utcnow()
    if row is None:
        row = StepProgress(registration_id=a.registration_id, assignment_id=a.id, step_key=step_key)
        db.session.add(row)
    row.state = new.value
    row.updated_at = now
    row.evidence = evidence if new.done else ""
    row.completed_at = now if new.done else None
    if note:
        row.note = note
    if a.started_at is None and new is not StepState.NOT_STARTED:
        a.started_at = now
        record_event(
            a.registration_id,
            a.person_id,
            Verb.STARTED,
            "path",
            a.path_id,
            title=a.path.title,
            path_id=a.path_id,
        )
    if new.done:
        _record_step_completed(a, step_key)
    record(
        action,
        actor,
        registration_id=a.registration_id,
        person_id=a.person_id,
        path_id=a.path_id,
        assignment_id=a.id,
        step_key=step_key,
        from_value=old.value,
        to_value=new.value,
        detail=evidence or note[:200],
    )
    db.session.flush()
    _refresh_completion(a, actor)
    return True


def _record_step_completed(a: Assignment, step_key: str) -> None:
    """The learning event (once per person and step, with the step's minutes)."""
    node = db.session.scalar(
        select(PathNode).where(PathNode.version_id == a.version_id, PathNode.key == step_key)
    )
    record_event(
        a.registration_id,
        a.person_id,
        Verb.COMPLETED,
        "step",
        f"{a.path_id}:{step_key}",
        title=node.title if node else "",
        path_id=a.path_id,
        minutes=node.minutes if node else 0,
    )


def _refresh_completion(a: Assignment, actor: Actor) -> None:
    view = learning(a.id).view
    done = view.done
    if done and a.completed_at is None:
        a.completed_at = utcnow()
        record_event(
            a.registration_id,
            a.person_id,
            Verb.COMPLETED,
            "path",
            a.path_id,
            title=a.path.title,
            path_id=a.path_id,
        )
        record(
            "path_completed",
            actor,
            registration_id=a.registration_id,
            person_id=a.person_id,
            path_id=a.path_id,
            assignment_id=a.id,
            to_value="completed",
        )
        db.session.flush()
        for hook in path_completed:
            hook(a)
    elif not done and a.completed_at is not None:
        a.completed_at = None
    db.session.flush()
    gradebook.progress_changed(a, view)  # to the LMS gradebooks where the path is placed


def _step(item_source: Learning, step_key: str) -> rules.Item:
    item = item_source.view.by_key.get(step_key)
    if item is None or item.is_set:
        raise NotFound(step_key)
    return item


def _own(learning_row: Learning, person_id: int | None) -> None:
    if learning_row.assignment.person_id != person_id:
        raise Forbidden("only the learner acts on their own steps")


def start_step(lr: Learning, step_key: str, actor: Actor) -> bool:
    _own(lr, actor.person_id)
    item = _step(lr, step_key)
    if item.locked:
        raise Refused(_("This step opens once the steps before it are done."))
    if item.state is not StepState.NOT_STARTED:
        return False
    return _set_state(lr.assignment, step_key, StepState.IN_PROGRESS, actor)


def self_report(lr: Learning, step_key: str, actor: Actor, note: str = "") -> bool:
    _own(lr, actor.person_id)
    item = _step(lr, step_key)
    assert item.node is not None
    if item.locked:
        raise Refused(_("This step opens once the steps before it are done."))
    if item.done:
        return False
    if not item.node.self_report:
        raise Refused(
            _("This step is completed by a sign-off or by the LMS, not by you marking it.")
        )
    note = note.strip()
    if item.kind is StepKind.REFLECTION and not note:
        raise Refused(_("Write your reflection (a few sentences) before marking it done."))
    if len(note) > NOTE_MAX:
        raise Refused(_("Use at most %(max)s characters.", max=NOTE_MAX))
    return _set_state(
        lr.assignment, step_key, StepState.COMPLETED, actor, evidence="self_report", note=note
    )


def request_signoff(lr: Learning, step_key: str, actor: Actor, note: str = "") -> SignOffRequest:
    _own(lr, actor.person_id)
    item = _step(lr, step_key)
    if item.kind is None or not item.kind.needs_signoff:
        raise Refused(_("This step does not need a sign-off."))
    if item.locked:
        raise Refused(_("This step opens once the steps before it are done."))
    if item.done:
        raise Refused(_("This step is already done."))
    if step_key in lr.pending:
        raise Refused(_("You have already asked; it is waiting for a sign-off."))
    if len(note.strip()) > NOTE_MAX:
        raise Refused(_("Use at most %(max)s characters.", max=NOTE_MAX))
    a = lr.assignment
    row = SignOffRequest(
        registration_id=a.registration_id,
        assignment_id=a.id,
        person_id=a.person_id,
        step_key=step_key,
        step_title=item.title[:200],
        step_kind=item.kind.value,
        note=note.strip(),
    )
    db.session.add(row)
    _set_state(a, step_key, StepState.IN_PROGRESS, actor)
    record(
        "signoff_requested",
        actor,
        registration_id=a.registration_id,
        person_id=a.person_id,
        path_id=a.path_id,
        assignment_id=a.id,
        step_key=step_key,
        to_value=SignOffStatus.PENDING.value,
    )
    db.session.flush()
    return row


def _qa_role_ids() -> set[int]:
    return {
        r.id
        for r in roles.roles()
        if r.starter_key == "qa" or roles.normalize(r.name) in QA_ROLE_NAMES
    }


def is_qa_analyst(person_id: int) -> bool:
    return roles.effective_role_id(person_id) in _qa_role_ids()


def may_sign_off(r: SignOffRequest, decider: Actor) -> bool:
    if decider.person_id is None or decider.person_id == r.person_id:
        return False
    leader = roles.team_leader_of(r.person_id)
    if leader is not None and leader.id == decider.person_id:
        return True
    if r.step_kind == StepKind.CHECK.value and is_qa_analyst(decider.person_id):
        return True
    return decider.is_staff and leader is None


def signoffs_for(decider: Actor) -> list[SignOffRequest]:
    """Pending sign-offs this person may decide: their teams', checks for QA analysts,
    and for instructors/administrators those of people with no team leader."""
    if decider.person_id is None:
        return []
    pending = select(SignOffRequest).where(SignOffRequest.status == SignOffStatus.PENDING.value)
    members = select(TeamMember.person_id).join(Team, Team.id == TeamMember.team_id)
    conditions: list[Any] = [
        SignOffRequest.person_id.in_(members.where(Team.leader_id == decider.person_id))
    ]
    if is_qa_analyst(decider.person_id):
        conditions.append(SignOffRequest.step_kind == StepKind.CHECK.value)
    if decider.is_staff:
        led = members.where(Team.leader_id.is_not(None))
        conditions.append(SignOffRequest.person_id.not_in(led))
    rows = db.session.scalars(
        pending.where(or_(*conditions), SignOffRequest.person_id != decider.person_id).order_by(
            SignOffRequest.requested_at, SignOffRequest.id
        )
    )
    return [r for r in rows if may_sign_off(r, decider)]


def signoff(pk: int) -> SignOffRequest:
    row = db.session.get(SignOffRequest, pk)
    if row is None:
        raise NotFound(pk)
    return row


def decide_signoff(r: SignOffRequest, decider: Actor, approve: bool, note: str) -> None:
    if not may_sign_off(r, decider):
        raise Forbidden(r.id)
    if r.status != SignOffStatus.PENDING.value:
        raise Refused(_("This request was already decided."))
    note = note.strip()
    if not approve and not note:
        raise Refused(_("Say what is missing, so they know what to do before asking again."))
    if len(note) > NOTE_MAX:
        raise Refused(_("Use at most %(max)s characters.", max=NOTE_MAX))
    r.status = (SignOffStatus.APPROVED if approve else SignOffStatus.DECLINED).value
    r.decided_at = utcnow()
    r.decided_by = decider.name[:255]
    r.decided_by_person_id = decider.person_id
    r.decision_note = note
    a = r.assignment
    record(
        "signoff_decided",
        decider,
        registration_id=a.registration_id,
        person_id=a.person_id,
        path_id=a.path_id,
        assignment_id=a.id,
        step_key=r.step_key,
        from_value=SignOffStatus.PENDING.value,
        to_value=r.status,
        detail=note,
    )
    if approve and a.status == AssignmentStatus.ACTIVE.value:
        _set_state(a, r.step_key, StepState.COMPLETED, decider, evidence="signoff", note=note)
    db.session.flush()


def may_waive(lr: Learning, actor: Actor) -> bool:
    if actor.person_id == lr.assignment.person_id and not actor.is_staff:
        return False
    if actor.is_staff:
        return True
    leader = roles.team_leader_of(lr.assignment.person_id)
    return leader is not None and leader.id == actor.person_id


def waive(lr: Learning, step_key: str, actor: Actor, note: str) -> bool:
    """An instructor or the learner's leader excuses a step (it then counts as done)."""
    if not may_waive(lr, actor):
        raise Forbidden(step_key)
    _step(lr, step_key)
    if not note.strip():
        raise Refused(_("Say why the step is waived."))
    return _set_state(
        lr.assignment, step_key, StepState.WAIVED, actor, evidence="waived", note=note.strip()
    )


def record_lms_completion(
    person: Person, step_key: str, *, source: str = "lms", detail: str = ""
) -> int:
    """The LMS reports the step done (the catalog adapters call this). Completes it in every
    active assignment of the person that contains the step, locks or not (the LMS has the
    evidence). Idempotent. Returns how many assignments changed."""
    actor = Actor(f"LMS ({source})")
    changed = 0
    for lr in learning_of(person.id):
        item = lr.view.by_key.get(step_key)
        if item is None or item.is_set or item.done:
            continue
        if _set_state(
            lr.assignment,
            step_key,
            StepState.COMPLETED,
            actor,
            evidence="lms",
            note=detail[:500],
        ):
            changed += 1
    return changed


def complete_by_evidence(
    assignment_id: int, step_key: str, actor: Actor, *, evidence: str, note: str = ""
) -> bool:
    """Another feature holds the evidence that a step is done (a coaching or shadowing session
    both sides signed off): complete it, locks or not, as for the LMS. A sign-off request
    still waiting for the step is closed as approved, naming the evidence. Idempotent; False
    when the step was already done or is not on the assignment's version."""
    lr = learning(assignment_id)
    item = lr.view.by_key.get(step_key)
    if item is None or item.is_set or item.done:
        return False
    waiting = lr.pending.get(step_key)
    if waiting is not None:
        waiting.status = SignOffStatus.APPROVED.value
        waiting.decided_at = utcnow()
        waiting.decided_by = actor.name[:255]
        waiting.decided_by_person_id = actor.person_id
        waiting.decision_note = note[:NOTE_MAX]
    return _set_state(
        lr.assignment, step_key, StepState.COMPLETED, actor, evidence=evidence, note=note[:500]
    )


def may_view_person(viewer: Actor, person_id: int) -> bool:
    """A learner sees another person's progress only if they lead them."""
    if viewer.person_id == person_id or viewer.is_staff:
        return True
    leader = roles.team_leader_of(person_id)
    return leader is not None and leader.id == viewer.person_id


def person(pk: int) -> Person:
    row = db.session.get(Person, pk)
    if row is None:
        raise NotFound(pk)
    return row


def skills_by_id(ids: Iterable[int]) -> dict[int, Skill]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {s.id: s for s in db.session.scalars(select(Skill).where(Skill.id.in_(wanted)))}


def path_rows_for(p: Path) -> PathRow:
    return next(r for r in path_rows() if r.path.id == p.id)
