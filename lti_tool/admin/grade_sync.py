"""The admin's Grade sync tab: scores waiting for or refused by the LMS, for the admin's own
registration only, with Retry (one, or every failed one).

GET   /admin/grades                     pending and failed sends, newest problems first, pages
POST  /admin/grades/<id>/retry          queue one failed send again
POST  /admin/grades/retry-failed        queue every failed send again
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from lti_tool.admin.views import bp
from lti_tool.extensions import db
from lti_tool.grades import jobs as grade_jobs
from lti_tool.grades import services as grades
from lti_tool.i18n import _, ngettext
from lti_tool.lti.roles import Role
from lti_tool.lti.session import current_launch, launch_required
from lti_tool.numbers import page_number

PER_PAGE = 25


@bp.get("/grades")
@launch_required(Role.ADMINISTRATOR)
def grade_sync() -> str:
    ctx = current_launch()
    page = page_number(request.args.get("page"))
    rows, total = grades.outbox_page(ctx.registration_id, page, PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    return render_template(
        "admin/grades.html",
        ctx=ctx,
        rows=rows,
        total=total,
        page=min(page, pages),
        pages=pages,
        counts=grades.counts(ctx.registration_id),
        describe=grades.describe_score,
    )


@bp.post("/grades/<int:send_id>/retry")
@launch_required(Role.ADMINISTRATOR)
def retry_grade(send_id: int) -> Any:
    ctx = current_launch()
    try:
        grades.retry_send(ctx.registration_id, send_id)
    except grades.NotRetryable as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.grade_sync"), code=303)
    db.session.commit()
    grade_jobs.dispatch_sync(ctx.registration_id)
    flash(_("The score is queued again; it is sent in the background."), "success")
    return redirect(url_for("admin.grade_sync"), code=303)


@bp.post("/grades/retry-failed")
@launch_required(Role.ADMINISTRATOR)
def retry_failed_grades() -> Any:
    ctx = current_launch()
    count = grades.retry_failed(ctx.registration_id)
    db.session.commit()
    if count:
        grade_jobs.dispatch_sync(ctx.registration_id)
    flash(
        ngettext("%(num)s failed score queued again.", "%(num)s failed scores queued again.", count)
        if count
        else _("No failed scores to retry."),
        "success",
    )
    return redirect(url_for("admin.grade_sync"), code=303)
