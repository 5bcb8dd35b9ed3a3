"""Personal plans: a learner adds catalog items (each with a goal and a target date), enrols
through the LMS adapter where Wayfinder may, asks their team leader otherwise, and sees
completion come back from the LMS.

Nothing is lost on a failure: the plan item stays, the problem is written on it in plain words
and the person can try again; a failure of Wayfinder's own access (expired or revoked token, a
missing permission) is also recorded for the administrator (access.record_problem).

Every change is a PathEvent (the learning-paths event log, step key ``catalog:<item id>``), and a
plan item's progress is queued for the LMS gradebook through grades.record_progress wherever a
line item for ``catalog:<item id>`` exists in the person's courses (the item was placed in a
course by deep linking).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import selectinload

from adapters.base import AdapterError, CompletionState, ErrorKind, LmsAdapter
from adapters.moodle import PERSON_TOKEN, SELF_ENROL_ONLY
from lti_tool.catalog import access
from lti_tool.catalog.models import (
    CatalogItem,
    EnrolmentRequest,
    GoalKind,
    PlanItem,
    PlanStatus,
    RequestStatus,
)
from lti_tool.extensions import db
from lti_tool.grades import services as grades
from lti_tool.i18n import _, ngettext, speaking_to
from lti_tool.lti.models import utcnow
from lti_tool.numbers import as_id
from lti_tool.paths import services as paths
from lti_tool.paths.services import Actor
from lti_tool.people.models import Person
from lti_tool.roles import services as roles
from lti_tool.roles.models import Skill

NOTE_MAX = 300
MESSAGE_MAX = 2000
HORIZON_DAYS = 3 * 365
FULL_CODES = frozenset({"maxenrolledreached"})


class NotFound(LookupError):
    pass


class Forbidden(PermissionError):
    pass


def item_key(item_id: int) -> str:
    return f"catalog:{item_id}"


def _event(action: str, row: PlanItem, actor: Actor, *, detail: str = "", to: str = "") -> None:
    paths.record(
        action,
        actor,
        registration_id=row.registration_id,
        person_id=row.person_id,
        step_key=item_key(row.item_id),
        from_value="",
        to_value=to or row.status,
        detail=detail,
    )


def _gradebook(row: PlanItem, activity: str, done: bool) -> None:
    """Queue the plan item's progress for every line item kept for it in the person's courses
    (none: nothing is sent)."""
    grades.record_progress(
        db.session,
        row.person,
        item_key(row.item_id),
        1.0 if done else None,
        1.0 if done else None,
        activity,
        "FullyGraded" if done else "NotReady",
        label=row.item.title,
    )


# --- reading --------------------------------------------------------------------------------


def plan_of(person_id: int) -> list[PlanItem]:
    order = {s.value: i for i, s in enumerate(PlanStatus)}
    rows = list(
        db.session.scalars(
            select(PlanItem)
            .where(PlanItem.person_id == person_id)
            .options(selectinload(PlanItem.item), selectinload(PlanItem.goal_skill))
        )
    )
    return sorted(
        rows,
        key=lambda r: (
            r.status == PlanStatus.COMPLETED.value,
            r.target_date or date.max,
            order.get(r.status, 9),
            r.id,
        ),
    )


def entry(pk: int, person_id: int) -> PlanItem:
    row = db.session.get(PlanItem, pk)
    if row is None or row.person_id != person_id:
        raise NotFound(pk)
    return row


def entry_for_item(person_id: int, item_id: int) -> PlanItem | None:
    return db.session.scalar(
        select(PlanItem).where(PlanItem.person_id == person_id, PlanItem.item_id == item_id)
    )


def pending_request(plan_item_id: int) -> EnrolmentRequest | None:
    return db.session.scalar(
        select(EnrolmentRequest).where(
            EnrolmentRequest.plan_item_id == plan_item_id,
            EnrolmentRequest.status == RequestStatus.PENDING.value,
        )
    )


def latest_requests(plan_item_ids: Iterable[int]) -> dict[int, EnrolmentRequest]:
    ids = list(plan_item_ids)
    found: dict[int, EnrolmentRequest] = {}
    if not ids:
        return found
    for row in db.session.scalars(
        select(EnrolmentRequest)
        .where(EnrolmentRequest.plan_item_id.in_(ids))
        .order_by(EnrolmentRequest.id)
    ):
        found[row.plan_item_id] = row
    return found


@dataclass(frozen=True)
class Progress:
    total: int
    completed: int

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.total) if self.total else 0


@functools.cache
def _progress_query() -> Any:
    """Built once: the home page asks it on every launch."""
    return (
        select(PlanItem.status, func.count())
        .where(PlanItem.person_id == bindparam("person_id"))
        .group_by(PlanItem.status)
    )


def progress(person_id: int) -> Progress:
    rows = db.session.execute(_progress_query(), {"person_id": person_id}).all()
    total = sum(count for _s, count in rows)
    done = sum(count for status, count in rows if status == PlanStatus.COMPLETED.value)
    return Progress(total, done)


# --- adding and removing --------------------------------------------------------------------


@dataclass(frozen=True)
class AddForm:
    goal_kind: str
    goal_skill_id: str = ""
    goal_note: str = ""
    target_date: str = ""


def add(
    registration_id: int,
    person: Person,
    item: CatalogItem,
    form: AddForm,
    actor: Actor,
    *,
    lms_user: str = "",
) -> tuple[PlanItem | None, dict[str, str]]:
    """Add an item to the person's plan. `lms_user` is their id in the LMS's API (from the
    launch), kept so that a leader's approval or the completion job can act for them."""
    errors: dict[str, str] = {}
    if item.hidden or item.gone_at is not None:
        errors["item"] = _("This item is no longer offered, so it cannot be added.")
    if entry_for_item(person.id, item.id) is not None:
        errors["item"] = _("It is already in your plan.")
    try:
        kind = GoalKind(form.goal_kind)
    except ValueError:
        kind = None
        errors["goal_kind"] = _("Choose what it is for: your career goal, a skill or an interest.")
    skill: Skill | None = None
    if form.goal_skill_id:
        pk = as_id(form.goal_skill_id)
        skill = db.session.get(Skill, pk) if pk is not None else None
        if skill is None:
            errors["goal_skill_id"] = _("Choose a skill from the list.")
    if kind is GoalKind.SKILL_GAP and skill is None and "goal_skill_id" not in errors:
        errors["goal_skill_id"] = _("Choose the skill you want to grow.")
    note = form.goal_note.strip()
    if kind is GoalKind.INTEREST and not note:
        errors["goal_note"] = _("Say in a few words what interests you about it.")
    if len(note) > NOTE_MAX:
        errors["goal_note"] = _("Use at most %(num)s characters.", num=NOTE_MAX)
    target: date | None = None
    raw = form.target_date.strip()
    if not raw:
        errors["target_date"] = _("Choose the date you want to finish by.")
    else:
        try:
            target = date.fromisoformat(raw)
        except ValueError:
            errors["target_date"] = _("Give a date like 2026-06-30.")
        else:
            today = utcnow().date()
            if target < today:
                errors["target_date"] = _("Choose today or a later date.")
            elif target > today + timedelta(days=HORIZON_DAYS):
                errors["target_date"] = _("Choose a date within three years.")
    if errors or kind is None:
        return None, errors
    row = PlanItem(
        registration_id=registration_id,
        person_id=person.id,
        item_id=item.id,
        goal_kind=kind.value,
        goal_skill_id=skill.id if skill else None,
        goal_note=note,
        target_date=target,
        status=PlanStatus.PLANNED.value,
        lms_user_id=lms_user[:100],
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    _event("plan_added", row, actor, detail=item.title)
    return row, {}


def remove(row: PlanItem, actor: Actor) -> None:
    for request in db.session.scalars(
        select(EnrolmentRequest).where(EnrolmentRequest.plan_item_id == row.id)
    ):
        db.session.delete(request)
    _event("plan_removed", row, actor, detail=row.item.title, to="removed")
    db.session.delete(row)
    db.session.flush()


# --- enrolling ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    ask_leader: bool = False  # Wayfinder cannot enrol: offer to ask the leader
    connect: str = ""  # the person's own LMS authority would help: "canvas" or "moodle"
    lms_page: str = ""  # the LMS's own enrolment page, where only the person can enrol


def lms_user_id(platform: str, sub: str, custom: dict[str, str]) -> str:
    """The person's id in the LMS's API: Moodle's is the LTI sub; Canvas sends
    $Canvas.user.id as the custom parameter canvas_user_id."""
    if platform == "canvas":
        return (custom.get("canvas_user_id") or "").strip()
    return sub


def _full(row: CatalogItem) -> bool:
    if row.capacity is None:
        return False
    taken = (
        db.session.scalar(
            select(func.count())
            .select_from(PlanItem)
            .where(
                PlanItem.item_id == row.id,
                PlanItem.status.in_((PlanStatus.ENROLLED.value, PlanStatus.COMPLETED.value)),
            )
        )
        or 0
    )
    return taken >= row.capacity


def _refusal(error: AdapterError) -> Outcome:
    """What the learner reads when the LMS says no; their plan keeps the item either way."""
    kept = " " + _("It stays in your plan.")
    platform = "canvas" if error.asked.startswith("canvas") else "moodle"
    if error.code == PERSON_TOKEN or (
        error.kind is ErrorKind.AUTH and error.asked.startswith("canvas oauth")
    ):
        if platform == "canvas":
            return Outcome(
                False,
                _(
                    "Only you can enrol yourself in this Canvas course, so Wayfinder needs your "
                    "permission: use “Connect your Canvas account” on this page, then try again."
                )
                + kept,
                connect="canvas",
            )
        return Outcome(
            False,
            _(
                "Moodle no longer accepts the token you gave Wayfinder (it expired or was "
                "removed), so it was forgotten. Give a new one, or enrol on Moodle's own page."
            )
            + kept,
            connect="moodle",
        )
    if error.code == SELF_ENROL_ONLY:
        return Outcome(
            False,
            _(
                "This course lets people enrol only themselves in Moodle. Open Moodle's enrolment "
                "page and enrol there: your plan notices it by itself. Or give Wayfinder your own "
                "Moodle token once, and it enrols you from here."
            )
            + kept,
            connect="moodle",
            lms_page=error.answer,
        )
    if error.kind is ErrorKind.AUTH:
        return Outcome(
            False,
            _(
                "Wayfinder's access to the LMS has expired or was withdrawn, so it cannot enrol "
                "you now. Your administrator can see this and what to fix."
            )
            + kept
            + " "
            + _("Try again later."),
        )
    if error.kind is ErrorKind.FORBIDDEN:
        return Outcome(
            False,
            _(
                "The LMS does not allow Wayfinder to enrol you in this course. You can ask your "
                "leader to approve it, and a trainer will enrol you."
            )
            + kept,
            ask_leader=True,
        )
    if error.kind is ErrorKind.UNAVAILABLE:
        return Outcome(
            False,
            _("The LMS is not answering right now.")
            + kept
            + " "
            + _("Try again in a few minutes."),
        )
    if error.kind is ErrorKind.REFUSED and error.code in FULL_CODES:
        return Outcome(
            False,
            _("The course is full.") + kept + " " + _("Try again later or pick another date."),
        )
    if error.kind is ErrorKind.REFUSED:
        refused = (
            _(
                "The LMS refused the enrolment (the LMS said: %(answer)s). You can ask your "
                "leader to approve it, and a trainer will enrol you.",
                answer=error.answer[:200],
            )
            if error.answer
            else _(
                "The LMS refused the enrolment. You can ask your leader to approve it, and a "
                "trainer will enrol you."
            )
        )
        return Outcome(
            False,
            refused + kept,
            ask_leader=True,
        )
    if error.kind is ErrorKind.NOT_FOUND:
        return Outcome(
            False,
            _(
                "The LMS does not know this course or your account there. Open Wayfinder from "
                "your LMS once more, or tell your trainer."
            )
            + kept,
        )
    return Outcome(
        False,
        _("The LMS gave an answer Wayfinder could not read.") + kept + " " + _("Try again later."),
    )


TENANT_PROBLEMS = frozenset({ErrorKind.AUTH, ErrorKind.FORBIDDEN, ErrorKind.BAD_ANSWER})


def _enrolled(row: PlanItem, method: str, actor: Actor) -> None:
    row.status = PlanStatus.ENROLLED.value
    row.enrolled_at = utcnow()
    row.enrolment_method = method
    row.problem = ""
    row.enrol_page = ""
    _event("plan_enrolled", row, actor, detail=method)
    _gradebook(row, "Started", done=False)


def enrol(
    row: PlanItem, adapter: LmsAdapter | None, user_id: str, actor: Actor, *, approved: bool = False
) -> Outcome:
    """Enrol the person in a plan item: open for local items (a live session may be full),
    through the adapter for LMS courses. Flushes; the caller commits."""
    item = row.item
    if row.status in (PlanStatus.ENROLLED.value, PlanStatus.COMPLETED.value):
        return Outcome(True, _("You are already enrolled."))
    if row.status == PlanStatus.REQUESTED.value:
        return Outcome(False, _("Your request is waiting for your leader's answer."))
    if item.gone_at is not None or item.hidden:
        return Outcome(
            False,
            _(
                "This item is no longer offered, so Wayfinder cannot enrol you. It stays in your "
                "plan."
            ),
        )
    approved = approved or row.status == PlanStatus.APPROVED.value
    if item.needs_approval and not approved:
        return Outcome(False, _("This item needs your leader's approval first."), ask_leader=True)
    if item.is_local:
        if _full(item):
            row.problem = ngettext(
                "This live session is full (%(num)s place). It stays in your plan; try again if "
                "a place frees up.",
                "This live session is full (%(num)s places). It stays in your plan; try again "
                "if a place frees up.",
                item.capacity or 0,
            )
            db.session.flush()
            return Outcome(False, row.problem)
        _enrolled(row, "open", actor)
        db.session.flush()
        return Outcome(True, _("You are in: %(title)s.", title=item.title))
    if adapter is None:
        return Outcome(
            False,
            _(
                "Wayfinder has no access to enrol people in LMS courses here. Ask your leader to "
                "approve it, and a trainer will enrol you."
            ),
            ask_leader=True,
        )
    if not user_id:
        row.problem = _(
            "Wayfinder does not know your account in the LMS yet. Open Wayfinder from your LMS "
            "course once more, then try again."
        )
        db.session.flush()
        return Outcome(False, row.problem)
    try:
        result = adapter.enrol(item.external_id, user_id)
    except AdapterError as error:
        outcome = _refusal(error)
        if error.kind in TENANT_PROBLEMS and not outcome.connect:
            access.record_problem(row.registration_id, error)
        row.problem = outcome.message
        row.enrol_page = outcome.lms_page[:500]
        row.lms_user_id = row.lms_user_id or user_id
        _event("plan_enrol_failed", row, actor, detail=f"{error.kind.value} {error.code}".strip())
        db.session.flush()
        return outcome
    row.lms_user_id = user_id
    _enrolled(row, result.method.value, actor)
    db.session.flush()
    return Outcome(
        True, _("You are enrolled in %(title)s. Open it from your plan.", title=item.title)
    )


def ask_leader(registration_id: int, row: PlanItem, reason: str, actor: Actor) -> dict[str, str]:
    reason = reason.strip()
    if row.status not in (PlanStatus.PLANNED.value,):
        return {"reason": _("This item is not waiting for an enrolment.")}
    if not reason:
        return {"reason": _("Say in a sentence why you want it, for your leader.")}
    if len(reason) > MESSAGE_MAX:
        return {"reason": _("Use at most %(num)s characters.", num=MESSAGE_MAX)}
    leader = roles.team_leader_of(row.person_id)
    db.session.add(
        EnrolmentRequest(
            registration_id=registration_id,
            plan_item_id=row.id,
            person_id=row.person_id,
            leader_id=leader.id if leader else None,
            reason=reason,
            status=RequestStatus.PENDING.value,
            created_at=utcnow(),
        )
    )
    row.status = PlanStatus.REQUESTED.value
    row.problem = ""
    _event("plan_requested", row, actor, detail=leader.display_name if leader else "trainers")
    db.session.flush()
    return {}


def withdraw(row: PlanItem, actor: Actor) -> bool:
    request = pending_request(row.id)
    if request is None:
        return False
    request.status = RequestStatus.WITHDRAWN.value
    request.decided_at = utcnow()
    row.status = PlanStatus.PLANNED.value
    _event("plan_withdrawn", row, actor)
    db.session.flush()
    return True


# --- deciding requests ----------------------------------------------------------------------


def may_decide(request: EnrolmentRequest, decider_id: int, is_staff: bool) -> bool:
    """The learner's team leader decides; with no leader, instructors and administrators."""
    if request.person_id == decider_id:
        return False
    leader = roles.team_leader_of(request.person_id)
    return leader.id == decider_id if leader is not None else is_staff


def requests_to_decide(decider_id: int, is_staff: bool) -> list[EnrolmentRequest]:
    pending = db.session.scalars(
        select(EnrolmentRequest)
        .where(EnrolmentRequest.status == RequestStatus.PENDING.value)
        .options(selectinload(EnrolmentRequest.plan_item).selectinload(PlanItem.item))
        .order_by(EnrolmentRequest.created_at, EnrolmentRequest.id)
    )
    return [r for r in pending if may_decide(r, decider_id, is_staff)]


def request(pk: int) -> EnrolmentRequest:
    row = db.session.get(EnrolmentRequest, pk)
    if row is None:
        raise NotFound(pk)
    return row


def decide(
    row: EnrolmentRequest,
    approve: bool,
    message: str,
    *,
    decider: Person,
    is_staff: bool,
    adapter: LmsAdapter | None,
) -> tuple[dict[str, str], Outcome | None]:
    """Approve (Wayfinder then enrols the person where it can) or decline with a message the
    learner sees. Returns (errors, the enrolment's outcome after an approval)."""
    if not may_decide(row, decider.id, is_staff):
        raise Forbidden(row.id)
    message = message.strip()
    if row.status != RequestStatus.PENDING.value:
        return {"message": _("This request was already decided or withdrawn.")}, None
    if not approve and not message:
        return {"message": _("Tell them why, so they know what to do next.")}, None
    if len(message) > MESSAGE_MAX:
        return {"message": _("Use at most %(num)s characters.", num=MESSAGE_MAX)}, None
    actor = Actor(decider.display_name, decider.id, is_staff)
    row.status = (RequestStatus.APPROVED if approve else RequestStatus.DECLINED).value
    row.decided_at = utcnow()
    row.decided_by = decider.display_name
    row.decided_by_person_id = decider.id
    row.message = message
    entry = row.plan_item
    if not approve:
        entry.status = PlanStatus.PLANNED.value
        _event("plan_declined", entry, actor, detail=message)
        db.session.flush()
        return {}, None
    entry.status = PlanStatus.APPROVED.value
    _event("plan_approved", entry, actor, detail=message)
    # What the enrolment writes in their plan is theirs to read, in their language.
    with speaking_to(entry.person):
        outcome = enrol(
            entry, adapter, entry.lms_user_id or _known_user_id(entry), actor, approved=True
        )
        if not outcome.ok:
            entry.problem = _(
                "Approved by %(name)s. Wayfinder could not enrol you by itself: %(problem)s A "
                "trainer can enrol you in the LMS, or try again from your plan.",
                name=decider.display_name,
                problem=outcome.message,
            )
    db.session.flush()
    return {}, outcome


def _known_user_id(entry: PlanItem) -> str:
    """For Moodle the LMS id is the LTI sub; for Canvas only what a launch told us."""
    source = access.source(entry.registration_id)
    if source is not None and source.platform in ("moodle", access.DEMO_PLATFORM):
        return entry.person.sub
    return entry.lms_user_id


# --- completion -----------------------------------------------------------------------------


def mark_done(row: PlanItem, actor: Actor) -> str:
    """Learners mark local items (links, documents, videos, sessions) done themselves; LMS
    courses complete when the LMS says so. Returns an error message or ""."""
    if not row.item.is_local:
        return _("LMS courses are marked complete when the LMS reports it.")
    if row.status != PlanStatus.ENROLLED.value:
        return _("Start it first: open it from your plan.")
    _completed(row, actor, "self_report")
    db.session.flush()
    return ""


def _completed(row: PlanItem, actor: Actor, evidence: str) -> None:
    row.status = PlanStatus.COMPLETED.value
    row.completed_at = utcnow()
    row.problem = ""
    _event("plan_completed", row, actor, detail=evidence)
    _gradebook(row, "Completed", done=True)


def refresh_completion(rows: Iterable[PlanItem], adapter: LmsAdapter) -> tuple[int, int]:
    """Ask the LMS about enrolled LMS courses; mark those it reports complete. Returns
    (checked, newly completed). Stops at a failure of Wayfinder's access (recorded for the
    administrator); a course the LMS no longer knows is skipped."""
    checked = completed = 0
    lms = Actor("the LMS")
    for row in rows:
        waiting = row.enrol_page and row.status in (
            PlanStatus.PLANNED.value,
            PlanStatus.APPROVED.value,
        )
        if row.item.is_local or not row.lms_user_id:
            continue
        if row.status != PlanStatus.ENROLLED.value and not waiting:
            continue
        try:
            found = adapter.completion(row.item.external_id, row.lms_user_id)
        except AdapterError as error:
            if error.kind in TENANT_PROBLEMS:
                access.record_problem(row.registration_id, error)
            if error.kind is ErrorKind.NOT_FOUND:
                continue
            raise
        checked += 1
        row.completion_checked_at = utcnow()
        if waiting:
            if found.state is CompletionState.NOT_ENROLLED:
                continue
            # They enrolled on the LMS's own page: their plan follows.
            _enrolled(row, "self", lms)
        row.progress_done, row.progress_total = found.done, found.total
        if found.state is CompletionState.COMPLETED:
            _completed(row, lms, "lms")
            completed += 1
    db.session.flush()
    return checked, completed


def enrolled_lms_items(person_id: int | None = None) -> list[PlanItem]:
    query = (
        select(PlanItem)
        .join(CatalogItem, CatalogItem.id == PlanItem.item_id)
        .where(
            or_(
                PlanItem.status == PlanStatus.ENROLLED.value,
                and_(
                    PlanItem.enrol_page != "",
                    PlanItem.status.in_((PlanStatus.PLANNED.value, PlanStatus.APPROVED.value)),
                ),
            ),
            CatalogItem.source == "lms",
        )
        .options(selectinload(PlanItem.item), selectinload(PlanItem.person))
    )
    if person_id is not None:
        query = query.where(PlanItem.person_id == person_id)
    return list(db.session.scalars(query))
