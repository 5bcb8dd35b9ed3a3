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
`send_current` sends everyone's current progress when a placement is first confirmed by a
launch of its link (progress made before the path was placed reaches the gradebook too).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select

from lti_tool.extensions import db
from lti_tool.grades import services as grades
from lti_tool.grades.models import ScoreSend
from lti_tool.lti.models import utcnow
from lti_tool.paths import rules
from lti_tool.paths.models import Assignment, AssignmentStatus, StepState
from lti_tool.paths.placements import PathPlacement
from lti_tool.people.models import Membership

SCORE_MAXIMUM = 100.0


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
            how = "waived" if item.state is StepState.WAIVED else "done"
            return PathScore(SCORE_MAXIMUM, "Completed", "FullyGraded", f"{item.title}: {how}.")
        if item.state is StepState.IN_PROGRESS:
            return PathScore(0.0, "InProgress", "Pending", f"{item.title}: started.")
        return None
    percent = max(0, min(100, view.percent))
    root = view.root
    comment = f"{percent}% complete: {root.steps_done} of {root.steps_total} steps done."
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


def _record(placement: PathPlacement, a: Assignment, view: rules.PathView) -> bool:
    wanted = score_for(view, placement.step_key)
    if wanted is None:
        return False
    item = grades.ensure_line_item(
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
    if item is None:
        return False  # the course's LMS has not offered grade services in a launch
    last = db.session.execute(
        select(ScoreSend.score_given, ScoreSend.activity_progress, ScoreSend.grading_progress)
        .where(ScoreSend.line_item_id == item.id, ScoreSend.person_id == a.person_id)
        .order_by(ScoreSend.id.desc())
        .limit(1)
    ).first()
    if last is not None and tuple(last) == (wanted.score, wanted.activity, wanted.grading):
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
        course_id=placement.course_id,
        label=placement.title,
    )
    return bool(rows)


def progress_changed(a: Assignment, view: rules.PathView) -> int:
    """Record the person's new progress for every graded placement of the path in their
    courses (flushed, in the caller's transaction). Returns how many scores were recorded."""
    if a.status != AssignmentStatus.ACTIVE.value:
        return 0
    return sum(_record(placement, a, view) for placement in _graded_placements(a))


def send_current(placement: PathPlacement) -> int:
    """Everyone's current progress on a placed path, for the course's gradebook: the active
    members of the course with a started assignment on the path. Returns scores recorded."""
    if not placement.graded:
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
    recorded = 0
    for lr in services.evaluate_assignments(assignments, utcnow()):
        recorded += _record(placement, lr.assignment, lr.view)
    return recorded
