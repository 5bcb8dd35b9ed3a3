"""Job roles, skills, teams and who holds which role. Everything is scoped to the launch's tenant.

Instructors (and administrators)
GET       /roles/                         roles and skills, starter set, unmatched LMS values
GET|POST  /roles/new, /roles/<id>/edit    a job role (name, description, other names)
GET|POST  /roles/<id>/delete              confirmation naming what depends on it, then delete
GET|POST  /roles/skills/new, …/<id>/edit  a skill and its five levels; …/<id>/delete
GET|POST  /roles/matrix                   target level per role and skill
POST      /roles/starter                  import the contact-center starter set (idempotent)
GET       /roles/unmatched                LMS job-role values no role matches; POST …/map
GET|POST  /roles/teams, /roles/teams/<id> teams, leader, members; …/delete
Administrators
GET|POST  /roles/import                   HR CSV: upload, preview every change, apply
GET       /roles/people                   find a person; GET|POST /roles/people/<id> their role
Everyone
GET       /roles/me                       "My role": where it comes from, request, career goal
POST      /roles/me/request, …/withdraw, …/goal
GET       /roles/requests                 role-change requests waiting for me; POST …/<id>
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from lti_tool.errors import LaunchError
from lti_tool.extensions import db
from lti_tool.i18n import _, ngettext
from lti_tool.lti.roles import Role
from lti_tool.lti.session import current_launch, launch_required
from lti_tool.numbers import as_id
from lti_tool.people.models import Person
from lti_tool.roles import hr_import, services, wording
from lti_tool.roles.models import LEVELS, SOURCE_LABELS, Source

bp = Blueprint("roles", __name__, url_prefix="/roles")

STAFF = (Role.INSTRUCTOR, Role.ADMINISTRATOR)
# The date_text pattern of a day in sentences: 04 December 2026, 04 diciembre 2026.
LONG_DATE = "dd MMMM y"


def _found(getter: Any, pk: int) -> Any:
    try:
        return getter(pk)
    except services.NotFound:
        abort(404)


def _me() -> Person:
    return services.person(current_launch().person_id)


def _see_other(endpoint: str, **values: Any) -> Any:
    return redirect(url_for(endpoint, **values), code=303)


@bp.context_processor
def _shared() -> dict[str, Any]:
    return {
        "LEVELS": LEVELS,
        "SOURCE_LABELS": SOURCE_LABELS,
        "Source": Source,
        "LONG_DATE": LONG_DATE,
        "role_words": wording.shown,
    }


# --- roles and skills -----------------------------------------------------------------------


@bp.get("/")
@launch_required(*STAFF)
def index() -> str:
    ctx = current_launch()
    return render_template(
        "roles/index.html",
        ctx=ctx,
        roles=services.roles(),
        skills=services.skills(),
        unmatched=services.unmatched_values(),
    )


@bp.post("/starter")
@launch_required(*STAFF)
def import_starter() -> Any:
    result = services.import_starter_set(current_launch().registration_id)
    db.session.commit()
    if result.nothing_new:
        flash(_("The starter set is already here: nothing was added or changed."), "success")
    else:
        added = _(
            "Added %(roles)s, %(skills)s and %(targets)s.",
            roles=ngettext("%(num)s role", "%(num)s roles", len(result.roles)),
            skills=ngettext("%(num)s skill", "%(num)s skills", len(result.skills)),
            targets=ngettext("%(num)s target level", "%(num)s target levels", result.targets),
        )
        flash(" ".join((added, _("Edit them to fit your contact center."))), "success")
    return _see_other("roles.index")


def _role_form(row: Any) -> Any:
    ctx = current_launch()
    values = {
        "name": row.name if row else "",
        "description": row.description if row else "",
        "aliases": "\n".join(row.aliases or []) if row else "",
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        saved, errors = services.save_role(
            ctx.registration_id, row, values["name"], values["description"], values["aliases"]
        )
        if saved is not None:
            db.session.commit()
            flash(_("Job role %(name)s is saved.", name=saved.name), "success")
            return _see_other("roles.index")
    return render_template(
        "roles/role_form.html", ctx=ctx, row=row, values=values, errors=errors
    ), (400 if errors else 200)


@bp.route("/new", methods=["GET", "POST"])
@launch_required(*STAFF)
def new_role() -> Any:
    return _role_form(None)


@bp.route("/<int:pk>/edit", methods=["GET", "POST"])
@launch_required(*STAFF)
def edit_role(pk: int) -> Any:
    return _role_form(_found(services.role, pk))


@bp.route("/<int:pk>/delete", methods=["GET", "POST"])
@launch_required(*STAFF)
def delete_role(pk: int) -> Any:
    ctx = current_launch()
    row = _found(services.role, pk)
    if request.method == "POST":
        name = row.name
        services.delete_role(row, by=ctx.name, by_person_id=ctx.person_id)
        db.session.commit()
        flash(_("Job role %(name)s is deleted.", name=name), "success")
        return _see_other("roles.index")
    return render_template(
        "roles/confirm_delete.html",
        ctx=ctx,
        kind="role",
        name=row.name,
        dependents=services.role_dependents(row),
        action=url_for("roles.delete_role", pk=pk),
    )


def _skill_form(row: Any) -> Any:
    ctx = current_launch()
    values = {
        "name": row.name if row else "",
        "description": row.description if row else "",
        **{f"level{n}": (row.level_text(n) if row else "") for n in LEVELS},
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        saved, errors = services.save_skill(
            ctx.registration_id,
            row,
            values["name"],
            values["description"],
            [values[f"level{n}"] for n in LEVELS],
        )
        if saved is not None:
            db.session.commit()
            flash(_("Skill %(name)s is saved.", name=saved.name), "success")
            return _see_other("roles.index", _anchor="skills")
    return render_template(
        "roles/skill_form.html", ctx=ctx, row=row, values=values, errors=errors
    ), (400 if errors else 200)


@bp.route("/skills/new", methods=["GET", "POST"])
@launch_required(*STAFF)
def new_skill() -> Any:
    return _skill_form(None)


@bp.route("/skills/<int:pk>/edit", methods=["GET", "POST"])
@launch_required(*STAFF)
def edit_skill(pk: int) -> Any:
    return _skill_form(_found(services.skill, pk))


@bp.route("/skills/<int:pk>/delete", methods=["GET", "POST"])
@launch_required(*STAFF)
def delete_skill(pk: int) -> Any:
    ctx = current_launch()
    row = _found(services.skill, pk)
    if request.method == "POST":
        name = row.name
        services.delete_skill(row)
        db.session.commit()
        flash(_("Skill %(name)s is deleted.", name=name), "success")
        return _see_other("roles.index", _anchor="skills")
    return render_template(
        "roles/confirm_delete.html",
        ctx=ctx,
        kind="skill",
        name=row.name,
        dependents=services.skill_dependents(row),
        action=url_for("roles.delete_skill", pk=pk),
    )


@bp.route("/matrix", methods=["GET", "POST"])
@launch_required(*STAFF)
def matrix() -> Any:
    ctx = current_launch()
    role_rows, skill_rows = services.roles(), services.skills()
    current = services.targets()
    values = {
        services.matrix_field(r.id, s.id): str(current.get((r.id, s.id), ""))
        for r in role_rows
        for s in skill_rows
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        parsed, errors = services.parse_matrix(values, role_rows, skill_rows)
        if not errors:
            changed = services.save_matrix(ctx.registration_id, parsed)
            db.session.commit()
            flash(
                ngettext(
                    "Target levels saved (%(num)s changed).",
                    "Target levels saved (%(num)s changed).",
                    changed,
                )
                if changed
                else _("Nothing changed."),
                "success",
            )
            return _see_other("roles.matrix")
    return render_template(
        "roles/matrix.html",
        ctx=ctx,
        roles=role_rows,
        skills=skill_rows,
        values=values,
        errors=errors,
        field=services.matrix_field,
    ), (400 if errors else 200)


@bp.get("/unmatched")
@launch_required(*STAFF)
def unmatched() -> str:
    return render_template(
        "roles/unmatched.html",
        ctx=current_launch(),
        unmatched=services.unmatched_values(),
        roles=services.roles(),
    )


@bp.post("/unmatched/map")
@launch_required(*STAFF)
def map_unmatched() -> Any:
    ctx = current_launch()
    value = request.form.get("value", "")
    role_pk = as_id(request.form.get("role_id", ""))
    # No such role here (deleted meanwhile, or another LMS's): asked again, like no choice.
    target = db.session.get(services.JobRole, role_pk) if role_pk is not None else None
    if target is None or not value.strip():
        flash(_("Choose the job role this LMS value means."), "error")
        return _see_other("roles.unmatched")
    assigned = services.map_value(ctx.registration_id, value, target)
    db.session.commit()
    flash(
        ngettext(
            "“%(value)s” now means %(role)s; %(num)s person has that role from the LMS now.",
            "“%(value)s” now means %(role)s; %(num)s people have that role from the LMS now.",
            assigned,
            value=value,
            role=target.name,
        ),
        "success",
    )
    return _see_other("roles.unmatched")


# --- teams ----------------------------------------------------------------------------------


@bp.route("/teams", methods=["GET", "POST"])
@launch_required(*STAFF)
def teams() -> Any:
    ctx = current_launch()
    values = {"name": "", "leader": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        saved, errors = services.save_team(
            ctx.registration_id, None, values["name"], values["leader"]
        )
        if saved is not None:
            db.session.commit()
            created = _("Team %(name)s is created.", name=saved.name)
            flash(" ".join((created, _("Add its members below."))), "success")
            return _see_other("roles.team_page", pk=saved.id)
    rows = services.teams()
    return render_template(
        "roles/teams.html",
        ctx=ctx,
        teams=rows,
        values=values,
        errors=errors,
        people=services.search_people("", limit=500),
    ), (400 if errors else 200)


@bp.route("/teams/<int:pk>", methods=["GET", "POST"])
@launch_required(*STAFF)
def team_page(pk: int) -> Any:
    ctx = current_launch()
    row = _found(services.team, pk)
    leader = row.leader.email or row.leader.display_name if row.leader else ""
    values = {"name": row.name, "leader": leader, "member": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.form.get("action", "save")
        if action == "add":
            values["member"] = request.form.get("member", "")
            added, why = services.add_member(ctx.registration_id, row, values["member"])
            if added is not None:
                db.session.commit()
                flash(
                    _("%(person)s is now in %(team)s.", person=added.display_name, team=row.name),
                    "success",
                )
                return _see_other("roles.team_page", pk=pk)
            errors["member"] = why
        else:
            values["name"] = request.form.get("name", "")
            values["leader"] = request.form.get("leader", "")
            saved, errors = services.save_team(
                ctx.registration_id, row, values["name"], values["leader"]
            )
            if saved is not None:
                db.session.commit()
                flash(_("Team %(name)s is saved.", name=saved.name), "success")
                return _see_other("roles.team_page", pk=pk)
    members = sorted(row.members, key=lambda m: m.person.display_name.lower())
    return render_template(
        "roles/team.html",
        ctx=ctx,
        team=row,
        members=members,
        effective=services.effective_for(m.person_id for m in members),
        values=values,
        errors=errors,
        people=services.search_people("", limit=500),
    ), (400 if errors else 200)


@bp.post("/teams/<int:pk>/members/<int:person_id>/remove")
@launch_required(*STAFF)
def remove_member(pk: int, person_id: int) -> Any:
    row = _found(services.team, pk)
    services.remove_member(row, person_id)
    db.session.commit()
    flash(_("Removed from the team."), "success")
    return _see_other("roles.team_page", pk=pk)


@bp.route("/teams/<int:pk>/delete", methods=["GET", "POST"])
@launch_required(*STAFF)
def delete_team(pk: int) -> Any:
    ctx = current_launch()
    row = _found(services.team, pk)
    if request.method == "POST":
        name = row.name
        services.delete_team(row)
        db.session.commit()
        flash(_("Team %(name)s is deleted; its members are in no team now.", name=name), "success")
        return _see_other("roles.teams")
    return render_template(
        "roles/confirm_delete.html",
        ctx=ctx,
        kind="team",
        name=row.name,
        dependents=None,
        members=len(row.members),
        action=url_for("roles.delete_team", pk=pk),
    )


# --- administrators: HR import and a person's role ------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@launch_required(Role.ADMINISTRATOR)
def hr_import_page() -> Any:
    ctx = current_launch()
    text, problem, plan, applied = "", "", None, None
    if request.method == "POST":
        if request.form.get("action") == "apply":
            text = request.form.get("csv_text", "")
            try:
                applied = hr_import.apply(
                    ctx.registration_id,
                    text,
                    request.form.get("digest", ""),
                    by=ctx.name,
                    by_person_id=ctx.person_id,
                )
            except hr_import.StalePlan as stale:
                db.session.rollback()
                plan = stale.plan
                problem = " ".join(
                    (
                        _("Something changed since the preview, so nothing was applied."),
                        _("Check the changes below again."),
                    )
                )
            else:
                db.session.commit()
                flash(
                    ngettext(
                        "HR import applied: %(num)s change.",
                        "HR import applied: %(num)s changes.",
                        len(applied.changes),
                    )
                    if applied.changes
                    else _("HR import checked: everything already matched, nothing changed."),
                    "success",
                )
                return _see_other("roles.hr_import_page")
        else:
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                problem = _("Choose the CSV file exported from your HR system.")
            else:
                text, problem = hr_import.read_upload(upload.read())
                if not problem:
                    plan = hr_import.plan(text)
    return render_template("roles/import.html", ctx=ctx, text=text, problem=problem, plan=plan), (
        400 if problem or (plan and plan.errors) else 200
    )


@bp.get("/people")
@launch_required(Role.ADMINISTRATOR)
def people() -> str:
    query = request.args.get("q", "")
    rows = services.search_people(query)
    return render_template(
        "roles/people.html",
        ctx=current_launch(),
        query=query,
        people=rows,
        effective=services.effective_for(p.id for p in rows),
        teams={p.id: services.team_of(p.id) for p in rows},
    )


@bp.route("/people/<int:pk>", methods=["GET", "POST"])
@launch_required(Role.ADMINISTRATOR)
def person_page(pk: int) -> Any:
    ctx = current_launch()
    who = _found(services.person, pk)
    error = ""
    if request.method == "POST":
        role_id = request.form.get("role_id", "")
        if request.form.get("action") == "clear":
            services.admin_set_role(who, None, ctx.name, ctx.person_id)
            db.session.commit()
            flash(
                _("The administrator's choice is cleared: the other sources apply again."),
                "success",
            )
            return _see_other("roles.person_page", pk=pk)
        target = (
            db.session.get(services.JobRole, role_pk)
            if (role_pk := as_id(role_id)) is not None
            else None
        )
        if target is None:
            error = _("Choose a job role.")
        else:
            changed = services.admin_set_role(who, target, ctx.name, ctx.person_id)
            db.session.commit()
            flash(
                _("%(person)s is now %(role)s.", person=who.display_name, role=target.name)
                if changed
                else _("%(role)s is recorded as the administrator's choice.", role=target.name),
                "success",
            )
            return _see_other("roles.person_page", pk=pk)
    return render_template(
        "roles/person.html",
        ctx=ctx,
        who=who,
        summary=services.summary(who.id),
        team=services.team_of(who.id),
        roles=services.roles(),
        goal=services.career_goal(who.id),
        error=error,
    ), (400 if error else 200)


# --- everyone: my role, requests, career goal -----------------------------------------------


def _render_me(errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Any:
    ctx = current_launch()
    me = _me()
    leader = services.team_leader_of(me.id)
    return render_template(
        "roles/me.html",
        ctx=ctx,
        me=me,
        summary=services.summary(me.id),
        team=services.team_of(me.id),
        leader=leader,
        roles=services.roles(),
        pending=services.pending_request(me.id),
        past=[r for r in services.requests_of(me.id) if r.status != "pending"],
        goal=services.career_goal(me.id),
        errors=errors or {},
        values=values or {"role_id": "", "reason": ""},
    ), (400 if errors else 200)


@bp.get("/me")
@launch_required()
def me() -> Any:
    return _render_me()


@bp.post("/me/request")
@launch_required()
def request_change() -> Any:
    ctx = current_launch()
    values = {"role_id": request.form.get("role_id", ""), "reason": request.form.get("reason", "")}
    me = _me()
    row, errors = services.request_change(
        ctx.registration_id, me, values["role_id"], values["reason"]
    )
    if row is None:
        if services.pending_request(me.id) is not None:
            # The page shows the waiting request instead of the form: say why nothing was sent.
            flash(next(iter(errors.values()), _("You already have a request waiting.")), "error")
            return _see_other("roles.me")
        return _render_me(errors, values)
    db.session.commit()
    flash(_("Your request to become %(role)s is sent.", role=row.role.name), "success")
    return _see_other("roles.me")


@bp.post("/me/withdraw")
@launch_required()
def withdraw() -> Any:
    if services.withdraw_request(_me()):
        db.session.commit()
        flash(_("Your request is withdrawn."), "success")
    else:
        flash(_("No request of yours is waiting, so there is nothing to withdraw."), "error")
    return _see_other("roles.me")


@bp.post("/me/goal")
@launch_required()
def goal() -> Any:
    ctx = current_launch()
    error = services.set_career_goal(
        ctx.registration_id, _me(), request.form.get("goal_role_id", "")
    )
    if error:
        return _render_me({"goal": error})
    db.session.commit()
    flash(_("Your career goal is saved."), "success")
    return _see_other("roles.me", _anchor="goal")


@bp.get("/requests")
@launch_required()
def requests_page() -> str:
    ctx = current_launch()
    rows = services.requests_to_decide(ctx.person_id, ctx.has(*STAFF))
    return render_template(
        "roles/requests.html",
        ctx=ctx,
        rows=rows,
        effective=services.effective_for(r.person_id for r in rows),
        leads=services.teams_led_by(ctx.person_id),
        errors={},
        values={},
    )


@bp.post("/requests/<int:pk>")
@launch_required()
def decide(pk: int) -> Any:
    ctx = current_launch()
    row = db.session.get(services.RoleChangeRequest, pk)
    if row is None:
        abort(404)
    decision = request.form.get("decision", "")
    message = request.form.get("message", "")
    try:
        errors = services.decide(
            row, decision == "approve", message, decider=_me(), is_staff=ctx.has(*STAFF)
        )
    except services.Forbidden:
        raise LaunchError("forbidden_role") from None
    if errors:
        db.session.rollback()
        rows = services.requests_to_decide(ctx.person_id, ctx.has(*STAFF))
        if pk not in {r.id for r in rows}:
            # Withdrawn or decided meanwhile: its form is gone from the page, so say it there.
            flash(errors["message"], "error")
            return _see_other("roles.requests_page")
        return render_template(
            "roles/requests.html",
            ctx=ctx,
            rows=rows,
            effective=services.effective_for(r.person_id for r in rows),
            leads=services.teams_led_by(ctx.person_id),
            errors={pk: errors["message"]},
            values={pk: message},
        ), 400
    db.session.commit()
    flash(
        _("%(person)s's request is approved.", person=row.person.display_name)
        if decision == "approve"
        else _("%(person)s's request is declined.", person=row.person.display_name),
        "success",
    )
    return _see_other("roles.requests_page")
