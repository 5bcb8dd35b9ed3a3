"""Grades: remembering each course's gradebook (AGS) endpoint from launches, and the practice
page that shows progress write-back working end to end.

(app-wide)  after a launch carrying the AGS claim: record the course's line items URL and scopes
GET   /grades/practice    the practice check (GRADES_PRACTICE_PAGE): what it sends, last results
POST  /grades/practice    record a practice score for the launched person in the launch's course
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
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
from lti_tool.lti.session import current_launch, launch_required
from lti_tool.people.models import Person

bp = Blueprint("grades", __name__, url_prefix="/grades")

PRACTICE_ITEM = "practice:orientation"
PRACTICE_LABEL = "Wayfinder orientation (practice)"
PRACTICE_LEVELS = {
    "started": (None, "Started", "NotReady", "I started the orientation"),
    "half": (50.0, "InProgress", "Pending", "I am halfway through"),
    "done": (100.0, "Completed", "FullyGraded", "I finished it"),
}


@bp.before_app_request
def remember_ags_endpoint() -> None:
    """Only on the page a launch leads to (g.just_launched): one indexed read, and a write only
    when the course's line items URL or scopes are new or changed. Moodle drops the `lineitem`
    claim once a link has two line items, so only the container URL is kept; line items are
    always looked up there (grades.ags)."""
    ctx = g.get("just_launched")
    if ctx is None or g.get("launch") is not ctx or ctx.course is None:
        return
    lineitems = ctx.services.ags_lineitems_url
    if not lineitems:
        return
    if services.remember_endpoint(
        db.session, ctx.registration_id, ctx.course.id, lineitems, ctx.services.ags_scopes
    ):
        db.session.commit()


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
            flash("Choose one of the options below.", "error")
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
            "Recorded. It is on its way to your LMS gradebook; this page shows when it arrives."
            if rows
            else "Recorded, but this course's LMS has not connected its gradebook.",
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
        sends=sends,
        label=PRACTICE_LABEL,
        describe=services.describe_score,
    )
