"""Coaching and shadowing: offers, slots, bookings, sign-offs, cancellations and no-shows.
Plain functions over the current tenant's session (the request scopes it); they add and flush,
the view commits once.

Who may do what
---------------
- Anyone launched offers coaching or shadowing on skills and adds, changes or removes slots of
  their own offers (a change to a booked slot notifies the learner; removing one cancels its
  session with the reason given).
- Anyone but the coach books a free slot: at once when the offer says "book directly",
  otherwise as a request the coach confirms or declines (with a reason).
- Either side cancels a live session, with a reason; the slot is free again.
- After the slot's start time, either side ticks the checklist and signs off; once both did, the
  session is *completed* and counts as evidence (``_record_evidence``). Either side may instead
  mark the *other* side as a no-show (never evidence).
- A session is seen by its two sides, the learner's team leader, and instructors/administrators.

Evidence: the learner's path step chosen when booking (a coaching step for coaching, a
shadowing step for shadowing), else the first open step of that kind on their paths sharing a
skill with the offer; it is completed through ``lti_tool.paths.services.complete_by_evidence``
(a PathEvent, the step done with evidence "coaching"). Without a matching step the session still
counts for its skills (a PathEvent ``coaching_evidence`` on the learner, shown on their pages).

Notifications (the community's, in the bell): a booking request or a direct booking (coach), a
confirmation, a decline, a change of time or place, a cancellation (the other side), a
sign-off request (the other side, once one side signed off), a no-show (the absent side).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from lti_tool import timezones
from lti_tool.coaching.models import (
    ABSENT,
    COUNTS_FOR_SKILL,
    COUNTS_FOR_SKILLS,
    COUNTS_FOR_STEP,
    WITHDRAWN,
    Booking,
    CoachingOffer,
    CoachingSession,
    CoachingSlot,
    OfferKind,
    SessionStatus,
)
from lti_tool.community.models import Notification
from lti_tool.extensions import db
from lti_tool.i18n import _, _l, date_text
from lti_tool.i18n_stored import written
from lti_tool.insights.events import record_event
from lti_tool.insights.models import Verb
from lti_tool.lti.models import utcnow
from lti_tool.numbers import as_id, whole_number
from lti_tool.paths import services as paths
from lti_tool.paths.models import PathNode, StepKind
from lti_tool.people.models import Person
from lti_tool.roles import services as roles
from lti_tool.roles.models import Skill
from lti_tool.web_address import is_web_address

TITLE_MAX = 200
TEXT_MAX = 4000
PLACE_MAX = 500
REASON_MAX = 1000
CHECKLIST_MAX = 30
MINUTES_MIN, MINUTES_MAX = 10, 8 * 60
SLOTS_AHEAD_DAYS = 366
PAGE_SIZE = 20


class NotFound(LookupError):
    pass


class Forbidden(PermissionError):
    pass


class Refused(ValueError):
    """Not allowed now; the message says why in plain words."""


class Invalid(Refused):
    """The form itself is wrong (a missing reason, a note too long): the person corrects the
    named field and sends it again. Anything else refused is a clash with the state of things."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Actor:
    registration_id: int
    person_id: int
    name: str
    is_staff: bool = False  # instructor or administrator

    def for_paths(self) -> paths.Actor:
        return paths.Actor(self.name, self.person_id, self.is_staff)


# --- times ----------------------------------------------------------------------------------


def to_local(moment: datetime, tz: ZoneInfo) -> datetime:
    """A stored (naive UTC) time in ``tz``, the zone of the person reading it."""
    return timezones.local(moment, tz)


def _parse_start(day: str, at: str, tz: ZoneInfo, errors: dict[str, str]) -> datetime | None:
    try:
        parsed_day = date.fromisoformat(day.strip())
    except ValueError:
        errors["day"] = _("Give the date, for example 2026-12-14.")
        parsed_day = None
    try:
        parsed_time = time.fromisoformat(at.strip())
    except ValueError:
        errors["at"] = _("Give the time as hours and minutes, for example 14:30.")
        parsed_time = None
    if parsed_day is None or parsed_time is None:
        return None
    return timezones.stored(
        datetime.combine(parsed_day, parsed_time.replace(second=0, microsecond=0)), tz
    )


# --- notifications --------------------------------------------------------------------------

# Read by lti_tool.community.services.notification_text, which fills in {actor}; lazy, so each
# reader sees them in their own language. The session's kind and title follow the text.
NOTIFICATION_TEXT = {
    "coach_requested": _l("{actor} asks to book your session"),
    "coach_booked": _l("{actor} booked your session"),
    "coach_confirmed": _l("{actor} confirmed your session"),
    "coach_declined": _l("{actor} declined your request for"),
    "coach_changed": _l("{actor} changed the time or place of"),
    "coach_cancelled": _l("{actor} cancelled"),
    "coach_signoff": _l("{actor} signed off and asks for your sign-off on"),
    "coach_completed": _l("Both of you signed off"),
    "coach_no_show": _l("{actor} marked you as not attending"),
}


def _notify(actor: Actor, person_id: int, kind: str, row: CoachingSession) -> None:
    if person_id == actor.person_id:
        return
    db.session.add(
        Notification(
            registration_id=row.registration_id,
            person_id=person_id,
            kind=kind,
            actor_id=actor.person_id,
            coaching_session_id=row.id,
        )
    )


def _other_side(row: CoachingSession, person_id: int) -> int:
    return row.learner_id if person_id == row.coach_id else row.coach_id


# --- offers ---------------------------------------------------------------------------------


def offer(pk: int) -> CoachingOffer:
    row = db.session.get(CoachingOffer, pk)
    if row is None:
        raise NotFound(pk)
    return row


def slot(pk: int) -> CoachingSlot:
    row = db.session.get(CoachingSlot, pk)
    if row is None or row.removed_at is not None:
        raise NotFound(pk)
    return row


def session_row(pk: int) -> CoachingSession:
    row = db.session.get(CoachingSession, pk)
    if row is None:
        raise NotFound(pk)
    return row


@dataclass
class OfferForm:
    kind: str = OfferKind.COACHING.value
    title: str = ""
    description: str = ""
    booking: str = Booking.REQUEST.value
    skill_ids: list[int] = field(default_factory=list)
    checklist: str = ""  # one item a line
    from_step: str = ""  # "<node id>": copy that path step's checklist


def checklist_steps() -> list[PathNode]:
    """Check and shadowing steps of published paths that have checklist items to reuse (the
    newest version of each step key)."""
    from lti_tool.paths.models import PathVersion, VersionStatus

    rows = db.session.scalars(
        select(PathNode)
        .join(PathVersion, PathVersion.id == PathNode.version_id)
        .where(
            PathVersion.status == VersionStatus.PUBLISHED.value,
            PathNode.kind.in_([StepKind.CHECK.value, StepKind.SHADOWING.value]),
        )
        .order_by(PathVersion.number.desc(), PathNode.id)
    )
    seen: dict[str, PathNode] = {}
    for n in rows:
        if n.checklist and n.key not in seen:
            seen[n.key] = n
    return sorted(seen.values(), key=lambda n: n.title)


def _checklist_lines(text: str) -> list[str]:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return [line[:200] for line in lines if line]


def save_offer(
    actor: Actor, row: CoachingOffer | None, form: OfferForm
) -> tuple[CoachingOffer | None, dict[str, str]]:
    if row is not None and row.coach_id != actor.person_id:
        raise Forbidden("offer")
    if row is not None and not row.active:
        raise Refused(_("This offer was withdrawn: make a new offer to give your time again."))
    errors: dict[str, str] = {}
    try:
        kind = OfferKind(form.kind)
    except ValueError:
        errors["kind"] = _("Choose coaching or shadowing.")
        kind = OfferKind.COACHING
    title = " ".join(form.title.split())
    if not title:
        errors["title"] = _("Give it a title, for example De-escalation: your hardest calls.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Use at most %(max)d characters.", max=TITLE_MAX)
    description = form.description.strip()
    if len(description) > TEXT_MAX:
        errors["description"] = _("Use at most %(max)d characters.", max=TEXT_MAX)
    if form.booking not in (Booking.DIRECT.value, Booking.REQUEST.value):
        errors["booking"] = _("Choose how people book.")
    wanted = set(form.skill_ids)
    known = (
        set(db.session.scalars(select(Skill.id).where(Skill.id.in_(wanted)))) if wanted else set()
    )
    if not wanted:
        errors["skills"] = _("Pick at least one skill, so people looking for help find you.")
    elif wanted - known:
        errors["skills"] = _("Pick skills from the list.")
    checklist = _checklist_lines(form.checklist)
    if form.from_step.strip():
        step_id = as_id(form.from_step)
        step = db.session.get(PathNode, step_id) if step_id is not None else None
        if step is None or step.id not in {n.id for n in checklist_steps()}:
            errors["from_step"] = _("Choose one of the listed steps, or none.")
        else:
            checklist += [item for item in step.checklist if item not in checklist]
    if len(checklist) > CHECKLIST_MAX:
        errors["checklist"] = _("Use at most %(max)d items.", max=CHECKLIST_MAX)
    if errors:
        return None, errors
    if row is None:
        row = CoachingOffer(registration_id=actor.registration_id, coach_id=actor.person_id)
        db.session.add(row)
    row.kind = kind.value
    row.title = title
    row.description = description
    row.booking = form.booking
    row.skill_ids = sorted(known)
    row.checklist = checklist
    db.session.flush()
    return row, {}


def withdraw_offer(actor: Actor, row: CoachingOffer, reason: str) -> int:
    """The coach stops offering: free slots go, booked ones are cancelled with the reason.
    Returns how many sessions were cancelled."""
    if row.coach_id != actor.person_id:
        raise Forbidden("offer")
    if not row.active:
        raise Refused(_("This offer is withdrawn already."))
    if booked_slots(row) and not reason.strip():
        raise Invalid(
            _("Say why, for the people who booked: their sessions are cancelled."), "reason"
        )
    cancelled = 0
    for s in slots_of(row):
        cancelled += remove_slot(actor, s, reason or written(WITHDRAWN))
    row.active = False
    db.session.flush()
    return cancelled


def offers(skill_id: int | None = None, exclude_coach: int | None = None) -> list[CoachingOffer]:
    """Active offers (with their coach), newest first; optionally for one skill."""
    rows = list(
        db.session.scalars(
            select(CoachingOffer)
            .options(selectinload(CoachingOffer.coach))
            .where(CoachingOffer.active.is_(True))
            .order_by(CoachingOffer.created_at.desc(), CoachingOffer.id.desc())
        )
    )
    if skill_id is not None:
        rows = [o for o in rows if skill_id in (o.skill_ids or [])]
    if exclude_coach is not None:
        rows = [o for o in rows if o.coach_id != exclude_coach]
    return rows


def offers_of(person_id: int) -> list[CoachingOffer]:
    return list(
        db.session.scalars(
            select(CoachingOffer)
            .where(CoachingOffer.coach_id == person_id, CoachingOffer.active.is_(True))
            .order_by(CoachingOffer.created_at.desc())
        )
    )


def booked_slots(row: CoachingOffer) -> list[CoachingSlot]:
    """The offer's slots held by a live session (requested or confirmed); a slot whose session
    is done, declined or cancelled is not booked any more."""
    return [
        s for s in slots_of(row) if (held := live_session_for(s)) is not None and held.state.live
    ]


def slots_of(row: CoachingOffer, *, upcoming_only: bool = False) -> list[CoachingSlot]:
    query = select(CoachingSlot).where(
        CoachingSlot.offer_id == row.id, CoachingSlot.removed_at.is_(None)
    )
    if upcoming_only:
        query = query.where(CoachingSlot.starts_at > utcnow())
    return list(db.session.scalars(query.order_by(CoachingSlot.starts_at, CoachingSlot.id)))


def free_slot_counts(offer_ids: Iterable[int]) -> dict[int, int]:
    ids = list(offer_ids)
    if not ids:
        return {}
    counts: dict[int, int] = {}
    for offer_id in db.session.scalars(
        select(CoachingSlot.offer_id).where(
            CoachingSlot.offer_id.in_(ids),
            CoachingSlot.removed_at.is_(None),
            CoachingSlot.session_id.is_(None),
            CoachingSlot.starts_at > utcnow(),
        )
    ):
        counts[offer_id] = counts.get(offer_id, 0) + 1
    return counts


# --- slots ----------------------------------------------------------------------------------


@dataclass
class SlotForm:
    day: str = ""
    at: str = ""
    minutes: str = "30"
    place: str = ""


def _slot_values(
    form: SlotForm, tz: ZoneInfo, now: datetime
) -> tuple[datetime | None, int, str, dict[str, str]]:
    errors: dict[str, str] = {}
    starts = _parse_start(form.day, form.at, tz, errors)
    if starts is not None:
        if starts <= now:
            errors["day"] = _("Choose a time in the future.")
        elif starts > now + timedelta(days=SLOTS_AHEAD_DAYS):
            errors["day"] = _("Choose a time within the next year.")
    minutes = whole_number(form.minutes) or 0
    if not MINUTES_MIN <= minutes <= MINUTES_MAX:
        errors["minutes"] = _(
            "Give the length in minutes, from %(min)d to %(max)d.", min=MINUTES_MIN, max=MINUTES_MAX
        )
    place = " ".join(form.place.split())
    if not place:
        errors["place"] = _("Say where: a desk or room, or the call link (https://\u2026).")
    elif len(place) > PLACE_MAX:
        errors["place"] = _("Use at most %(max)d characters.", max=PLACE_MAX)
    elif "://" in place and not is_web_address(place):
        errors["place"] = _("A call link starts with https://.")
    return starts, minutes, place, errors


def _overlaps(coach_id: int, starts: datetime, minutes: int, ignore: int | None) -> bool:
    ends = starts + timedelta(minutes=minutes)
    for other in db.session.scalars(
        select(CoachingSlot)
        .join(CoachingOffer, CoachingOffer.id == CoachingSlot.offer_id)
        .where(
            CoachingOffer.coach_id == coach_id,
            CoachingSlot.removed_at.is_(None),
            CoachingSlot.starts_at < ends,
            CoachingSlot.starts_at > starts - timedelta(minutes=MINUTES_MAX),
        )
    ):
        if other.id != ignore and other.ends_at > starts:
            return True
    return False


def add_slot(
    actor: Actor, row: CoachingOffer, form: SlotForm, tz: ZoneInfo
) -> tuple[CoachingSlot | None, dict[str, str]]:
    if row.coach_id != actor.person_id:
        raise Forbidden("slot")
    if not row.active:
        raise Refused(_("This offer was withdrawn."))
    starts, minutes, place, errors = _slot_values(form, tz, utcnow())
    if starts is not None and not errors and _overlaps(row.coach_id, starts, minutes, None):
        errors["at"] = _("You already have a slot at that time.")
    if errors or starts is None:
        return None, errors
    new = CoachingSlot(
        registration_id=row.registration_id,
        offer_id=row.id,
        starts_at=starts,
        minutes=minutes,
        place=place,
    )
    db.session.add(new)
    db.session.flush()
    return new, {}


def change_slot(actor: Actor, row: CoachingSlot, form: SlotForm, tz: ZoneInfo) -> dict[str, str]:
    """The coach moves a slot or changes its place; a booked slot's learner is told."""
    if row.offer.coach_id != actor.person_id:
        raise Forbidden("slot")
    starts, minutes, place, errors = _slot_values(form, tz, utcnow())
    if starts is not None and not errors and _overlaps(row.offer.coach_id, starts, minutes, row.id):
        errors["at"] = _("You already have a slot at that time.")
    if errors or starts is None:
        return errors
    changed = (row.starts_at, row.minutes, row.place) != (starts, minutes, place)
    row.starts_at, row.minutes, row.place = starts, minutes, place
    live = db.session.get(CoachingSession, row.session_id) if row.session_id else None
    if live is not None and changed:
        live.starts_at, live.minutes = starts, minutes
        _notify(actor, live.learner_id, "coach_changed", live)
    db.session.flush()
    return {}


def remove_slot(actor: Actor, row: CoachingSlot, reason: str) -> int:
    """The coach removes a slot; a live session on it is cancelled with the reason (1)."""
    if row.offer.coach_id != actor.person_id:
        raise Forbidden("slot")
    cancelled = 0
    if row.session_id is not None:
        live = db.session.get(CoachingSession, row.session_id)
        if live is not None and live.state.live:
            if not reason.strip():
                raise Invalid(_("Say why, for the person who booked it."), "reason")
            cancel(actor, live, reason)
            cancelled = 1
    row.removed_at = utcnow()
    db.session.flush()
    return cancelled


# --- booking --------------------------------------------------------------------------------


@dataclass
class StepChoice:
    """An open step of the learner's paths that a session of this kind can be evidence for."""

    assignment_id: int
    step_key: str
    title: str
    path_title: str
    skill_ids: list[int]

    @property
    def value(self) -> str:
        return f"{self.assignment_id}:{self.step_key}"


def step_choices(learner_id: int, kind: OfferKind) -> list[StepChoice]:
    wanted = StepKind.COACHING if kind is OfferKind.COACHING else StepKind.SHADOWING
    out = []
    for lr in paths.learning_of(learner_id):
        for item in lr.view.root.steps():
            if item.kind is wanted and not item.done and item.node is not None:
                out.append(
                    StepChoice(
                        lr.assignment.id, item.key, item.title, lr.path.title, item.node.skill_ids
                    )
                )
    return out


def _matched_step(choices: list[StepChoice], skill_ids: Iterable[int]) -> StepChoice | None:
    wanted = set(skill_ids)
    return next((c for c in choices if wanted & set(c.skill_ids)), None)


class AlreadyBooked(Exception):
    """The person booked this slot already (a second click): their session."""

    def __init__(self, session: CoachingSession) -> None:
        super().__init__(_("You booked this slot already: here is your session."))
        self.session = session


def book(actor: Actor, row: CoachingSlot, note: str = "", step: str = "") -> CoachingSession:
    """Take a free slot: confirmed at once when the offer says so, else a request. ``step`` is
    "<assignment id>:<step key>" of the learner's path (optional)."""
    o = row.offer
    if o.coach_id == actor.person_id:
        raise Refused(_("This is your own slot: share its page with the people you coach."))
    if row.session_id is not None:
        held = db.session.get(CoachingSession, row.session_id)
        if held is not None and held.learner_id == actor.person_id:
            raise AlreadyBooked(held)
    if not o.active:
        raise Refused(_("This offer was withdrawn."))
    if row.starts_at <= utcnow():
        raise Refused(_("This slot has already started: choose a later one."))
    note = note.strip()
    if len(note) > TEXT_MAX:
        raise Invalid(_("Use at most %(max)d characters in the note.", max=TEXT_MAX), "note")
    choices = step_choices(actor.person_id, o.offer_kind)
    chosen: StepChoice | None = None
    if step:
        chosen = next((c for c in choices if c.value == step), None)
        if chosen is None:
            raise Invalid(_("Choose one of your own open steps, or none."), "step")
    session = CoachingSession(
        registration_id=row.registration_id,
        slot_id=row.id,
        offer_id=o.id,
        coach_id=o.coach_id,
        learner_id=actor.person_id,
        kind=o.kind,
        status=(SessionStatus.CONFIRMED if o.direct else SessionStatus.REQUESTED).value,
        starts_at=row.starts_at,
        minutes=row.minutes,
        note=note,
        skill_ids=list(o.skill_ids or []),
        assignment_id=chosen.assignment_id if chosen else None,
        step_key=chosen.step_key if chosen else "",
        checklist=[{"text": item, "done": False} for item in (o.checklist or [])],
        confirmed_at=utcnow() if o.direct else None,
    )
    db.session.add(session)
    db.session.flush()
    # Atomic: only one booking takes a free slot, whatever the number of processes.
    taken = db.session.execute(
        update(CoachingSlot)
        .where(
            CoachingSlot.id == row.id,
            CoachingSlot.session_id.is_(None),
            CoachingSlot.removed_at.is_(None),
        )
        .values(session_id=session.id)
        .execution_options(synchronize_session=False)
    )
    if not getattr(taken, "rowcount", 0):
        db.session.delete(session)
        db.session.flush()
        raise Refused(_("Someone else booked this slot a moment ago: choose another one."))
    db.session.refresh(row, ["session_id"])
    _notify(actor, o.coach_id, "coach_booked" if o.direct else "coach_requested", session)
    return session


def _release(row: CoachingSession) -> None:
    db.session.execute(
        update(CoachingSlot)
        .where(CoachingSlot.id == row.slot_id, CoachingSlot.session_id == row.id)
        .values(session_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(row.slot, ["session_id"])


def confirm(actor: Actor, row: CoachingSession) -> None:
    if actor.person_id != row.coach_id:
        raise Forbidden("confirm")
    if row.state is not SessionStatus.REQUESTED:
        raise Refused(_("Only a request waiting for you can be confirmed."))
    row.status = SessionStatus.CONFIRMED.value
    row.confirmed_at = utcnow()
    _notify(actor, row.learner_id, "coach_confirmed", row)
    db.session.flush()


def _end(actor: Actor, row: CoachingSession, status: SessionStatus, reason: str) -> None:
    row.status = status.value
    row.ended_by_id = actor.person_id
    row.ended_at = utcnow()
    row.end_reason = reason.strip()[:REASON_MAX]


def _reason(reason: str, missing: str) -> str:
    """The reason given, stripped; ``missing`` says what to write when there is none."""
    reason = reason.strip()
    if not reason:
        raise Invalid(missing, "reason")
    if len(reason) > REASON_MAX:
        raise Invalid(_("Use at most %(max)d characters.", max=REASON_MAX), "reason")
    return reason


def decline(actor: Actor, row: CoachingSession, reason: str) -> None:
    if actor.person_id != row.coach_id:
        raise Forbidden("decline")
    if row.state is not SessionStatus.REQUESTED:
        raise Refused(_("Only a request waiting for you can be declined."))
    why = _reason(reason, _("Say why you decline: the other person sees it."))
    _end(actor, row, SessionStatus.DECLINED, why)
    _release(row)
    _notify(actor, row.learner_id, "coach_declined", row)
    db.session.flush()


def cancel(actor: Actor, row: CoachingSession, reason: str) -> None:
    """Either side cancels a requested or booked session (the slot is free again)."""
    if actor.person_id not in (row.coach_id, row.learner_id):
        raise Forbidden("cancel")
    if not row.state.live:
        raise Refused(_("This session is no longer booked."))
    why = _reason(reason, _("Say why you cancel: the other person sees it."))
    _end(actor, row, SessionStatus.CANCELLED, why)
    _release(row)
    _notify(actor, _other_side(row, actor.person_id), "coach_cancelled", row)
    db.session.flush()


def _after_start(row: CoachingSession, too_soon: str) -> None:
    """Refused with ``too_soon`` before the session's start."""
    if utcnow() < row.starts_at:
        raise Refused(too_soon)


def mark_no_show(actor: Actor, row: CoachingSession, note: str = "") -> None:
    """One side says the other did not come: the session ends as a no-show, no evidence."""
    if actor.person_id not in (row.coach_id, row.learner_id):
        raise Forbidden("no_show")
    if row.state is not SessionStatus.CONFIRMED:
        raise Refused(_("Only a booked session can be marked as a no-show."))
    _after_start(row, _("You can mark a no-show once the session has started."))
    if (actor.person_id == row.coach_id and row.learner_signed_at) or (
        actor.person_id == row.learner_id and row.coach_signed_at
    ):
        raise Refused(_("The other side signed off: they were there."))
    note = note.strip()
    if len(note) > REASON_MAX:
        raise Invalid(_("Use at most %(max)d characters.", max=REASON_MAX), "note")
    absent = _other_side(row, actor.person_id)
    _end(actor, row, SessionStatus.NO_SHOW, note or written(ABSENT))
    row.absent_id = absent
    _notify(actor, absent, "coach_no_show", row)
    db.session.flush()


def tick(actor: Actor, row: CoachingSession, done_indexes: Iterable[int]) -> None:
    """Either side records which checklist items were covered (before both signed off)."""
    if actor.person_id not in (row.coach_id, row.learner_id):
        raise Forbidden("checklist")
    if row.state is not SessionStatus.CONFIRMED:
        raise Refused(_("The checklist is filled in during a booked session."))
    done = set(done_indexes)
    row.checklist = [
        {"text": item["text"], "done": i in done} for i, item in enumerate(row.checklist or [])
    ]
    db.session.flush()


# Called with the session when both sides have signed it off (same transaction; a hook flushes,
# never commits). Recognition awards its coaching badges here.
session_completed: list[Callable[[CoachingSession], None]] = []


def sign_off(actor: Actor, row: CoachingSession, note: str = "") -> bool:
    """One side signs off. True when this completed the session (both signed off)."""
    if actor.person_id not in (row.coach_id, row.learner_id):
        raise Forbidden("sign_off")
    if row.state is not SessionStatus.CONFIRMED:
        raise Refused(_("Only a booked session can be signed off."))
    _after_start(row, _("You can sign off once the session has started."))
    note = note.strip()
    if len(note) > TEXT_MAX:
        raise Invalid(_("Use at most %(max)d characters.", max=TEXT_MAX), "note")
    as_coach = actor.person_id == row.coach_id
    if as_coach:
        if row.coach_signed_at is not None:
            raise Refused(_("You have signed off already."))
        row.coach_signed_at, row.coach_note = utcnow(), note
    else:
        if row.learner_signed_at is not None:
            raise Refused(_("You have signed off already."))
        row.learner_signed_at, row.learner_note = utcnow(), note
    other = _other_side(row, actor.person_id)
    if row.coach_signed_at is None or row.learner_signed_at is None:
        _notify(actor, other, "coach_signoff", row)
        db.session.flush()
        return False
    row.status = SessionStatus.COMPLETED.value
    row.completed_at = utcnow()
    _record_evidence(row)
    record_coached(row)
    _notify(actor, other, "coach_completed", row)
    db.session.flush()
    for hook in session_completed:
        hook(row)
    return True


def record_coached(row: CoachingSession) -> bool:
    """The learning event of a completed session, the coach's (the learner's is the step it
    completed); once, whoever calls it again (events.backfill does)."""
    assert row.completed_at is not None
    return record_event(
        row.registration_id,
        row.coach_id,
        Verb.COACHED,
        "coaching_session",
        row.id,
        title=row.offer.title if row.offer is not None else "",
        minutes=row.minutes,
        occurred_at=row.completed_at,
    )


def _record_evidence(row: CoachingSession) -> None:
    # Written once, in the language of the person whose sign-off completed the session.
    coach, learner = row.coach.display_name, row.learner.display_name
    what = "shadowing" if row.is_shadowing else "coaching"
    # The day as the learner lived it: the evidence is on their path.
    when = date_text(timezones.local(row.starts_at, timezones.of(row.learner.timezone)), "dd MMM y")
    if row.is_shadowing:
        note = _(
            "Shadowing session with %(coach)s on %(day)s, signed off by both.",
            coach=coach,
            day=when,
        )
        by_name = _("%(coach)s and %(learner)s (shadowing sign-off)", coach=coach, learner=learner)
    else:
        note = _(
            "Coaching session with %(coach)s on %(day)s, signed off by both.", coach=coach, day=when
        )
        by_name = _("%(coach)s and %(learner)s (coaching sign-off)", coach=coach, learner=learner)
    by = paths.Actor(by_name, row.coach_id)
    target: StepChoice | None = None
    if row.assignment_id and row.step_key:
        target = next(
            (
                c
                for c in step_choices(row.learner_id, OfferKind(row.kind))
                if c.assignment_id == row.assignment_id and c.step_key == row.step_key
            ),
            None,
        )
    if target is None:
        target = _matched_step(step_choices(row.learner_id, OfferKind(row.kind)), row.skill_ids)
    skills = [s.name for s in paths.skills_by_id(row.skill_ids or []).values()]
    names = ", ".join(skills)
    if target is not None and paths.complete_by_evidence(
        target.assignment_id, target.step_key, by, evidence="coaching", note=note
    ):
        row.assignment_id, row.step_key = target.assignment_id, target.step_key
        row.evidence_for = written(COUNTS_FOR_STEP, step=target.title, path=target.path_title)[:500]
    else:
        row.assignment_id, row.step_key = None, ""
        counts_for = COUNTS_FOR_SKILL if len(skills) == 1 else COUNTS_FOR_SKILLS
        row.evidence_for = (written(counts_for, names=names) if names else "")[:500]
    paths.record(
        "coaching_evidence",
        by,
        registration_id=row.registration_id,
        person_id=row.learner_id,
        assignment_id=row.assignment_id,
        step_key=row.step_key,
        to_value=what,
        detail=_("%(note)s Skills: %(names)s.", note=note, names=names) if names else note,
    )


# --- reading --------------------------------------------------------------------------------


def may_see(actor: Actor, row: CoachingSession) -> bool:
    if actor.person_id in (row.coach_id, row.learner_id) or actor.is_staff:
        return True
    leader = roles.team_leader_of(row.learner_id)
    return leader is not None and leader.id == actor.person_id


def visible_session(actor: Actor, pk: int) -> CoachingSession:
    row = session_row(pk)
    if not may_see(actor, row):
        raise NotFound(pk)
    return row


_LOADS = (
    selectinload(CoachingSession.coach),
    selectinload(CoachingSession.learner),
    selectinload(CoachingSession.offer),
    selectinload(CoachingSession.slot),
)


@dataclass
class Sessions:
    upcoming: list[CoachingSession]  # requested or booked, not yet over
    to_sign: list[CoachingSession]  # booked, started, not both signed off
    past: list[CoachingSession]


def sessions_of(person_id: int, now: datetime | None = None, past_limit: int = 20) -> Sessions:
    """A person's sessions as coach and as learner."""
    now = now or utcnow()
    mine = or_(CoachingSession.coach_id == person_id, CoachingSession.learner_id == person_id)
    live = list(
        db.session.scalars(
            select(CoachingSession)
            .options(*_LOADS)
            .where(
                mine,
                CoachingSession.status.in_(
                    [SessionStatus.REQUESTED.value, SessionStatus.CONFIRMED.value]
                ),
            )
            .order_by(CoachingSession.starts_at, CoachingSession.id)
        )
    )
    upcoming = [s for s in live if s.starts_at > now or s.state is SessionStatus.REQUESTED]
    to_sign = [s for s in live if s not in upcoming]
    past = list(
        db.session.scalars(
            select(CoachingSession)
            .options(*_LOADS)
            .where(
                mine,
                CoachingSession.status.not_in(
                    [SessionStatus.REQUESTED.value, SessionStatus.CONFIRMED.value]
                ),
            )
            .order_by(CoachingSession.starts_at.desc(), CoachingSession.id.desc())
            .limit(past_limit)
        )
    )
    return Sessions(upcoming, to_sign, past)


def live_session_for(row: CoachingSlot) -> CoachingSession | None:
    return db.session.get(CoachingSession, row.session_id) if row.session_id else None


def skills_by_id(ids: Iterable[int]) -> dict[int, Skill]:
    return paths.skills_by_id(ids)


def people_by_id(ids: Iterable[int]) -> dict[int, Person]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(wanted)))}


def counts_given(person_ids: Iterable[int], since: datetime) -> dict[int, int]:
    """Completed sessions given as coach since a time, per coach."""
    ids = list(person_ids)
    if not ids:
        return {}
    out: dict[int, int] = {}
    for coach_id in db.session.scalars(
        select(CoachingSession.coach_id).where(
            CoachingSession.coach_id.in_(ids),
            CoachingSession.status == SessionStatus.COMPLETED.value,
            CoachingSession.completed_at >= since,
        )
    ):
        out[coach_id] = out.get(coach_id, 0) + 1
    return out


def notification_text(kind: str) -> str | None:
    return NOTIFICATION_TEXT.get(kind)
