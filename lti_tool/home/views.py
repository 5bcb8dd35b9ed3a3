"""The home page after a launch (different for learners, leaders, instructors and admins) and the
person's profile."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from lti_tool.catalog import plan as catalog_plan
from lti_tool.extensions import db
from lti_tool.home import services
from lti_tool.i18n import _
from lti_tool.leaders import services as leaders
from lti_tool.lti.models import utcnow
from lti_tool.lti.session import current_launch, launch_required
from lti_tool.paths import services as path_services
from lti_tool.paths import team
from lti_tool.recognition import services as recognition
from lti_tool.roles import services as roles
from lti_tool.voice import services as voice

bp = Blueprint("home", __name__)

PREFERRED_NAME_MAX = 80


@bp.get("/")
@launch_required()
def index() -> str:
    ctx = current_launch()
    summary = services.tenant_summary(ctx) if ctx.is_administrator else None
    learner = ctx.is_learner or not ctx.roles
    paths = path_services.learning_of(ctx.person_id) if learner else []
    ties = roles.team_ties(ctx.person_id)
    extras = team.my_path_extras(ctx.person_id, paths, ties) if learner else {}
    plan = catalog_plan.progress(ctx.person_id) if learner else None
    leads_team = bool(ties.leads)
    return render_template(
        "home/index.html",
        ctx=ctx,
        person=services.person(ctx),
        summary=summary,
        paths=paths,
        leads_team=leads_team,
        **extras,
        plan=plan,
        pulses=voice.open_for(ctx.person_id, utcnow().date()),
        nudges=leaders.nudges_for(ctx.person_id) if leads_team else [],
        scorecard=leaders.may_see_scorecard(ctx.person_id, ctx.is_administrator)
        if leads_team or ctx.is_administrator
        else False,
    )


@bp.get("/me")
@launch_required()
def profile() -> str:
    ctx = current_launch()
    person = services.person(ctx)
    return render_template(
        "home/profile.html",
        ctx=ctx,
        person=person,
        memberships=services.course_memberships(person.id),
        recognition=recognition.profile(person.id),
    )


@bp.route("/me/edit", methods=["GET", "POST"])
@launch_required()
def edit_profile() -> Any:
    ctx = current_launch()
    person = services.person(ctx)
    errors: dict[str, str] = {}
    value = person.preferred_name
    if request.method == "POST":
        value = request.form.get("preferred_name", "")
        if len(value.strip()) > PREFERRED_NAME_MAX:
            errors["preferred_name"] = _(
                "Use at most %(count)s characters.", count=PREFERRED_NAME_MAX
            )
        if not errors:
            services.update_profile(person, value)
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("home.profile"), code=303)
    return render_template(
        "home/edit_profile.html",
        ctx=ctx,
        person=person,
        value=value,
        errors=errors,
        max_length=PREFERRED_NAME_MAX,
    ), (400 if errors else 200)
