"""Line items and the score outbox.

`record_progress` is what features call when someone's progress on a Wayfinder item changes. It
writes outbox rows in the caller's transaction (adds and flushes, never commits), so a progress
change that rolls back sends nothing and one that commits is never lost. After committing, the
caller hands the work to a worker with `jobs.dispatch_sync(registration_id)` (the polling worker
and the scheduler pick it up anyway). Pending scores for the same person and line item coalesce:
only the newest is sent (AGS scores replace each other, so nothing is counted twice).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, scoped_session

from lti_tool.extensions import db
from lti_tool.grades import clock
from lti_tool.grades.models import LineItem, ScoreSend, SendState
from lti_tool.i18n import _
from lti_tool.jobs import wording
from lti_tool.lti.models import utcnow
from lti_tool.people.models import Course, Membership, Person

ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")
UNFINISHED = (SendState.PENDING, SendState.SENDING, SendState.FAILED)


# The caller's session: db.session (scoped) or a plain Session.
DbSession = Session | scoped_session[Any]


class GradeError(ValueError):
    """A score or line item that cannot be recorded, said in plain words."""


# -- where the gradebook is ----------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """A course's gradebook: its AGS line items URL and the scopes the platform granted."""

    lineitems_url: str
    scopes: list[str]


def endpoint_values(lineitems_url: str, scopes: Iterable[str]) -> dict[str, Any]:
    """The Course columns for an AGS claim (the launch assigns them where they changed)."""
    return {"ags_lineitems_url": lineitems_url, "ags_scopes": sorted(set(scopes))}


def remember_endpoint(
    session: DbSession,
    registration_id: int,
    course_id: int,
    lineitems_url: str,
    scopes: Iterable[str],
) -> bool:
    """Record the course's AGS line items URL and granted scopes (launches do this themselves
    in lti.services.complete_launch; this is for the CLI, the demo and tests). Writes only
    when something changed. Returns whether it wrote."""
    course = session.get(Course, course_id)
    if course is None or course.registration_id != registration_id:
        raise GradeError("There is no such course.")
    changed = False
    for attr, value in endpoint_values(lineitems_url, scopes).items():
        if getattr(course, attr) != value:
            setattr(course, attr, value)
            changed = True
    if changed:
        session.flush()
    return changed


def endpoint(session: DbSession, course_id: int) -> Endpoint | None:
    row = session.execute(
        select(Course.ags_lineitems_url, Course.ags_scopes).where(Course.id == course_id)
    ).first()
    if row is None or not row[0]:
        return None
    return Endpoint(row[0], list(row[1] or []))


def ensure_line_item(
    session: DbSession,
    registration_id: int,
    course_id: int,
    item_key: str,
    *,
    label: str = "",
    score_maximum: float = 100.0,
    resource_link_id: str | None = None,
    create_missing: bool | None = None,
) -> LineItem | None:
    """The line item row for a Wayfinder item in a course (created when new; the platform's
    line item is found or created later by the sender). None when the course's LMS has not
    offered AGS in any launch, so no score can reach its gradebook. `create_missing=False`:
    the LMS makes the column itself (deep linking), the sender only looks it up; None leaves
    an existing row's choice as it is (new rows: True)."""
    item_key = item_key.strip()
    if not item_key or len(item_key) > 200:
        raise GradeError("An item key is 1 to 200 characters.")
    row = session.scalar(
        select(LineItem).where(LineItem.course_id == course_id, LineItem.item_key == item_key)
    )
    if row is None and endpoint(session, course_id) is None:
        return None  # (a kept row means the course's gradebook was known: no need to ask)
    if row is not None:
        if resource_link_id and row.resource_link_id != resource_link_id:
            if row.resource_link_id is not None:
                row.lineitem_url = None  # bound to another link now: look it up again
            row.resource_link_id = resource_link_id
        if create_missing is not None and row.create_missing != create_missing:
            row.create_missing = create_missing
        return row
    row = LineItem(
        registration_id=registration_id,
        course_id=course_id,
        item_key=item_key,
        resource_link_id=resource_link_id,
        label=(label or item_key)[:255],
        score_maximum=score_maximum,
        tag="wayfinder",
        create_missing=True if create_missing is None else create_missing,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = session.scalar(
            select(LineItem).where(LineItem.course_id == course_id, LineItem.item_key == item_key)
        )
        assert existing is not None
        return existing
    return row


# -- recording progress --------------------------------------------------------------------------


def _check(
    score_given: float | None,
    score_maximum: float | None,
    activity_progress: str,
    grading_progress: str,
) -> None:
    if activity_progress not in ACTIVITY_PROGRESS:
        raise GradeError(f"activityProgress must be one of {', '.join(ACTIVITY_PROGRESS)}.")
    if grading_progress not in GRADING_PROGRESS:
        raise GradeError(f"gradingProgress must be one of {', '.join(GRADING_PROGRESS)}.")
    if (score_given is None) != (score_maximum is None):
        raise GradeError("Give both the score and its maximum, or neither.")
    if score_maximum is not None and score_maximum <= 0:
        raise GradeError("The maximum score must be more than 0.")
    if score_given is not None and score_given < 0:
        raise GradeError("A score cannot be negative.")


def record_progress(
    session: DbSession,
    person: Person,
    item_key: str,
    score_given: float | None,
    score_maximum: float | None,
    activity_progress: str,
    grading_progress: str,
    comment: str = "",
    *,
    course_id: int | None = None,
    label: str = "",
    line_item: LineItem | None = None,
) -> list[ScoreSend]:
    """Queue the person's score on a Wayfinder item for the LMS gradebook(s), in the caller's
    transaction (flushed, not committed).

    With `line_item` (from ensure_line_item), the score goes there. With `course_id`, to that
    course's line item for the item (created when needed). Without, it goes to every line item already kept for the item in a course where
    the person is an active member (where the item was placed). Returns the new outbox rows:
    none when no gradebook is connected.
    """
    from lti_tool.grades import jobs as grade_jobs

    _check(score_given, score_maximum, activity_progress, grading_progress)
    registration_id = person.registration_id
    if line_item is not None:
        targets = [line_item]
    elif course_id is not None:
        item = ensure_line_item(
            session,
            registration_id,
            course_id,
            item_key,
            label=label,
            score_maximum=score_maximum or 100.0,
        )
        targets = [item] if item is not None else []
    else:
        targets = list(
            session.scalars(
                select(LineItem).where(
                    LineItem.registration_id == registration_id,
                    LineItem.item_key == item_key,
                    LineItem.course_id.in_(
                        select(Membership.course_id).where(
                            Membership.person_id == person.id, Membership.active.is_(True)
                        )
                    ),
                )
            )
        )
    now = clock.current().now()
    rows = []
    for item in targets:
        # Coalesce: a score still waiting for the same person and line item will never be
        # worth sending now. Only rows nobody is sending are touched.
        session.execute(
            update(ScoreSend)
            .where(
                ScoreSend.line_item_id == item.id,
                ScoreSend.person_id == person.id,
                ScoreSend.state == SendState.PENDING,
            )
            .values(
                state=SendState.SUPERSEDED,
                next_try_at=None,
                last_error="Replaced by a newer score before it was sent.",
            )
            .execution_options(synchronize_session=False)
        )
        row = ScoreSend(
            registration_id=registration_id,
            line_item_id=item.id,
            person_id=person.id,
            user_id=person.sub,
            score_given=score_given,
            score_maximum=score_maximum,
            activity_progress=activity_progress,
            grading_progress=grading_progress,
            comment=comment[:1000],
            state=SendState.PENDING,
            recorded_at=now,
            attempts=0,
            conflicts=0,
            uncertain=False,
            next_try_at=now,
            last_error="",
        )
        session.add(row)
        rows.append(row)
    if rows:
        session.flush()
        grade_jobs.request_sync(registration_id)
        grade_jobs.dispatch_after_commit(session, registration_id)
    return rows


# -- the admin's view of the outbox --------------------------------------------------------------


@dataclass(frozen=True)
class OutboxRow:
    send: ScoreSend
    person: Person
    line_item: LineItem
    course: Course


def outbox_page(registration_id: int, page: int, per_page: int = 25) -> tuple[list[OutboxRow], int]:
    """Unsent scores of one tenant: failed first (they need someone), then by next try."""
    where = (
        ScoreSend.registration_id == registration_id,
        ScoreSend.state.in_(UNFINISHED),
    )
    total = db.session.scalar(select(func.count()).select_from(ScoreSend).where(*where)) or 0
    rows = db.session.execute(
        select(ScoreSend, Person, LineItem, Course)
        .join(Person, Person.id == ScoreSend.person_id)
        .join(LineItem, LineItem.id == ScoreSend.line_item_id)
        .join(Course, Course.id == LineItem.course_id)
        .where(*where)
        .order_by((ScoreSend.state == SendState.FAILED).desc(), ScoreSend.next_try_at, ScoreSend.id)
        .limit(per_page)
        .offset(max(0, page - 1) * per_page)
    )
    return [OutboxRow(*row) for row in rows], total


def counts(registration_id: int | None) -> dict[str, int]:
    query = select(ScoreSend.state, func.count()).group_by(ScoreSend.state)
    if registration_id is not None:
        query = query.where(ScoreSend.registration_id == registration_id)
    return {state.value: count for state, count in db.session.execute(query)}


class NotRetryable(Exception):
    pass


def _requeue(row: ScoreSend, now: datetime) -> None:
    row.state = SendState.PENDING
    row.next_try_at = now
    row.attempts = 0
    row.conflicts = 0
    row.last_error = "Queued again by hand. " + row.last_error


def retry_send(registration_id: int, send_id: int) -> ScoreSend:
    """An admin's retry of one failed send (flushed; the caller commits and dispatches)."""
    row = db.session.scalar(
        select(ScoreSend).where(
            ScoreSend.id == send_id, ScoreSend.registration_id == registration_id
        )
    )
    if row is None:
        raise NotRetryable("There is no such score send.")
    if row.state is not SendState.FAILED:
        raise NotRetryable("Only failed sends can be retried; this one is not failed.")
    _requeue(row, clock.current().now())
    db.session.flush()
    from lti_tool.grades import jobs as grade_jobs

    grade_jobs.request_sync(registration_id)
    return row


def retry_failed(registration_id: int | None) -> int:
    """Every failed send of a tenant (or, from the CLI, of every tenant) queued again."""
    query = select(ScoreSend).where(ScoreSend.state == SendState.FAILED)
    if registration_id is not None:
        query = query.where(ScoreSend.registration_id == registration_id)
    rows = list(db.session.scalars(query))
    now = clock.current().now()
    for row in rows:
        _requeue(row, now)
    db.session.flush()
    from lti_tool.grades import jobs as grade_jobs

    for tenant in {row.registration_id for row in rows}:
        grade_jobs.request_sync(tenant)
    return len(rows)


def describe_score(send: ScoreSend) -> str:
    if send.score_given is None or send.score_maximum is None:
        return _("%(progress)s, no score", progress=send.activity_progress)
    return f"{send.score_given:g} / {send.score_maximum:g} ({send.activity_progress})"


def plain_reason(message: str) -> str:
    """Why a score did not reach the gradebook, in words for the learner: the LMS's own
    explanation when its answer carried one (JSON ``error_description``, ``error``), never the
    addresses and raw answers that the admin's Grade sync tab shows."""
    _before, dash, body = message.partition(" — ")
    if dash:
        try:
            found = json.loads(body)
        except ValueError:
            found = None
        if isinstance(found, dict):
            for key in ("error_description", "errorMessage", "message", "error"):
                if isinstance(found.get(key), str) and found[key].strip():
                    return found[key].strip()[:200]
    if "http" not in message.lower() and "{" not in message:
        # Wayfinder's own words ("Replaced by a newer score ..."), in the page's language
        return wording.shown(message[:200])
    return _("your LMS did not take it")
