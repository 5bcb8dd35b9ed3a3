"""The course roster for instructors: the members Wayfinder knows, the last sync and its progress,
and a button to sync now. The page polls a small JSON status while a sync runs
(static/roster-status.js; the CSP forbids inline scripts)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from lti_tool.extensions import db
from lti_tool.i18n import _
from lti_tool.jobs import services as jobs
from lti_tool.jobs import wording
from lti_tool.jobs.models import Job
from lti_tool.lti.roles import Role
from lti_tool.lti.session import current_launch, launch_required
from lti_tool.numbers import page_number
from lti_tool.people.models import Course
from lti_tool.roster import jobs as roster_jobs
from lti_tool.roster import services

bp = Blueprint("roster", __name__, url_prefix="/roster")

STAFF = (Role.INSTRUCTOR, Role.ADMINISTRATOR)
PER_PAGE = 50


def _course() -> Course | None:
    ctx = current_launch()
    return db.session.get(Course, ctx.course.id) if ctx.course else None


def _status(job: Job | None) -> dict[str, Any]:
    if job is None:
        return {"state": "none", "finished": True}
    return {
        "state": job.state.value,
        "finished": job.finished and not job.retry_pending,
        "done": job.progress_done,
        "total": job.progress_total,
        "percent": job.percent,
        "message": wording.shown(job.message),
    }


@bp.get("/")
@launch_required(*STAFF)
def index() -> Any:
    ctx = current_launch()
    course = _course()
    page = page_number(request.args.get("page"))
    rows: list[services.RosterRow] = []
    total, job = 0, None
    if course is not None:
        rows, total = services.roster_page(course.id, page, PER_PAGE)
        job = roster_jobs.latest_sync(ctx.registration_id, course.id)
    pages = max(1, -(-total // PER_PAGE))
    return render_template(
        "roster/index.html",
        ctx=ctx,
        course=course,
        rows=rows,
        total=total,
        page=min(page, pages),
        pages=pages,
        job=job,
        running=job is not None and not job.finished,
        job_text=wording.shown,
    )


@bp.post("/sync")
@launch_required(*STAFF)
def sync() -> Any:
    ctx = current_launch()
    course = _course()
    if course is None:
        flash(_("Open Wayfinder from a course to sync its roster."), "error")
        return redirect(url_for("roster.index"), code=303)
    job, created = roster_jobs.start_sync(
        ctx.registration_id, course.id, started_by=ctx.name, person_id=ctx.person_id
    )
    db.session.commit()
    if created:
        jobs.dispatch(job)
        flash(" ".join((_("Roster sync started."), _("This page shows its progress."))), "success")
    else:
        flash(_("A roster sync for this course is already waiting or running."), "success")
    return redirect(url_for("roster.index"), code=303)


@bp.get("/status")
@launch_required(*STAFF)
def status() -> Any:
    ctx = current_launch()
    course = _course()
    job = roster_jobs.latest_sync(ctx.registration_id, course.id) if course else None
    return jsonify(_status(job))
