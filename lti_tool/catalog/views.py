"""The catalog, the personal plan, enrolment requests, curation and LMS access. Everything is
scoped to the launch's tenant.

Everyone
GET       /catalog/                          search and filters, sorted by relevance or fit
GET       /catalog/i/<id>                    an item: why it fits, ratings by people in my role
POST      /catalog/i/<id>/plan, …/rate       add to my plan (goal, target date); rate 1-5
GET       /catalog/plan                      my plan (asks the LMS about completion)
POST      /catalog/plan/<p>/enrol, …/ask, …/withdraw, …/done
GET|POST  /catalog/plan/<p>/remove           with a confirmation
Leaders (and instructors/administrators for people without a team leader)
GET       /catalog/requests, POST …/<id>     approve or decline with a message
Instructors and administrators
GET       /catalog/manage                    sync status and progress, problems, every item
POST      /catalog/manage/sync               sync now; GET …/status (JSON, polled)
GET|POST  /catalog/manage/i/<id>, …/new      curate an item; add or edit a local item
Administrators
GET|POST  /catalog/access                    the LMS address and token
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from adapters.base import LmsAdapter
from lti_tool.catalog import access, plan, services
from lti_tool.catalog import jobs as catalog_jobs
from lti_tool.catalog.models import (
    LEVEL_LABELS,
    CatalogItem,
    GoalKind,
    ItemFormat,
    PlanStatus,
)
from lti_tool.errors import LaunchError
from lti_tool.extensions import db
from lti_tool.grades import jobs as grade_jobs
from lti_tool.grades import services as grades
from lti_tool.jobs import services as jobs
from lti_tool.jobs.models import Job
from lti_tool.lti.roles import Role
from lti_tool.lti.session import current_launch, launch_required
from lti_tool.paths.services import Actor
from lti_tool.people.models import Person
from lti_tool.roles import services as roles

bp = Blueprint("catalog", __name__, url_prefix="/catalog")

STAFF = (Role.INSTRUCTOR, Role.ADMINISTRATOR)


def _actor() -> Actor:
    ctx = current_launch()
    return Actor(ctx.name or "Someone", ctx.person_id, ctx.has(*STAFF))


def _me() -> Person:
    row = db.session.get(Person, current_launch().person_id)
    assert row is not None
    return row


def _adapter() -> LmsAdapter | None:
    config = current_app.config
    registration_id = current_launch().registration_id
    found = access.access_for(
        registration_id,
        config["SECRET_KEY"],
        config["HTTP_TIMEOUT"],
        allow_demo=bool(config["DEV_LAUNCHER"]),
    )
    return access.adapter_for(found, registration_id)


def _lms_user() -> str:
    """The launched person's id in the LMS's API, for the tenant's platform."""
    ctx = current_launch()
    source = access.source(ctx.registration_id)
    return plan.lms_user_id(source.platform if source else "", ctx.sub, ctx.custom)


def _local_only() -> bool:
    row = access.source(current_launch().registration_id)
    return row is None or not row.platform


def _see_other(endpoint: str, **values: Any) -> Any:
    return redirect(url_for(endpoint, **values), code=303)


def _item(pk: int) -> CatalogItem:
    try:
        return services.item(pk, staff=current_launch().has(*STAFF))
    except services.NotFound:
        abort(404)


def _entry(pk: int) -> Any:
    try:
        return plan.entry(pk, current_launch().person_id)
    except plan.NotFound:
        abort(404)


@bp.context_processor
def _shared() -> dict[str, Any]:
    return {
        "LEVEL_LABELS": LEVEL_LABELS,
        "ItemFormat": ItemFormat,
        "GoalKind": GoalKind,
        "PlanStatus": PlanStatus,
        "DURATIONS": services.DURATIONS,
        "is_staff": bool(g.get("launch") and g.launch.has(*STAFF)),
    }


# --- catalog --------------------------------------------------------------------------------


@bp.get("/")
@launch_required()
def index() -> str:
    ctx = current_launch()
    filters = services.Filters.parse(request.args)
    found = services.search(filters, person_id=ctx.person_id)
    in_plan = {row.item_id: row for row in plan.plan_of(ctx.person_id)}
    return render_template(
        "catalog/index.html",
        ctx=ctx,
        filters=filters,
        found=found,
        skills=roles.skills(),
        languages=services.languages(),
        in_plan=in_plan,
        local_only=_local_only(),
    )


def _item_page(row: CatalogItem, errors: dict[str, str], values: dict[str, str]) -> Any:
    ctx = current_launch()
    _bind_line_item(row)
    entry = plan.entry_for_item(ctx.person_id, row.id)
    mine = services.my_rating(ctx.person_id, row.id)
    skill_gaps = services.fitting.skill_gaps(db.session, ctx.person_id)
    return render_template(
        "catalog/item.html",
        ctx=ctx,
        item=row,
        fit=services.item_fit(row, ctx.person_id),
        entry=entry,
        ratings=services.role_ratings(row.id, ctx.person_id),
        may_rate=services.may_rate(ctx.person_id, row.id),
        mine=mine,
        skills=roles.skills(),
        gap_skill_ids=[g.skill_id for g in skill_gaps],
        goal=roles.career_goal(ctx.person_id),
        errors=errors,
        values=values,
        min_group=services.MIN_GROUP,
    ), (400 if errors else 200)


def _bind_line_item(row: CatalogItem) -> None:
    """A launch of this item placed in a course (deep linking) with the gradebook service:
    keep a line item for it there, so plan progress reaches that course's gradebook."""
    ctx = current_launch()
    placed = ctx.custom.get("wayfinder_item", "")
    if placed != plan.item_key(row.id) or ctx.course is None:
        return
    if grades.endpoint(db.session, ctx.course.id) is None:
        return
    grades.ensure_line_item(
        db.session,
        ctx.registration_id,
        ctx.course.id,
        plan.item_key(row.id),
        label=row.title,
        score_maximum=1.0,
        resource_link_id=ctx.resource_link_id,
    )
    db.session.commit()


@bp.get("/i/<int:pk>")
@launch_required()
def item(pk: int) -> Any:
    row = _item(pk)
    default_goal = (
        GoalKind.CAREER_GOAL.value
        if roles.career_goal(current_launch().person_id)
        else GoalKind.SKILL_GAP.value
    )
    return _item_page(row, {}, {"goal_kind": default_goal, "stars": "", "comment": ""})


@bp.post("/i/<int:pk>/plan")
@launch_required()
def add_to_plan(pk: int) -> Any:
    ctx = current_launch()
    row = _item(pk)
    form = plan.AddForm(
        goal_kind=request.form.get("goal_kind", ""),
        goal_skill_id=request.form.get("goal_skill_id", ""),
        goal_note=request.form.get("goal_note", ""),
        target_date=request.form.get("target_date", ""),
    )
    entry, errors = plan.add(ctx.registration_id, _me(), row, form, _actor(), lms_user=_lms_user())
    if errors or entry is None:
        db.session.rollback()
        return _item_page(row, errors, {**form.__dict__, "stars": "", "comment": ""})
    db.session.commit()
    flash(f"“{row.title}” is in your plan. Enrol from here when you are ready.", "success")
    return _see_other("catalog.my_plan", _anchor=f"plan-{entry.id}")


@bp.post("/i/<int:pk>/rate")
@launch_required()
def rate(pk: int) -> Any:
    ctx = current_launch()
    row = _item(pk)
    stars, comment = request.form.get("stars", ""), request.form.get("comment", "")
    errors = services.rate(ctx.registration_id, ctx.person_id, row.id, stars, comment)
    if errors:
        db.session.rollback()
        return _item_page(row, errors, {"stars": stars, "comment": comment, "goal_kind": ""})
    db.session.commit()
    flash("Thank you: your rating is saved.", "success")
    return _see_other("catalog.item", pk=row.id)


# --- my plan --------------------------------------------------------------------------------


@bp.get("/plan")
@launch_required()
def my_plan() -> str:
    ctx = current_launch()
    job = catalog_jobs.check_completion(ctx.registration_id, ctx.person_id)
    if job is not None:
        db.session.commit()
        jobs.dispatch(job)
    rows = plan.plan_of(ctx.person_id)
    return render_template(
        "catalog/plan.html",
        ctx=ctx,
        rows=rows,
        requests=plan.latest_requests(r.id for r in rows),
        progress=plan.progress(ctx.person_id),
        leader=roles.team_leader_of(ctx.person_id),
        errors={},
        values={},
    )


def _after_plan_change(message: str, category: str, entry_id: int) -> Any:
    db.session.commit()
    grade_jobs.dispatch_sync(current_launch().registration_id)
    flash(message, category)
    return _see_other("catalog.my_plan", _anchor=f"plan-{entry_id}")


@bp.post("/plan/<int:pk>/enrol")
@launch_required()
def enrol(pk: int) -> Any:
    ctx = current_launch()
    entry = _entry(pk)
    user_id = _lms_user() or entry.lms_user_id
    outcome = plan.enrol(entry, None if entry.item.is_local else _adapter(), user_id, _actor())
    message = outcome.message
    if outcome.ask_leader:
        leader = roles.team_leader_of(ctx.person_id)
        who = leader.display_name if leader else "a trainer"
        message += f" Use “Ask for approval” below: {who} will decide."
    return _after_plan_change(message, "success" if outcome.ok else "error", entry.id)


@bp.post("/plan/<int:pk>/ask")
@launch_required()
def ask(pk: int) -> Any:
    ctx = current_launch()
    entry = _entry(pk)
    reason = request.form.get("reason", "")
    errors = plan.ask_leader(ctx.registration_id, entry, reason, _actor())
    if errors:
        db.session.rollback()
        rows = plan.plan_of(ctx.person_id)
        return render_template(
            "catalog/plan.html",
            ctx=ctx,
            rows=rows,
            requests=plan.latest_requests(r.id for r in rows),
            progress=plan.progress(ctx.person_id),
            leader=roles.team_leader_of(ctx.person_id),
            errors={entry.id: errors["reason"]},
            values={entry.id: reason},
        ), 400
    leader = roles.team_leader_of(ctx.person_id)
    who = leader.display_name if leader else "your trainers"
    return _after_plan_change(
        f"Request sent: {who} will approve or decline it.", "success", entry.id
    )


@bp.post("/plan/<int:pk>/withdraw")
@launch_required()
def withdraw(pk: int) -> Any:
    entry = _entry(pk)
    if not plan.withdraw(entry, _actor()):
        return _after_plan_change("There is no request waiting to withdraw.", "error", entry.id)
    return _after_plan_change(
        "Request withdrawn. The item stays in your plan.", "success", entry.id
    )


@bp.post("/plan/<int:pk>/done")
@launch_required()
def done(pk: int) -> Any:
    entry = _entry(pk)
    error = plan.mark_done(entry, _actor())
    if error:
        return _after_plan_change(error, "error", entry.id)
    return _after_plan_change(f"“{entry.item.title}” is done. Well done!", "success", entry.id)


@bp.route("/plan/<int:pk>/remove", methods=["GET", "POST"])
@launch_required()
def remove(pk: int) -> Any:
    ctx = current_launch()
    entry = _entry(pk)
    if request.method == "POST":
        title = entry.item.title
        plan.remove(entry, _actor())
        db.session.commit()
        flash(f"“{title}” is no longer in your plan.", "success")
        return _see_other("catalog.my_plan")
    return render_template("catalog/confirm_remove.html", ctx=ctx, entry=entry)


# --- leaders: requests ----------------------------------------------------------------------


def _requests_page(errors: dict[int, str], values: dict[int, str]) -> Any:
    ctx = current_launch()
    return render_template(
        "catalog/requests.html",
        ctx=ctx,
        rows=plan.requests_to_decide(ctx.person_id, ctx.has(*STAFF)),
        errors=errors,
        values=values,
    ), (400 if errors else 200)


@bp.get("/requests")
@launch_required()
def requests_page() -> Any:
    return _requests_page({}, {})


@bp.post("/requests/<int:pk>")
@launch_required()
def decide(pk: int) -> Any:
    ctx = current_launch()
    try:
        row = plan.request(pk)
    except plan.NotFound:
        abort(404)
    message = request.form.get("message", "")
    approve = request.form.get("decision", "") == "approve"
    adapter = None if row.plan_item.item.is_local else _adapter()
    try:
        errors, outcome = plan.decide(
            row, approve, message, decider=_me(), is_staff=ctx.has(*STAFF), adapter=adapter
        )
    except plan.Forbidden:
        raise LaunchError("forbidden_role") from None
    if errors:
        db.session.rollback()
        return _requests_page({pk: errors["message"]}, {pk: message})
    name = row.person.display_name
    db.session.commit()
    grade_jobs.dispatch_sync(ctx.registration_id)
    if not approve:
        flash(f"Declined. {name} sees your message in their plan.", "success")
    elif outcome is not None and outcome.ok:
        flash(f"Approved: {name} is enrolled.", "success")
    else:
        flash(
            f"Approved. Wayfinder could not enrol {name} by itself"
            + (f": {outcome.message}" if outcome else ".")
            + " Their plan says so; a trainer can enrol them in the LMS.",
            "error",
        )
    return _see_other("catalog.requests_page")


# --- trainers: sync and curation ------------------------------------------------------------


def _status(job: Job | None) -> dict[str, Any]:
    if job is None:
        return {"state": "none", "finished": True}
    return {
        "state": job.state.value,
        "finished": job.finished and not job.retry_pending,
        "done": job.progress_done,
        "total": job.progress_total,
        "percent": job.percent,
        "message": job.message,
    }


@bp.get("/manage")
@launch_required(*STAFF)
def manage() -> str:
    ctx = current_launch()
    filters = services.Filters.parse(request.args)
    job = catalog_jobs.latest_sync(ctx.registration_id)
    return render_template(
        "catalog/manage.html",
        ctx=ctx,
        filters=filters,
        found=services.search(filters, staff=True),
        counts=services.counts(),
        source=access.source(ctx.registration_id),
        job=job,
        running=job is not None and not job.finished,
        platforms={**access.PLATFORMS, access.DEMO_PLATFORM: "the demo LMS (development launcher)"},
    )


@bp.get("/manage/status")
@launch_required(*STAFF)
def status() -> Any:
    return jsonify(_status(catalog_jobs.latest_sync(current_launch().registration_id)))


@bp.post("/manage/sync")
@launch_required(*STAFF)
def sync() -> Any:
    ctx = current_launch()
    found = access.access_for(
        ctx.registration_id,
        current_app.config["SECRET_KEY"],
        allow_demo=bool(current_app.config["DEV_LAUNCHER"]),
    )
    if not found.granted:
        flash(
            "No LMS access is set up, so there is nothing to sync: the catalog holds the items "
            "you add here. An administrator can connect the LMS under LMS access.",
            "error",
        )
        return _see_other("catalog.manage")
    job, created = catalog_jobs.start_sync(
        ctx.registration_id, started_by=ctx.name, person_id=ctx.person_id
    )
    db.session.commit()
    if created:
        jobs.dispatch(job)
        flash("Catalog sync started. This page shows its progress.", "success")
    else:
        flash("A catalog sync is already waiting or running.", "success")
    return _see_other("catalog.manage")


def _checked(name: str) -> bool:
    return request.form.get(name) in ("1", "on", "true")


@bp.route("/manage/i/<int:pk>", methods=["GET", "POST"])
@launch_required(*STAFF)
def curate(pk: int) -> Any:
    ctx = current_launch()
    row = _item(pk)
    errors: dict[str, str] = {}
    local_values = _local_values(row)
    if request.method == "POST":
        if row.is_local:
            local_values = {k: request.form.get(k, "") for k in local_values}
            _saved, errors = services.save_local(
                ctx.registration_id, row, services.LocalForm(**local_values), by=ctx.name
            )
        if not errors:
            form = services.CurationForm(
                skills=request.form.getlist("skills"),
                level=request.form.get("level", ""),
                format=request.form.get("format", "") if not row.is_local else "",
                hidden=_checked("hidden"),
                featured=_checked("featured"),
                needs_approval=_checked("needs_approval"),
            )
            errors = services.curate(ctx.registration_id, row, form, by=ctx.name)
        if not errors:
            db.session.commit()
            flash(f"“{row.title}” is saved. The next sync keeps these choices.", "success")
            return _see_other("catalog.manage")
        db.session.rollback()
        row = _item(pk)
    chosen = (
        {int(s) for s in request.form.getlist("skills") if s.isdigit()}
        if request.method == "POST"
        else set(services.skill_ids_of(row.id))
    )
    return render_template(
        "catalog/curate.html",
        ctx=ctx,
        item=row,
        skills=roles.skills(),
        chosen=chosen,
        errors=errors,
        form=request.form if request.method == "POST" else None,
        values=local_values,
    ), (400 if errors else 200)


def _local_values(row: CatalogItem | None) -> dict[str, str]:
    if row is None:
        return {
            k: ""
            for k in (
                "title",
                "summary",
                "url",
                "format",
                "duration",
                "language",
                "capacity",
                "starts_at",
            )
        }
    return {
        "title": row.title,
        "summary": row.summary,
        "url": row.url,
        "format": row.lms_format,
        "duration": str(row.duration_minutes or ""),
        "language": row.language,
        "capacity": str(row.capacity or ""),
        "starts_at": row.starts_at.strftime("%Y-%m-%d %H:%M") if row.starts_at else "",
    }


@bp.route("/manage/new", methods=["GET", "POST"])
@launch_required(*STAFF)
def new_local() -> Any:
    ctx = current_launch()
    values = _local_values(None)
    values["format"] = request.args.get("format", "link")
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        row, errors = services.save_local(
            ctx.registration_id, None, services.LocalForm(**values), by=ctx.name
        )
        if row is not None and not errors:
            db.session.commit()
            flash(
                f"“{row.title}” is in the catalog. Tag its skills so it fits the right people.",
                "success",
            )
            return _see_other("catalog.curate", pk=row.id)
        db.session.rollback()
    return render_template("catalog/local_form.html", ctx=ctx, values=values, errors=errors), (
        400 if errors else 200
    )


# --- administrators: LMS access -------------------------------------------------------------


@bp.route("/access", methods=["GET", "POST"])
@launch_required(Role.ADMINISTRATOR)
def access_page() -> Any:
    ctx = current_launch()
    row = access.source(ctx.registration_id)
    values = {
        "platform": row.platform if row else "",
        "base_url": row.base_url if row else "",
        "account_id": row.account_id if row else "self",
    }
    if not values["platform"] and ctx.platform in access.PLATFORMS:
        values["platform"] = ctx.platform
        values["base_url"] = ctx.issuer if ctx.platform == "moodle" else ""
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        if current_app.config["ENV"] == "production" and values["base_url"]:
            from urllib.parse import urlsplit

            from lti_tool.lti.dynreg import address_problem

            host = urlsplit(values["base_url"].strip()).hostname or ""
            problem = address_problem(
                host, allow_private=bool(current_app.config["ALLOW_PRIVATE_LMS_ADDRESSES"])
            )
            if problem:
                errors["base_url"] = f"This address {problem}."
        if not errors:
            errors = access.save_access(
                ctx.registration_id,
                current_app.config["SECRET_KEY"],
                platform=values["platform"],
                base_url=values["base_url"],
                token=request.form.get("token", ""),
                account_id=values["account_id"],
                by=ctx.name,
            )
        if not errors:
            db.session.commit()
            flash(
                "LMS access saved. Sync the catalog now to check it."
                if values["platform"]
                else "LMS access removed: the catalog holds local items only.",
                "success",
            )
            return _see_other("catalog.manage")
        db.session.rollback()
    return render_template(
        "catalog/access.html",
        ctx=ctx,
        row=row,
        values=values,
        errors=errors,
        platforms=access.PLATFORMS,
        has_token=bool(row and row.token_encrypted),
    ), (400 if errors else 200)
