"""Learning-path progress to the LMS gradebook (AGS), through the grades outbox.

Whenever a person's progress on a path changes (a step started, completed, waived, signed off,
completed in the LMS, or a move to another version), paths.services calls `progress_changed`
in the same transaction. For each *graded* placement of that path (placements.py) in a course
where the person is an active member, it records the score with grades.record_progress:

- a whole path: the percent complete (0-100); Completed / FullyGraded at 100 %, InProgress /
  Pending before;
- a single step: 100 Completed / FullyGraded once done (or waived), 0 InProgress / Pending while
  started; nothing before it is started.

A score equal to the last one recorded for that person and column is not recorded again, so
nothing reaches the LMS twice for one change (and AGS scores replace each other anyway).
When a placement is first confirmed by a launch of its link, a background job (BACKFILL) runs
`send_current`: everyone's current progress, so progress made before the path was placed
reaches the gradebook too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select

from lti_tool.extensions import db
from lti_tool.grades import services as grades
from lti_tool.grades.models import LineItem, ScoreSend
from lti_tool.i18n import _, ngettext, speaking_to
from lti_tool.i18n import percent as percent_text
from lti_tool.jobs import services as jobs
from lti_tool.jobs.models import Job
from lti_tool.jobs.registry import JobFailed, JobRun, register
from lti_tool.lti.models import utcnow
from lti_tool.paths import rules
from lti_tool.paths.models import Assignment, AssignmentStatus, StepState
from lti_tool.paths.placements import PathPlacement
from lti_tool.people.models import Membership, Person

SCORE_MAXIMUM = 100.0
CHUNK = 500


@dataclass(frozen=True)
class PathScore:
    score: float
    activity: str
    grading: str
    comment: str


def score_for(view: rules.PathView, step_key: str = "") -> PathScore | None:
    """What the gradebook should hold for this learner's path (or one step of it)."""
    if step_key:
        item = view.by_key.get(step_key)
        if item is None or item.is_set:
            return None  # not in the learner's version
        if item.done:
            comment = (
                _("%(step)s: waived.", step=item.title)
                if item.state is StepState.WAIVED
                else _("%(step)s: done.", step=item.title)
            )
            return PathScore(SCORE_MAXIMUM, "Completed", "FullyGraded", comment)
        if item.state is StepState.IN_PROGRESS:
            return PathScore(0.0, "InProgress", "Pending", _("%(step)s: started.", step=item.title))
        return None
    percent = max(0, min(100, view.percent))
    root = view.root
    comment = ngettext(
        "%(percent)s complete: %(done)s of %(num)s step done.",
        "%(percent)s complete: %(done)s of %(num)s steps done.",
        root.steps_total,
        percent=percent_text(percent),
        done=root.steps_done,
    )
    if percent >= 100:
        return PathScore(SCORE_MAXIMUM, "Completed", "FullyGraded", comment)
    return PathScore(float(percent), "InProgress", "Pending", comment)


def _graded_placements(a: Assignment) -> list[PathPlacement]:
    """The path's graded placements in the courses where the person is an active member."""
    return list(
        db.session.scalars(
            select(PathPlacement)
            .join(
                Membership,
                and_(
                    Membership.course_id == PathPlacement.course_id,
                    Membership.person_id == a.person_id,
                    Membership.active.is_(True),
                ),
            )
            .where(PathPlacement.path_id == a.path_id, PathPlacement.graded.is_(True))
            .order_by(PathPlacement.id)
        )
    )


Last = tuple[float | None, str, str]


def _line_item(placement: PathPlacement) -> LineItem | None:
    return grades.ensure_line_item(
        db.session,
        placement.registration_id,
        placement.course_id,
        placement.item_key,
        label=placement.title,
        score_maximum=SCORE_MAXIMUM,
        resource_link_id=placement.resource_link_id,
        # Until a launch of the link shows the LMS has it, the column is the LMS's to make.
        create_missing=placement.confirmed_at is not None,
    )


def _last_recorded(item: LineItem, person_ids: list[int]) -> dict[int, Last]:
    """The newest score recorded for each person in this column (one query)."""
    if not person_ids:
        return {}
    newest = (
        select(func.max(ScoreSend.id))
        .where(ScoreSend.line_item_id == item.id, ScoreSend.person_id.in_(person_ids))
        .group_by(ScoreSend.person_id)
    )
    rows = db.session.execute(
        select(
            ScoreSend.person_id,
            ScoreSend.score_given,
            ScoreSend.activity_progress,
            ScoreSend.grading_progress,
        ).where(ScoreSend.id.in_(newest))
    )
    return {pid: (score, activity, grading) for pid, score, activity, grading in rows}


def _record(
    placement: PathPlacement,
    item: LineItem,
    a: Assignment,
    view: rules.PathView,
    last: Last | None,
) -> bool:
    with speaking_to(a.person):  # the comment is theirs to read, whoever or whatever acts
        wanted = score_for(view, placement.step_key)
    if wanted is None:
        return False
    if last is not None and last == (wanted.score, wanted.activity, wanted.grading):
        return False  # already recorded: the LMS gets it once
    rows = grades.record_progress(
        db.session,
        a.person,
        placement.item_key,
        wanted.score,
        SCORE_MAXIMUM,
        wanted.activity,
        wanted.grading,
        wanted.comment,
        line_item=item,
    )
    return bool(rows)


def progress_changed(a: Assignment, view: rules.PathView) -> int:
    """Record the person's new progress for every graded placement of the path in their
    courses (flushed, in the caller's transaction). Returns how many scores were recorded."""
    if a.status != AssignmentStatus.ACTIVE.value:
        return 0
    recorded = 0
    for placement in _graded_placements(a):
        if score_for(view, placement.step_key) is None:
            continue
        item = _line_item(placement)
        if item is None:
            continue  # the course's LMS has not offered grade services in a launch
        last = _last_recorded(item, [a.person_id]).get(a.person_id)
        recorded += _record(placement, item, a, view, last)
    return recorded


def send_current(placement: PathPlacement) -> int:
    """Everyone's current progress on a placed path, for the course's gradebook: the active
    members of the course with a started assignment on the path (flushed, not committed).
    Returns how many scores were recorded. Run by the BACKFILL job."""
    if not placement.graded:
        return 0
    item = _line_item(placement)
    if item is None:
        return 0
    from lti_tool.paths import services  # services calls progress_changed: import late

    assignments = list(
        db.session.scalars(
            select(Assignment)
            .join(
                Membership,
                and_(
                    Membership.person_id == Assignment.person_id,
                    Membership.course_id == placement.course_id,
                    Membership.active.is_(True),
                ),
            )
            .where(
                Assignment.path_id == placement.path_id,
                Assignment.status == AssignmentStatus.ACTIVE.value,
                Assignment.started_at.is_not(None),
            )
            .order_by(Assignment.id)
        )
    )
    # A column not found yet (new, or the path placed again with another link) gets every
    # score, even one already recorded for an earlier column of the same placement.
    fresh_column = item.lineitem_url is None
    recorded = 0
    for start in range(0, len(assignments), CHUNK):
        chunk = assignments[start : start + CHUNK]
        ids = [a.person_id for a in chunk]
        # Loaded once: each assignment's person then comes from the session, not a query.
        list(db.session.scalars(select(Person).where(Person.id.in_(ids))))
        last = {} if fresh_column else _last_recorded(item, ids)
        for lr in services.evaluate_assignments(chunk, utcnow()):
            pid = lr.assignment.person_id
            recorded += _record(placement, item, lr.assignment, lr.view, last.get(pid))
    return recorded


# --- the first launch of a placed path: everyone's progress so far, in the background ---------

BACKFILL = "path_gradebook"


def backfill_key(placement_id: int) -> str:
    return f"{BACKFILL}:placement:{placement_id}"


def start_backfill(placement: PathPlacement, started_by: str) -> Job | None:
    """Record the job sending the course's current progress on a newly placed path (flushed;
    the caller commits, then dispatches it). None when the placement has no column."""
    if not placement.graded:
        return None
    job, _created = jobs.enqueue(
        BACKFILL,
        {"placement_id": placement.id},
        registration_id=placement.registration_id,
        started_by=started_by,
        dedupe_key=backfill_key(placement.id),
    )
    return job


@register(BACKFILL, "Path progress to the gradebook", max_attempts=3)
def run_backfill(arguments: dict[str, Any], run: JobRun) -> str:
    placement = db.session.get(PathPlacement, arguments.get("placement_id"))
    if placement is None:
        raise JobFailed("The placement of the path no longer exists.", retry=False)
    title = placement.title
    recorded = send_current(placement)
    summary = f"Recorded {recorded} learner(s)' progress on “{title}” for the course's gradebook."
    run.progress(recorded, recorded, summary)  # commits: the scores are in the outbox now
    from lti_tool.grades import jobs as grade_jobs

    grade_jobs.dispatch_sync(placement.registration_id)
    return summary
