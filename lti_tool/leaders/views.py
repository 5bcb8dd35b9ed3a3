"""The leader scorecard and the stall nudge. Everything is scoped to the launch's tenant.

Operations managers (people who lead team leads) and administrators (every lead)
GET       /leaders/scorecard               one row per team lead: ?period=30|90, ?sort=, ?dir=,
                                           ?page=
GET       /leaders/scorecard.csv           every row of the same period and order
The team's leader
POST      /leaders/nudge/<team id>/dismiss hide the stall nudge for a week (?back=home)
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from lti_tool.errors import LaunchError
from lti_tool.extensions import db
from lti_tool.i18n import _, date_text
from lti_tool.leaders import services
from lti_tool.lti.session import current_launch, launch_required
from lti_tool.numbers import as_id
from lti_tool.roles import services as roles

bp = Blueprint("leaders", __name__, url_prefix="/leaders")


def _card() -> services.Scorecard | None:
    ctx = current_launch()
    if not services.may_see_scorecard(ctx.person_id, ctx.is_administrator):
        return None
    page = request.args.get("page", "1")
    return services.scorecard(
        ctx.person_id,
        ctx.is_administrator,
        period=services.parse_period(request.args.get("period")),
        sort=request.args.get("sort", "name"),
        descending=request.args.get("dir") == "desc",
        page=as_id(page) or 1,
    )


def _refused() -> tuple[str, int]:
    ctx = current_launch()
    return render_template("leaders/refused.html", ctx=ctx), 403


@bp.get("/scorecard")
@launch_required()
def scorecard() -> Any:
    card = _card()
    if card is None:
        return _refused()
    return render_template(
        "leaders/scorecard.html",
        ctx=current_launch(),
        card=card,
        periods=services.PERIODS,
        stall_days=services.stall_days(),
        columns=[
            ("name", _("Team lead")),
            ("members", _("Team members")),
            ("coaching", _("Coaching sessions given")),
            ("approved", _("Plans approved")),
            ("verified", _("Tips verified")),
            ("hours", _("Team learning hours")),
        ],
    )


@bp.get("/scorecard.csv")
@launch_required()
def scorecard_csv() -> Any:
    card = _card()
    if card is None:
        return _refused()
    return Response(
        services.scorecard_csv(card),
        mimetype="text/csv",
        headers={
            "Content-Disposition": (
                f'attachment; filename="wayfinder-leader-scorecard-{card.period}-days.csv"'
            )
        },
    )


@bp.post("/nudge/<int:pk>/dismiss")
@launch_required()
def dismiss_nudge(pk: int) -> Any:
    ctx = current_launch()
    try:
        found = roles.team(pk)
    except roles.NotFound:
        abort(404)
    if found.leader_id != ctx.person_id:
        raise LaunchError("forbidden_role")
    until = services.dismiss_nudge(ctx.registration_id, found, ctx.person_id)
    db.session.commit()
    flash(
        " ".join(
            (
                _(
                    "The reminder about %(team)s is hidden until %(day)s.",
                    team=found.name,
                    day=date_text(until, "dd MMMM"),
                ),
                _("It comes back then if nobody in the team has started or completed anything."),
            )
        ),
        "success",
    )
    if request.args.get("back") == "home":
        return redirect(url_for("home.index"), code=303)
    return redirect(url_for("personal.team_page", pk=found.id), code=303)
