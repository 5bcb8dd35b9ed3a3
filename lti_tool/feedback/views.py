"""Feedback on learning. Everything is scoped to the launch's tenant.

Everyone
POST      /feedback/rate                         rate a step, catalog item or coaching session
                                                 1-5 (with a comment), then back to the page
                                                 the form was on, with a thank-you
POST      /feedback/dismiss                      "not now": hide one completion from "Waiting
                                                 for your rating"
Instructors and administrators
GET       /feedback/                             per item: average, count; the monthly trend;
                                                 the lowest rated (filters: kind, period)
GET       /feedback/export.csv                   the per-item table as CSV (same filters)
GET       /feedback/i/<kind>/<item key>          one item's comments, newest first
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request

from lti_tool.extensions import db
from lti_tool.feedback import report, services
from lti_tool.feedback.models import Kind
from lti_tool.i18n import _, number
from lti_tool.insights import charts, dashboard
from lti_tool.lti.roles import Role
from lti_tool.lti.session import TOKEN_PARAM, current_launch, launch_required
from lti_tool.numbers import page_number

bp = Blueprint("feedback", __name__, url_prefix="/feedback")

STAFF = (Role.INSTRUCTOR, Role.ADMINISTRATOR)


def _back_path() -> str:
    """The page the form was on: a path of this site only, without its query."""
    back = request.form.get("back", "").split("?", 1)[0].split("#", 1)[0]
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        return "/"
    return back


def _back() -> str:
    """The page the form was on, with the launch token."""
    back = _back_path()
    token = g.get("launch_token")
    return f"{back}?{TOKEN_PARAM}={token}" if token else back


@bp.post("/rate")
@launch_required()
def rate() -> Any:
    ctx = current_launch()
    kind = request.form.get("kind", "")
    subject_id = request.form.get("subject", "")[:80]
    stars = request.form.get("stars", "")
    comment = request.form.get("comment", "")
    row, errors = services.rate(
        ctx.registration_id, ctx.person_id, kind, subject_id, stars, comment
    )
    if errors or row is None:
        db.session.rollback()
        known = kind in {k.value for k in Kind}
        found = services.subject(ctx.person_id, Kind(kind), subject_id) if known else None
        return render_template(
            "feedback/rate.html",
            ctx=ctx,
            found=found,
            kind=kind,
            subject_id=subject_id,
            values={"stars": stars, "comment": comment},
            errors=errors,
            back=_back(),
            back_path=_back_path(),
        ), 400
    db.session.commit()
    flash(
        _("Thank you: your rating of \u201c%(title)s\u201d is saved.", title=row.title), "success"
    )
    return redirect(_back(), code=303)


@bp.post("/dismiss")
@launch_required()
def dismiss() -> Any:
    ctx = current_launch()
    if services.dismiss(
        ctx.registration_id,
        ctx.person_id,
        request.form.get("kind", ""),
        request.form.get("subject", ""),
    ):
        db.session.commit()
        flash(
            " ".join(
                (
                    _("Hidden from \u201cWaiting for your rating\u201d."),
                    _("You can still rate it from its page."),
                )
            ),
            "info",
        )
    return redirect(_back(), code=303)


# --- trainers -------------------------------------------------------------------------------


def _filters() -> tuple[Kind | None, int]:
    raw = request.args.get("kind", "")
    kind = Kind(raw) if raw in {k.value for k in Kind} else None
    try:
        months = int(request.args.get("months", "12"))
    except ValueError:
        months = 12
    return kind, months if months in report.PERIODS else 12


@bp.get("/")
@launch_required(*STAFF)
def index() -> str:
    ctx = current_launch()
    kind, months = _filters()
    span = dashboard.months_back(months)
    rows = report.items(kind, span[0])
    _span, by_kind, overall, counts = report.trend(months, kind)
    series = [(k.label, vals) for k, vals in by_kind.items()]
    return render_template(
        "feedback/index.html",
        ctx=ctx,
        kind=kind,
        months=months,
        periods=report.PERIODS,
        kinds=list(Kind),
        rows=rows,
        lowest=report.lowest(rows),
        lowest_min=report.LOWEST_MIN,
        table=report.items_table(rows),
        labels=[dashboard.label(m) for m in span],
        series=series,
        overall=overall,
        counts=counts,
        charts=charts,
        fmt=number,
    )


@bp.get("/export.csv")
@launch_required(*STAFF)
def export() -> Response:
    kind, months = _filters()
    rows = report.items(kind, dashboard.months_back(months)[0])
    return Response(
        report.items_table(rows).csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="wayfinder-feedback.csv"'},
    )


@bp.get("/i/<kind>/<item_key>")
@launch_required(*STAFF)
def item(kind: str, item_key: str) -> str:
    ctx = current_launch()
    if kind not in {k.value for k in Kind}:
        abort(404)
    title = report.item_title(Kind(kind), item_key)
    if title is None:
        abort(404)
    page = page_number(request.args.get("page"))
    found, has_more = report.comments(Kind(kind), item_key, page)
    stats = next(
        (r for r in report.items(Kind(kind)) if r.item_key == item_key),
        None,
    )
    return render_template(
        "feedback/item.html",
        ctx=ctx,
        kind=Kind(kind),
        item_key=item_key,
        title=title,
        stats=stats,
        comments=found,
        page=page,
        has_more=has_more,
    )


# --- what other pages show ------------------------------------------------------------------


@bp.app_template_global()
def feedback_mine(kind: str, subject_id: str) -> Any:
    """The viewer's rating of a subject, for the inline "How was it?" form on any page."""
    launch = g.get("launch")
    if launch is None or kind not in {k.value for k in Kind}:
        return None
    return services.mine(launch.person_id, Kind(kind), str(subject_id))


@bp.app_template_global()
def feedback_waiting() -> list[services.Waiting]:
    launch = g.get("launch")
    return [] if launch is None else services.waiting(launch.person_id)
