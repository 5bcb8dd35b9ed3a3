"""Personalisation and team pages. Everything is scoped to the launch's tenant.

Everyone
GET       /paths/start                      resume the onboarding where it was left
GET|POST  /paths/start/<step>               skills (rate yourself), interests (and formats),
                                            goal; ?edit=1 comes back to My skills
POST      /paths/start/skip                 not now (never offered again; My skills edits)
GET       /paths/skills                     My skills: own and leader's rating against targets
POST      /paths/suggestions/dismiss        stop suggesting a step
Team leaders (of that person), instructors and administrators (read only)
GET|POST  /paths/people/<id>/skills         a member's skills; their leader rates them
Team leaders, instructors and administrators
GET       /paths/team, /paths/team/<id>     a team's progress by person and by path
POST      /paths/team/share                 a leader shows or hides their own path to the team
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from lti_tool.errors import LaunchError
from lti_tool.extensions import db
from lti_tool.i18n import _, _l, ngettext
from lti_tool.leaders import services as leaders
from lti_tool.lti.roles import Role
from lti_tool.lti.session import current_launch, launch_required
from lti_tool.numbers import as_id
from lti_tool.paths import personal, services, team
from lti_tool.paths.models import Format
from lti_tool.paths.personal_models import Rater
from lti_tool.people.models import Person
from lti_tool.roles import services as roles

bp = Blueprint("personal", __name__, url_prefix="/paths")

STAFF = (Role.INSTRUCTOR, Role.ADMINISTRATOR)

STEP_TITLES = {
    "skills": _l("Rate your skills"),
    "interests": _l("What interests you"),
    "goal": _l("Your career goal"),
}


def _actor() -> services.Actor:
    ctx = current_launch()
    return services.Actor(ctx.name or "Someone", ctx.person_id, ctx.has(*STAFF))


def _me() -> Person:
    who = db.session.get(Person, current_launch().person_id)
    assert who is not None, "the launch's person belongs to the launch's tenant"
    return who


def _see_other(endpoint: str, **values: Any) -> Any:
    return redirect(url_for(endpoint, **values), code=303)


@bp.context_processor
def _shared() -> dict[str, Any]:
    return {"Format": Format, "format_options": [(f.value, f.label.capitalize()) for f in Format]}


# --- onboarding -----------------------------------------------------------------------------


@bp.get("/start")
@launch_required()
def start() -> Any:
    return _see_other("personal.onboarding", step=personal.resume_step(current_launch().person_id))


@bp.route("/start/<step>", methods=["GET", "POST"])
@launch_required()
def onboarding(step: str) -> Any:
    if step not in personal.ONBOARDING_STEPS:
        abort(404)
    ctx = current_launch()
    me = _me()
    editing = request.values.get("edit") == "1"
    errors: dict[str, str] = {}
    form: dict[str, Any] = {}
    skills = personal.skills_to_rate(me) if step == "skills" else roles.skills()
    if request.method == "POST":
        if step == "skills":
            values, errors = personal.parse_levels(request.form.to_dict(), skills)
            form = request.form.to_dict()
            if not errors:
                personal.save_ratings(
                    me, values, Rater.SELF, by=me.display_name, by_person_id=me.id
                )
        elif step == "interests":
            form = {
                "interests": request.form.getlist("interests"),
                "formats": request.form.getlist("formats"),
            }
            message = personal.save_interests(me, form["interests"], form["formats"])
            if message:
                errors["interests"] = message
        else:
            form = {"goal_role_id": request.form.get("goal_role_id", "")}
            message = roles.set_career_goal(ctx.registration_id, me, form["goal_role_id"])
            if message:
                errors["goal_role_id"] = message
        if not errors:
            following = personal.advance(me, step)
            db.session.commit()
            if editing:
                flash(_("%(step)s: saved.", step=str(STEP_TITLES[step])), "success")
                return _see_other("personal.my_skills")
            if following is None:
                flash(
                    _("Thank you! Your suggestions below are picked from what you told us."),
                    "success",
                )
                return _see_other("paths.my_path")
            return _see_other("personal.onboarding", step=following)
    else:
        personal.ensure_profile(me)
        db.session.commit()
    prefs = personal.preferences(db.session, me)
    rated = personal.ratings_of(me.id)
    goal = roles.career_goal(me.id)
    if not form:
        form = {
            **{f"skill-{s}": str(r[Rater.SELF].level) for s, r in rated.items() if Rater.SELF in r},
            "interests": [str(i) for i in prefs.interest_ids],
            "formats": [f.value for f in prefs.formats],
            "goal_role_id": str(goal.role_id) if goal else "",
        }
    gaps = personal.skill_gaps(db.session, me)
    return render_template(
        "paths/onboarding.html",
        ctx=ctx,
        step=step,
        index=personal.ONBOARDING_STEPS.index(step) + 1,
        total=len(personal.ONBOARDING_STEPS),
        titles=STEP_TITLES,
        editing=editing,
        skills=skills,
        targets={g.skill_id: g for g in gaps if not g.career_goal},
        role=roles.summary(me.id).effective,
        roles=roles.roles(),
        form=form,
        errors=errors,
        previous=personal.ONBOARDING_STEPS[personal.ONBOARDING_STEPS.index(step) - 1]
        if step != personal.ONBOARDING_STEPS[0]
        else None,
    ), (400 if errors else 200)


@bp.post("/start/skip")
@launch_required()
def skip() -> Any:
    personal.skip(_me())
    db.session.commit()
    flash(
        _("No problem. Rate your skills and choose interests any time from My skills."), "success"
    )
    return _see_other("home.index")


# --- my skills and a member's skills --------------------------------------------------------


@bp.get("/skills")
@launch_required()
def my_skills() -> str:
    ctx = current_launch()
    me = _me()
    return render_template(
        "paths/skills.html",
        ctx=ctx,
        subject=None,
        rows=personal.skill_rows(me),
        role=roles.summary(me.id).effective,
        goal=roles.career_goal(me.id),
        prefs=personal.preferences(db.session, me),
        leader=roles.team_leader_of(me.id),
        may_rate=False,
        leader_levels={},
        has_skills=bool(roles.skills()),
        errors={},
        form={},
    )


@bp.route("/people/<int:pk>/skills", methods=["GET", "POST"])
@launch_required()
def person_skills(pk: int) -> Any:
    ctx = current_launch()
    who = db.session.get(Person, pk)
    if who is None:
        abort(404)
    if who.id == ctx.person_id:
        return _see_other("personal.my_skills")
    actor = _actor()
    may_rate = personal.may_rate_as_leader(actor.person_id, who.id)
    if not (may_rate or services.may_view_person(actor, who.id)):
        raise LaunchError("forbidden_role")
    rows = personal.skill_rows(who)
    skills = [r.skill for r in rows] or roles.skills()
    errors: dict[str, str] = {}
    form: dict[str, str] = {}
    if request.method == "POST":
        if not may_rate:
            raise LaunchError("forbidden_role")
        form = request.form.to_dict()
        values, errors = personal.parse_levels(form, skills)
        if not errors:
            changed = personal.save_ratings(
                who, values, Rater.LEADER, by=actor.name, by_person_id=actor.person_id
            )
            db.session.commit()
            flash(
                ngettext(
                    "Your ratings of %(person)s are saved (%(num)s changed). They see them on "
                    "their My skills page.",
                    "Your ratings of %(person)s are saved (%(num)s changed). They see them on "
                    "their My skills page.",
                    changed,
                    person=who.display_name,
                ),
                "success",
            )
            return _see_other("personal.person_skills", pk=who.id)
    return render_template(
        "paths/skills.html",
        ctx=ctx,
        subject=who,
        rows=rows,
        rate_skills=skills,
        role=roles.summary(who.id).effective,
        goal=roles.career_goal(who.id),
        prefs=personal.preferences(db.session, who),
        leader=roles.team_leader_of(who.id),
        may_rate=may_rate,
        leader_levels={r.skill.id: r.leader_level for r in rows},
        has_skills=bool(skills),
        errors=errors,
        form=form,
    ), (400 if errors else 200)


# --- suggestions ----------------------------------------------------------------------------


@bp.post("/suggestions/dismiss")
@launch_required()
def dismiss() -> Any:
    path_id = as_id(request.form.get("path_id"))
    if path_id is None:
        abort(400)
    if personal.dismiss(_me(), path_id, request.form.get("step_key", "")):
        db.session.commit()
        title = request.form.get("title", "")[:200]
        flash(
            _("“%(title)s” will not be suggested again.", title=title)
            if title
            else _("That suggestion will not be suggested again."),
            "success",
        )
    back = request.form.get("back", "")
    return _see_other("home.index" if back == "home" else "paths.my_path")


# --- team -----------------------------------------------------------------------------------


@bp.get("/team")
@launch_required()
def team_index() -> Any:
    ctx = current_launch()
    actor = _actor()
    led = roles.teams_led_by(ctx.person_id)
    if len(led) == 1 and not actor.is_staff:
        return _see_other("personal.team_page", pk=led[0].id)
    visible = team.teams_for(actor)
    if not visible and not ctx.is_leader and not actor.is_staff:
        raise LaunchError("forbidden_role")
    return render_template("paths/teams.html", ctx=ctx, teams=visible, led=led)


@bp.get("/team/<int:pk>")
@launch_required()
def team_page(pk: int) -> str:
    ctx = current_launch()
    try:
        found = roles.team(pk)
    except roles.NotFound:
        abort(404)
    actor = _actor()
    if not team.may_view_team(actor, found):
        raise LaunchError("forbidden_role")
    page = request.args.get("page", "1")
    view = team.team_view(found, as_id(page) or 1)
    return render_template(
        "paths/team.html",
        ctx=ctx,
        view=view,
        own=found.leader_id == ctx.person_id,
        signals=leaders.team_signals(found, ctx.person_id),
        coaching_days=leaders.coaching_days(),
    )


@bp.post("/team/share")
@launch_required()
def share() -> Any:
    me = _me()
    if not roles.teams_led_by(me.id):
        raise LaunchError("forbidden_role")
    on = request.form.get("share") == "yes"
    personal.set_sharing(me, on)
    db.session.commit()
    flash(
        _("Your team can see your own path now.")
        if on
        else _("Your own path is hidden from your team now."),
        "success",
    )
    led = roles.teams_led_by(me.id)
    return _see_other("personal.team_page", pk=led[0].id)
