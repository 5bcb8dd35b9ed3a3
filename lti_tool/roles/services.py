"""Job roles, skills, teams, and who holds which job role. Plain functions over the current
tenant's session (the request scopes it, see lti_tool/tenancy.py); they add and flush, and the
view commits once.

Where a person's job role comes from
------------------------------------
Each source keeps its own current choice (a PersonRole row with ended_at NULL):

- ``lti``: the LTI custom parameter JOB_ROLE_PARAMETER (default ``job_role``), matched to a job
  role by name or alias (case and spacing ignored). complete_launch calls lti_value_seen only
  when the raw value differs from the one stored on the person. A value no role matches is
  kept on the person (Person.job_role) and listed for instructors as an unmatched value; giving
  a role that name as an alias assigns everyone carrying it (rematch_lti_values).
- ``hr_csv``: the HR import (plan_hr_import / apply_hr_import).
- ``admin``: an administrator on the person's page.
- ``request``: the learner's request, approved by their team leader (or, for a person with
  no team leader, an instructor or administrator).

PRECEDENCE: admin = approved request > HR import > LTI. The effective role is the current
choice of the highest rank; between equal ranks the newest wins. An administrator can clear
their choice to let the lower sources apply again.

The role-changed hook
---------------------
``role_changed`` is a list of callables. Whenever a person's *effective* role changes (not when
a lower-ranked source changes beneath a higher one, nor when a source repeats itself) each
callable is called once with a RoleChanged, inside the same transaction, after the change is
flushed. Callbacks use db.session and must not commit; raising aborts the whole change (for an
HR import: the whole file). Learning paths register with ``role_changed.append(fn)``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, case, func, or_, select
from sqlalchemy import event as orm_events
from sqlalchemy.orm import ORMExecuteState, Session

from lti_tool import id_lists
from lti_tool.extensions import db
from lti_tool.i18n import _
from lti_tool.i18n_stored import written
from lti_tool.lti.models import utcnow
from lti_tool.numbers import as_id, whole_number
from lti_tool.people.models import Person
from lti_tool.roles import starter, wording
from lti_tool.roles.models import (
    LEVELS,
    CareerGoal,
    JobRole,
    PersonRole,
    RequestStatus,
    RoleChangeRequest,
    RoleSkillTarget,
    Skill,
    Source,
    Team,
    TeamMember,
)

NAME_MAX = 120
TEXT_MAX = 2000
LEVEL_MAX = 200
RANK = {Source.ADMIN: 3, Source.REQUEST: 3, Source.HR_CSV: 2, Source.LTI: 1}


class NotFound(LookupError):
    pass


class Forbidden(PermissionError):
    pass


# --- the hook -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleChanged:
    registration_id: int
    person_id: int
    old_role_id: int | None
    new_role_id: int | None
    source: Source | None  # the source now in effect (None: no role any more)


role_changed: list[Callable[[RoleChanged], None]] = []

# Called with a skill before its deletion is confirmed; each returns sentences naming what else
# keeps data about the skill and what deleting it does to that (lti_tool/skill_uses.py counts
# every other feature's references in one place, so a test can tell when one is missing).
skill_uses: list[Callable[[Skill], list[str]]] = []


def _fire(event: RoleChanged) -> None:
    for callback in list(role_changed):
        callback(event)


# --- names ----------------------------------------------------------------------------------


def normalize(value: str) -> str:
    return " ".join(value.split()).casefold()


def _split_aliases(text: str) -> list[str]:
    seen: dict[str, str] = {}
    for part in re.split(r"[\n,;]", text):
        alias = " ".join(part.split())
        if alias and normalize(alias) not in seen:
            seen[normalize(alias)] = alias
    return list(seen.values())


def roles() -> list[JobRole]:
    return list(db.session.scalars(select(JobRole).order_by(JobRole.name)))


def skills() -> list[Skill]:
    return list(db.session.scalars(select(Skill).order_by(Skill.name)))


def role(pk: int) -> JobRole:
    row = db.session.get(JobRole, pk)
    if row is None:
        raise NotFound(pk)
    return row


def skill(pk: int) -> Skill:
    row = db.session.get(Skill, pk)
    if row is None:
        raise NotFound(pk)
    return row


def role_lookup(all_roles: Iterable[JobRole] | None = None) -> dict[str, JobRole]:
    """Normalized name or alias -> role (names win over aliases)."""
    found: dict[str, JobRole] = {}
    all_roles = list(all_roles if all_roles is not None else roles())
    for row in all_roles:
        for alias in row.aliases or []:
            found.setdefault(normalize(alias), row)
    for row in all_roles:
        found[normalize(row.name)] = row
    return found


def match_role(value: str, lookup: dict[str, JobRole] | None = None) -> JobRole | None:
    return (lookup if lookup is not None else role_lookup()).get(normalize(value))


# --- roles and skills -----------------------------------------------------------------------


def save_role(
    registration_id: int, row: JobRole | None, name: str, description: str, aliases_text: str
) -> tuple[JobRole | None, dict[str, str]]:
    name = " ".join(name.split())
    aliases = _split_aliases(aliases_text)
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the role a name, for example Tier 1 agent.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("Use at most %(max)d characters.", max=NAME_MAX)
    if len(description) > TEXT_MAX:
        errors["description"] = _("Use at most %(max)d characters.", max=TEXT_MAX)
    taken = {k: v for k, v in role_lookup().items() if row is None or v.id != row.id}
    if name and normalize(name) in taken:
        errors["name"] = _("%(role)s already uses this name.", role=taken[normalize(name)].name)
    for alias in aliases:
        if len(alias) > NAME_MAX:
            errors["aliases"] = _(
                "“%(name)s…” is longer than %(max)d characters.", name=alias[:40], max=NAME_MAX
            )
        elif normalize(alias) in taken:
            errors["aliases"] = _(
                "“%(name)s” already names %(role)s.",
                name=alias,
                role=taken[normalize(alias)].name,
            )
    if errors:
        return None, errors
    if row is None:
        row = JobRole(registration_id=registration_id, name=name)
        db.session.add(row)
    row.name = name
    row.description = description.strip()
    row.aliases = [a for a in aliases if normalize(a) != normalize(name)]
    db.session.flush()
    rematch_lti_values(registration_id)
    return row, {}


def save_skill(
    registration_id: int, row: Skill | None, name: str, description: str, levels: list[str]
) -> tuple[Skill | None, dict[str, str]]:
    name = " ".join(name.split())
    levels = [" ".join(text.split()) for text in levels]
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the skill a name, for example Empathy.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("Use at most %(max)d characters.", max=NAME_MAX)
    else:
        clash = db.session.scalar(select(Skill).where(func.lower(Skill.name) == name.lower()))
        if clash is not None and (row is None or clash.id != row.id):
            errors["name"] = _("Another skill already has this name.")
    if len(description) > TEXT_MAX:
        errors["description"] = _("Use at most %(max)d characters.", max=TEXT_MAX)
    for level, text in zip(LEVELS, levels, strict=True):
        if not text:
            errors[f"level{level}"] = _("Describe level %(num)s in a few words.", num=level)
        elif len(text) > LEVEL_MAX:
            errors[f"level{level}"] = _("Use at most %(max)d characters.", max=LEVEL_MAX)
    if errors:
        return None, errors
    if row is None:
        row = Skill(registration_id=registration_id, name=name)
        db.session.add(row)
    row.name = name
    row.description = description.strip()
    row.levels = levels
    db.session.flush()
    return row, {}


@dataclass(frozen=True)
class Dependents:
    people: int = 0
    targets: int = 0
    pending_requests: int = 0
    career_goals: int = 0
    uses: tuple[str, ...] = ()  # other features' data, in their words (see skill_uses)

    @property
    def none(self) -> bool:
        return not (
            self.people or self.targets or self.pending_requests or self.career_goals or self.uses
        )


def role_dependents(row: JobRole) -> Dependents:
    def count(query: object) -> int:
        return db.session.scalar(query) or 0  # type: ignore[call-overload]

    return Dependents(
        people=count(
            select(func.count(func.distinct(PersonRole.person_id))).where(
                PersonRole.role_id == row.id, PersonRole.ended_at.is_(None)
            )
        ),
        targets=count(
            select(func.count())
            .select_from(RoleSkillTarget)
            .where(RoleSkillTarget.role_id == row.id)
        ),
        pending_requests=count(
            select(func.count())
            .select_from(RoleChangeRequest)
            .where(
                RoleChangeRequest.role_id == row.id,
                RoleChangeRequest.status == RequestStatus.PENDING,
            )
        ),
        career_goals=count(
            select(func.count()).select_from(CareerGoal).where(CareerGoal.role_id == row.id)
        ),
    )


def skill_dependents(row: Skill) -> Dependents:
    targets = db.session.scalar(
        select(func.count()).select_from(RoleSkillTarget).where(RoleSkillTarget.skill_id == row.id)
    )
    return Dependents(
        targets=targets or 0, uses=tuple(line for use in skill_uses for line in use(row))
    )


def delete_role(row: JobRole, by: str, by_person_id: int | None) -> None:
    """Everyone holding the role loses that source's choice (recorded in their history); the
    hook fires for each person whose effective role changes."""
    current = list(
        db.session.scalars(
            select(PersonRole).where(PersonRole.role_id == row.id, PersonRole.ended_at.is_(None))
        )
    )
    people = {a.person_id for a in current}
    before = {pid: effective_role_id(pid) for pid in people}
    now = utcnow()
    for assignment in current:
        assignment.ended_at = now
        ended = written(wording.ROLE_DELETED, name=by)
        assignment.note = (assignment.note + wording.SEPARATOR + ended)[:500]
    db.session.flush()
    after = {pid: effective(current_assignments(pid)) for pid in people}
    db.session.delete(row)
    db.session.flush()
    for pid in sorted(people):
        new = after[pid]
        new_id = new.role_id if new else None
        if new_id != before[pid]:
            _fire(RoleChanged(row.registration_id, pid, before[pid], new_id, _source_of(new)))


def delete_skill(row: Skill) -> None:
    """The database deletes or unlinks what refers to the skill (its foreign keys' ON DELETE,
    enforced on SQLite too): ratings, role targets, catalog and post tags, goals.

    The JSON lists of skill ids are no foreign keys (path steps, coaching offers and sessions,
    learners' interests: the columns marked ``id_lists.ids_of("skills")``): the skill's id is
    taken out of every one in its registration first, in the same transaction. That includes
    the steps of published path versions, which otherwise never change under their learners:
    a deleted skill's id means nothing there, and SQLite's ids used to come back."""
    id_lists.remove(Skill.__tablename__, row.id, row.registration_id)
    db.session.delete(row)
    db.session.flush()


# --- the matrix -----------------------------------------------------------------------------


def targets() -> dict[tuple[int, int], int]:
    return {(t.role_id, t.skill_id): t.level for t in db.session.scalars(select(RoleSkillTarget))}


def matrix_field(role_id: int, skill_id: int) -> str:
    return f"t-{role_id}-{skill_id}"


def parse_matrix(
    form: dict[str, str], role_rows: list[JobRole], skill_rows: list[Skill]
) -> tuple[dict[tuple[int, int], int | None], dict[str, str]]:
    """The form's cells: "" (not needed) or 1..5. Every bad cell is named."""
    values: dict[tuple[int, int], int | None] = {}
    errors: dict[str, str] = {}
    for r in role_rows:
        for s in skill_rows:
            key = matrix_field(r.id, s.id)
            raw = (form.get(key) or "").strip()
            if raw == "":
                values[(r.id, s.id)] = None
            elif (level := whole_number(raw)) in LEVELS:
                values[(r.id, s.id)] = level
            else:
                errors[key] = _(
                    "%(skill)s for %(role)s: choose a level from 1 to 5, or none.",
                    skill=s.name,
                    role=r.name,
                )
    return values, errors


def save_matrix(registration_id: int, values: dict[tuple[int, int], int | None]) -> int:
    """Apply the cells; returns how many changed."""
    existing = {(t.role_id, t.skill_id): t for t in db.session.scalars(select(RoleSkillTarget))}
    changed = 0
    for (role_id, skill_id), level in values.items():
        row = existing.get((role_id, skill_id))
        if level is None:
            if row is not None:
                db.session.delete(row)
                changed += 1
        elif row is None:
            db.session.add(
                RoleSkillTarget(
                    registration_id=registration_id, role_id=role_id, skill_id=skill_id, level=level
                )
            )
            changed += 1
        elif row.level != level:
            row.level = level
            changed += 1
    db.session.flush()
    return changed


# --- the starter set ------------------------------------------------------------------------


@dataclass
class StarterResult:
    roles: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    targets: int = 0

    @property
    def nothing_new(self) -> bool:
        return not (self.roles or self.skills or self.targets)


def import_starter_set(registration_id: int) -> StarterResult:
    """Adds the starter roles and skills that are missing (by starter key, or by name for ones
    made by hand), and targets only for pairs where this import created the role or the skill.
    Nothing that exists is changed, so edits survive any number of imports."""
    result = StarterResult()
    by_key_role = {r.starter_key: r for r in roles() if r.starter_key}
    names = role_lookup()
    new_roles: dict[str, JobRole] = {}
    for item in starter.ROLES:
        if item.key in by_key_role or normalize(item.name) in names:
            continue
        aliases = [a for a in item.aliases if normalize(a) not in names]
        row = JobRole(
            registration_id=registration_id,
            name=item.name,
            description=item.description,
            aliases=aliases,
            starter_key=item.key,
        )
        db.session.add(row)
        new_roles[item.key] = row
        result.roles.append(item.name)
    existing_skills = skills()
    by_key_skill = {s.starter_key: s for s in existing_skills if s.starter_key}
    skill_names = {normalize(s.name) for s in existing_skills}
    new_skills: dict[str, Skill] = {}
    for item_skill in starter.SKILLS:
        if item_skill.key in by_key_skill or normalize(item_skill.name) in skill_names:
            continue
        row_skill = Skill(
            registration_id=registration_id,
            name=item_skill.name,
            description=item_skill.description,
            levels=list(item_skill.levels),
            starter_key=item_skill.key,
        )
        db.session.add(row_skill)
        new_skills[item_skill.key] = row_skill
        result.skills.append(item_skill.name)
    db.session.flush()
    all_roles = {**by_key_role, **new_roles}
    all_skills = {**by_key_skill, **new_skills}
    for role_key, wanted in starter.TARGETS.items():
        for skill_key, level in wanted.items():
            if role_key not in new_roles and skill_key not in new_skills:
                continue
            r, s = all_roles.get(role_key), all_skills.get(skill_key)
            if r is None or s is None:
                continue
            db.session.add(
                RoleSkillTarget(
                    registration_id=registration_id, role_id=r.id, skill_id=s.id, level=level
                )
            )
            result.targets += 1
    db.session.flush()
    if result.roles:
        rematch_lti_values(registration_id)
    return result


# --- who has which role ---------------------------------------------------------------------


@functools.cache
def _current_assignments_query() -> Any:
    """Built once: asked on most pages a learner opens."""
    return select(PersonRole).where(
        PersonRole.person_id == bindparam("person_id"), PersonRole.ended_at.is_(None)
    )


def current_assignments(person_id: int) -> list[PersonRole]:
    return list(db.session.scalars(_current_assignments_query(), {"person_id": person_id}))


def _precedence(a: PersonRole) -> tuple[int, datetime, int]:
    return (RANK[Source(a.source)], a.since, a.id or 0)


def precedence_order() -> list[ColumnElement[Any]]:
    """`_precedence` as an ORDER BY (the assignment in effect first), for a query that picks it
    in SQL."""
    rank = case(
        {source.value: value for source, value in RANK.items()}, value=PersonRole.source, else_=0
    )
    return [rank.desc(), PersonRole.since.desc(), PersonRole.id.desc()]


def effective(assignments: Iterable[PersonRole]) -> PersonRole | None:
    live = [a for a in assignments if a.ended_at is None and a.role_id is not None]
    return max(live, key=_precedence) if live else None


def effective_role_id(person_id: int) -> int | None:
    known = db.session.info.get(_ROLE_MEMO, {})
    if person_id in known:
        return known[person_id]  # type: ignore[no-any-return]
    best = effective(current_assignments(person_id))
    return best.role_id if best else None


# A statement that already found someone's role in effect (paths.personal.standing does, on the
# home page) leaves it here, so `effective_role_id` does not ask again in the same request. Any
# write, commit or rollback forgets it.
_ROLE_MEMO = "wayfinder_role_in_effect"


def remember_role_in_effect(session: Any, person_id: int, role_id: int | None) -> None:
    session.info.setdefault(_ROLE_MEMO, {})[person_id] = role_id


def _forget_roles_in_effect(session: Session, *_args: Any) -> None:
    session.info.pop(_ROLE_MEMO, None)


for _name in ("after_flush", "after_commit", "after_rollback", "after_soft_rollback"):
    orm_events.listen(Session, _name, _forget_roles_in_effect)


@orm_events.listens_for(Session, "do_orm_execute")
def _forget_on_write(state: ORMExecuteState) -> None:
    if not state.is_select:
        _forget_roles_in_effect(state.session)


def effective_for(person_ids: Iterable[int]) -> dict[int, PersonRole]:
    """Each person's assignment in effect, in one query (lists and team pages)."""
    ids = list(set(person_ids))
    grouped: dict[int, list[PersonRole]] = {}
    if ids:
        for a in db.session.scalars(
            select(PersonRole).where(PersonRole.person_id.in_(ids), PersonRole.ended_at.is_(None))
        ):
            grouped.setdefault(a.person_id, []).append(a)
    result = {}
    for pid, rows in grouped.items():
        best = effective(rows)
        if best is not None:
            result[pid] = best
    return result


def _source_of(a: PersonRole | None) -> Source | None:
    return Source(a.source) if a is not None else None


def set_source_role(
    person: Person,
    source: Source,
    new_role: JobRole | None,
    *,
    by: str,
    by_person_id: int | None = None,
    note: str = "",
    current: list[PersonRole] | None = None,
) -> bool:
    """Record ``source``'s choice for the person (None: that source no longer says anything).
    Returns True when the person's effective role changed; the hook has fired by then."""
    current = current if current is not None else current_assignments(person.id)
    before = effective(current)
    mine = [a for a in current if a.source == source.value]
    if new_role is not None and len(mine) == 1 and mine[0].role_id == new_role.id:
        return False  # the source repeats itself
    if new_role is None and not mine:
        return False
    now = utcnow()
    for a in mine:
        a.ended_at = now
    remaining = [a for a in current if a.source != source.value]
    if new_role is not None:
        added = PersonRole(
            registration_id=person.registration_id,
            person_id=person.id,
            role_id=new_role.id,
            role_name=new_role.name,
            source=source.value,
            since=now,
            set_by=by[:255],
            set_by_person_id=by_person_id,
            note=note[:500],
        )
        db.session.add(added)
        remaining.append(added)
    db.session.flush()
    after = effective(remaining)
    old_id = before.role_id if before else None
    new_id = after.role_id if after else None
    if old_id == new_id:
        return False
    _fire(RoleChanged(person.registration_id, person.id, old_id, new_id, _source_of(after)))
    return True


def lti_value_seen(person: Person, value: str) -> None:
    """complete_launch calls this only when the LTI job-role value differs from the stored one
    (which it has just stored on the person). Unmatched values end the LTI source's choice."""
    matched = match_role(value) if value else None
    set_source_role(
        person,
        Source.LTI,
        matched,
        by=written(wording.LTI_LAUNCH),
        note=written(wording.LMS_VALUE, value=value[:120]),
    )


def lti_values_seen(changes: Iterable[tuple[Person, str]]) -> int:
    """lti_value_seen for many people at once (a roster sync page): the role names looked up
    once and everyone's current assignments read in one query per 500 people. Returns how
    many effective roles changed (the hook fired for each)."""
    changes = list(changes)
    if not changes:
        return 0
    lookup = role_lookup()
    current: dict[int, list[PersonRole]] = {person.id: [] for person, _value in changes}
    ids = list(current)
    for start in range(0, len(ids), 500):
        for a in db.session.scalars(
            select(PersonRole).where(
                PersonRole.person_id.in_(ids[start : start + 500]), PersonRole.ended_at.is_(None)
            )
        ):
            current[a.person_id].append(a)
    changed = 0
    for person, value in changes:
        matched = match_role(value, lookup) if value else None
        if set_source_role(
            person,
            Source.LTI,
            matched,
            by=written(wording.LMS_ROSTER),
            note=written(wording.LMS_VALUE, value=value[:120]),
            current=current[person.id],
        ):
            changed += 1
    return changed


def rematch_lti_values(registration_id: int) -> int:
    """After roles or aliases change: give everyone whose stored LTI value now names a role
    (or names another one) that role as their LTI source. Returns how many changed."""
    lookup = role_lookup()
    people = list(db.session.scalars(select(Person).where(Person.job_role != "")))
    if not people:
        return 0
    lti_rows: dict[int, PersonRole] = {
        a.person_id: a
        for a in db.session.scalars(
            select(PersonRole).where(
                PersonRole.source == Source.LTI.value, PersonRole.ended_at.is_(None)
            )
        )
    }
    changed = 0
    for person in people:
        matched = lookup.get(normalize(person.job_role))
        held = lti_rows.get(person.id)
        if matched is None or (held is not None and held.role_id == matched.id):
            continue
        set_source_role(
            person,
            Source.LTI,
            matched,
            by=written(wording.LTI_LAUNCH),
            note=written(wording.LMS_VALUE, value=person.job_role),
        )
        changed += 1
    return changed


@dataclass(frozen=True)
class Unmatched:
    value: str
    people: int


def unmatched_values() -> list[Unmatched]:
    """LTI job-role values people launched with that no role's name or alias matches."""
    lookup = role_lookup()
    rows = db.session.execute(
        select(Person.job_role, func.count())
        .where(Person.job_role != "")
        .group_by(Person.job_role)
        .order_by(func.count().desc(), Person.job_role)
    )
    merged: dict[str, Unmatched] = {}
    for value, count in rows:
        if normalize(value) in lookup:
            continue
        key = normalize(value)
        prior = merged.get(key)
        merged[key] = Unmatched(
            prior.value if prior else value, count + (prior.people if prior else 0)
        )
    return list(merged.values())


def map_value(registration_id: int, value: str, target: JobRole) -> int:
    """Make an unmatched LTI value another name of ``target``; returns how many people it
    assigned."""
    value = " ".join(value.split())
    if not value:
        return 0
    if normalize(value) not in {normalize(a) for a in [target.name, *(target.aliases or [])]}:
        target.aliases = [*(target.aliases or []), value[:NAME_MAX]]
    db.session.flush()
    return rematch_lti_values(registration_id)


def admin_set_role(person: Person, new_role: JobRole | None, by: str, by_person_id: int) -> bool:
    note = written(wording.SET_ON_PAGE if new_role else wording.CHOICE_CLEARED)
    return set_source_role(
        person, Source.ADMIN, new_role, by=by, by_person_id=by_person_id, note=note
    )


def history(person_id: int) -> list[PersonRole]:
    return list(
        db.session.scalars(
            select(PersonRole)
            .where(PersonRole.person_id == person_id)
            .order_by(PersonRole.since.desc(), PersonRole.id.desc())
        )
    )


@dataclass(frozen=True)
class RoleSummary:
    """What a person's page and "My role" show."""

    effective: PersonRole | None
    by_source: dict[str, PersonRole]
    history: list[PersonRole]
    overridden: list[PersonRole]  # current choices of other sources that do not count


def summary(person_id: int) -> RoleSummary:
    current = current_assignments(person_id)
    best = effective(current)
    return RoleSummary(
        best,
        {a.source: a for a in current},
        history(person_id),
        [a for a in current if best is not None and a.id != best.id],
    )


# --- people and teams -----------------------------------------------------------------------


def person(pk: int) -> Person:
    row = db.session.get(Person, pk)
    if row is None:
        raise NotFound(pk)
    return row


def search_people(query: str, limit: int = 50) -> list[Person]:
    stmt = select(Person).order_by(Person.name, Person.email, Person.id).limit(limit)
    query = query.strip()
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(
            func.lower(Person.name).like(like)
            | func.lower(Person.email).like(like)
            | func.lower(Person.preferred_name).like(like)
            | (Person.sub == query)
        )
    return list(db.session.scalars(stmt))


def find_person(ref: str) -> tuple[Person | None, str]:
    """A person by email, LMS user id or exact name; with the reason when there is none."""
    ref = ref.strip()
    if not ref:
        return None, _("Enter an email or a name.")
    found = list(
        db.session.scalars(
            select(Person).where(
                (func.lower(Person.email) == ref.lower())
                | (Person.sub == ref)
                | (func.lower(Person.name) == ref.lower())
                | (func.lower(Person.preferred_name) == ref.lower())
            )
        )
    )
    if len(found) == 1:
        return found[0], ""
    if not found:
        close = search_people(ref, limit=6) if len(ref) >= 2 else []
        if close:
            # A first name, part of a name or an address: name who it could be.
            names = ", ".join(
                f"{p.display_name} ({p.email})" if p.email else p.display_name for p in close[:5]
            )
            return None, _(
                "No one is called “%(ref)s” exactly. Did you mean %(names)s? Enter their full "
                "name or their email.",
                ref=ref,
                names=names,
            )
        return None, _(
            "No one called or with the email “%(ref)s” has opened Wayfinder yet.", ref=ref
        )
    return None, _(
        "%(num)s people match “%(ref)s”: use their email instead.", num=len(found), ref=ref
    )


def teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def team(pk: int) -> Team:
    row = db.session.get(Team, pk)
    if row is None:
        raise NotFound(pk)
    return row


@functools.cache
def _team_of_query() -> Any:
    return (
        select(Team)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.person_id == bindparam("person_id"))
    )


def team_of(person_id: int) -> Team | None:
    return db.session.scalar(_team_of_query(), {"person_id": person_id})


def save_team(
    registration_id: int, row: Team | None, name: str, leader_ref: str
) -> tuple[Team | None, dict[str, str]]:
    name = " ".join(name.split())
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the team a name, for example Billing team A.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("Use at most %(max)d characters.", max=NAME_MAX)
    else:
        clash = db.session.scalar(select(Team).where(func.lower(Team.name) == name.lower()))
        if clash is not None and (row is None or clash.id != row.id):
            errors["name"] = _("Another team already has this name.")
    leader = None
    if leader_ref.strip():
        leader, why = find_person(leader_ref)
        if leader is None:
            errors["leader"] = why
    if errors:
        return None, errors
    if row is None:
        row = Team(registration_id=registration_id, name=name)
        db.session.add(row)
    row.name = name
    row.leader_id = leader.id if leader else None
    db.session.flush()
    return row, {}


def add_member(registration_id: int, row: Team, ref: str) -> tuple[Person | None, str]:
    """Adds the person (moving them from another team: a person is in one team)."""
    found, why = find_person(ref)
    if found is None:
        return None, why
    membership = db.session.scalar(select(TeamMember).where(TeamMember.person_id == found.id))
    if membership is not None and membership.team_id == row.id:
        return None, _("%(person)s is already in this team.", person=found.display_name)
    if membership is None:
        db.session.add(
            TeamMember(registration_id=registration_id, team_id=row.id, person_id=found.id)
        )
    else:
        membership.team_id = row.id
        membership.since = utcnow()
    db.session.flush()
    return found, ""


def remove_member(row: Team, person_id: int) -> None:
    membership = db.session.scalar(
        select(TeamMember).where(TeamMember.team_id == row.id, TeamMember.person_id == person_id)
    )
    if membership is not None:
        db.session.delete(membership)
        db.session.flush()


def delete_team(row: Team) -> None:
    db.session.delete(row)
    db.session.flush()


@functools.cache
def _teams_led_by_query() -> Any:
    return select(Team).where(Team.leader_id == bindparam("person_id"))


def teams_led_by(person_id: int) -> list[Team]:
    return list(db.session.scalars(_teams_led_by_query(), {"person_id": person_id}))


def team_leader_of(person_id: int) -> Person | None:
    return _leader_of(person_id, team_of(person_id))


def _leader_of(person_id: int, found: Team | None) -> Person | None:
    if found is None or found.leader_id is None or found.leader_id == person_id:
        return None
    return found.leader


@dataclass(frozen=True)
class TeamTies:
    """A person's team (a person is in at most one) and the teams they lead."""

    person_id: int
    member_of: Team | None
    leads: list[Team]

    @property
    def leader(self) -> Person | None:
        """Their team's leader, as `team_leader_of` (None when they lead their own team)."""
        return _leader_of(self.person_id, self.member_of)


@functools.cache
def _team_ties_query() -> Any:
    """Built once: the home page asks it on every launch."""
    person: Any = bindparam("person_id")
    return (
        select(Team, TeamMember.id.is_not(None))
        .outerjoin(TeamMember, and_(TeamMember.team_id == Team.id, TeamMember.person_id == person))
        .where(or_(Team.leader_id == person, TeamMember.id.is_not(None)))
        .order_by(Team.id)
    )


def team_ties(person_id: int) -> TeamTies:
    """`team_of` and `teams_led_by` in one statement."""
    member_of = None
    leads = []
    for row, is_member in db.session.execute(_team_ties_query(), {"person_id": person_id}):
        if is_member:
            member_of = row
        if row.leader_id == person_id:
            leads.append(row)
    return TeamTies(person_id, member_of, leads)


# --- requests and career goals --------------------------------------------------------------


def pending_request(person_id: int) -> RoleChangeRequest | None:
    return db.session.scalar(
        select(RoleChangeRequest).where(
            RoleChangeRequest.person_id == person_id,
            RoleChangeRequest.status == RequestStatus.PENDING.value,
        )
    )


def requests_of(person_id: int, limit: int = 10) -> list[RoleChangeRequest]:
    return list(
        db.session.scalars(
            select(RoleChangeRequest)
            .where(RoleChangeRequest.person_id == person_id)
            .order_by(RoleChangeRequest.created_at.desc(), RoleChangeRequest.id.desc())
            .limit(limit)
        )
    )


def request_change(
    registration_id: int, who: Person, role_id: str, reason: str
) -> tuple[RoleChangeRequest | None, dict[str, str]]:
    errors: dict[str, str] = {}
    wanted = db.session.get(JobRole, role_pk) if (role_pk := as_id(role_id)) is not None else None
    if wanted is None:
        errors["role_id"] = _("Choose the role you would like.")
    elif wanted.id == effective_role_id(who.id):
        errors["role_id"] = _("You already have the role %(role)s.", role=wanted.name)
    reason = reason.strip()
    if not reason:
        errors["reason"] = _("Say in a sentence or two why, for your team leader.")
    elif len(reason) > TEXT_MAX:
        errors["reason"] = _("Use at most %(max)d characters.", max=TEXT_MAX)
    if pending_request(who.id) is not None:
        errors["role_id"] = " ".join(
            (
                _("You already have a request waiting."),
                _("Withdraw it to ask for another."),
            )
        )
    if errors or wanted is None:
        return None, errors
    row = RoleChangeRequest(
        registration_id=registration_id, person_id=who.id, role_id=wanted.id, reason=reason
    )
    db.session.add(row)
    db.session.flush()
    return row, {}


def withdraw_request(who: Person) -> bool:
    row = pending_request(who.id)
    if row is None:
        return False
    row.status = RequestStatus.WITHDRAWN.value
    row.decided_at = utcnow()
    db.session.flush()
    return True


def may_decide(row: RoleChangeRequest, decider_id: int, is_staff: bool) -> bool:
    """The requester's team leader decides; with no leader, instructors and administrators."""
    if row.person_id == decider_id:
        return False
    leader = team_leader_of(row.person_id)
    return leader.id == decider_id if leader is not None else is_staff


def requests_to_decide(decider_id: int, is_staff: bool) -> list[RoleChangeRequest]:
    pending = db.session.scalars(
        select(RoleChangeRequest)
        .where(RoleChangeRequest.status == RequestStatus.PENDING.value)
        .order_by(RoleChangeRequest.created_at)
    )
    return [r for r in pending if may_decide(r, decider_id, is_staff)]


def decide(
    row: RoleChangeRequest,
    approve: bool,
    message: str,
    *,
    decider: Person,
    is_staff: bool,
) -> dict[str, str]:
    if not may_decide(row, decider.id, is_staff):
        raise Forbidden(row.id)
    message = message.strip()
    if row.status != RequestStatus.PENDING.value:
        return {"message": _("This request was already decided or withdrawn.")}
    if not approve and not message:
        return {"message": _("Tell them why, so they know what to do next.")}
    if len(message) > TEXT_MAX:
        return {"message": _("Use at most %(max)d characters.", max=TEXT_MAX)}
    row.status = (RequestStatus.APPROVED if approve else RequestStatus.DECLINED).value
    row.decided_at = utcnow()
    row.decided_by = decider.display_name
    row.decided_by_person_id = decider.id
    row.message = message
    if approve:
        set_source_role(
            row.person,
            Source.REQUEST,
            row.role,
            by=decider.display_name,
            by_person_id=decider.id,
            note=written(wording.REQUEST_APPROVED, name=decider.display_name),
        )
    db.session.flush()
    return {}


def career_goal(person_id: int) -> CareerGoal | None:
    return db.session.scalar(select(CareerGoal).where(CareerGoal.person_id == person_id))


def set_career_goal(registration_id: int, who: Person, role_id: str) -> str:
    """ "" clears the goal. Returns an error message, or ""."""
    goal = career_goal(who.id)
    if not role_id:
        if goal is not None:
            db.session.delete(goal)
            db.session.flush()
        return ""
    wanted = db.session.get(JobRole, role_pk) if (role_pk := as_id(role_id)) is not None else None
    if wanted is None:
        return _("Choose one of the roles in the list.")
    if goal is None:
        db.session.add(
            CareerGoal(registration_id=registration_id, person_id=who.id, role_id=wanted.id)
        )
    else:
        goal.role_id = wanted.id
        goal.set_at = utcnow()
    db.session.flush()
    return ""
