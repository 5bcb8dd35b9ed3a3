"""Grades: handing recorded scores to the grade sync after each request, and the practice page
that shows progress write-back working end to end. (A launch keeps its course's gradebook
endpoint on the course row itself: lti.services.complete_launch.)

(app-wide)  after a request that recorded scores and committed: dispatch the grade sync
GET   /grades/practice    the practice check (GRADES_PRACTICE_PAGE): what it sends, last results
POST  /grades/practice    record a practice score for the launched person in the launch's course
"""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.grades import jobs as grade_jobs
from lti_tool.grades import services
from lti_tool.grades.models import LineItem, ScoreSend
from lti_tool.i18n import _, _l
from lti_tool.lti.session import current_launch, launch_required
from lti_tool.people.models import Person

log = logging.getLogger(__name__)

bp = Blueprint("grades", __name__, url_prefix="/grades")

PRACTICE_ITEM = "practice:orientation"
PRACTICE_LABEL = "Wayfinder orientation (practice)"
# (score, activity progress, grading progress, the choice in English for the score's comment)
PRACTICE_LEVELS = {
    "started": (None, "Started", "NotReady", "I started the orientation"),
    "half": (50.0, "InProgress", "Pending", "I am halfway through"),
    "done": (100.0, "Completed", "FullyGraded", "I finished it"),
}
# The same choices as the page shows them, in its language.
PRACTICE_CHOICES = {
    "started": _l("I started the orientation"),
    "half": _l("I am halfway through"),
    "done": _l("I finished it"),
}


@bp.after_app_request
def dispatch_recorded_scores(response: Response) -> Response:
    """Scores recorded by a request whose work committed go to the LMS now (RQ, or inline in
    development); the polling worker and the scheduler would find them anyway."""
    try:
        grade_jobs.dispatch_committed()
    except Exception:  # the page matters more; the scheduler sends them later
        db.session.rollback()
        log.exception("could not dispatch the grade sync")
    return response


def _practice_enabled() -> None:
    if not current_app.config.get("GRADES_PRACTICE_PAGE"):
        abort(404)


@bp.route("/practice", methods=["GET", "POST"])
@launch_required()
def practice() -> Any:
    _practice_enabled()
    ctx = current_launch()
    course_id = ctx.course.id if ctx.course else None
    connected = course_id is not None and services.endpoint(db.session, course_id) is not None
    if request.method == "POST":
        level = PRACTICE_LEVELS.get(request.form.get("level", ""))
        if level is None or course_id is None or not connected:
            flash(_("Choose one of the options below."), "error")
            return redirect(url_for("grades.practice"), code=303)
        score, activity, grading, said = level
        person = db.session.get(Person, ctx.person_id)
        assert person is not None
        # The "progress change" of this page is the outbox row itself; a feature (learning
        # paths) records its own progress row in the same transaction before calling this.
        rows = services.record_progress(
            db.session,
            person,
            PRACTICE_ITEM,
            score,
            100.0 if score is not None else None,
            activity,
            grading,
            f"Practice check: {said.lower()}.",
            course_id=course_id,
            label=PRACTICE_LABEL,
        )
        db.session.commit()
        grade_jobs.dispatch_sync(ctx.registration_id)
        flash(
            " ".join(
                (
                    _("Recorded."),
                    _("It is on its way to your LMS gradebook; this page shows when it arrives."),
                )
            )
            if rows
            else _("Recorded, but this course's LMS has not connected its gradebook."),
            "success",
        )
        return redirect(url_for("grades.practice"), code=303)
    sends: list[ScoreSend] = []
    if course_id is not None:
        sends = list(
            db.session.scalars(
                select(ScoreSend)
                .join(LineItem, LineItem.id == ScoreSend.line_item_id)
                .where(
                    ScoreSend.person_id == ctx.person_id,
                    LineItem.course_id == course_id,
                    LineItem.item_key == PRACTICE_ITEM,
                )
                .order_by(ScoreSend.id.desc())
                .limit(5)
            )
        )
    return render_template(
        "grades/practice.html",
        ctx=ctx,
        connected=connected,
        levels=PRACTICE_LEVELS,
        choices=PRACTICE_CHOICES,
        sends=sends,
        label=PRACTICE_LABEL,
        describe=services.describe_score,
        reason=services.plain_reason,
        staff=ctx.is_instructor or ctx.is_administrator,
    )
