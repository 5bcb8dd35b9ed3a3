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

from adapters.base import AdapterError, ErrorKind, LmsAdapter
from lti_tool import timezones
from lti_tool.catalog import access, accounts, plan, services, wording
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
from lti_tool.i18n import _, in_language_of
from lti_tool.i18n_stored import written
from lti_tool.jobs import services as jobs
from lti_tool.jobs.models import Job
from lti_tool.lti.roles import Role
from lti_tool.lti.session import current_launch, launch_required
from lti_tool.numbers import as_ids
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


def _access() -> access.Access:
    config = current_app.config
    return access.access_for(
        current_launch().registration_id,
        access.secret_keys(config),
        config["HTTP_TIMEOUT"],
        allow_demo=bool(config["DEV_LAUNCHER"]),
    )


def _adapter(*, as_me: bool = False) -> LmsAdapter | None:
    """The tenant's adapter; `as_me`: able to act as the launched person with their own token
    (Canvas OAuth, a Moodle token) where the service account may not."""
    ctx = current_launch()
    found = _access()
    if not as_me or found.demo:
        return access.adapter_for(found, ctx.registration_id)
    tokens = accounts.PersonTokens(
        ctx.registration_id, access.secret_keys(current_app.config), found.platform, ctx.person_id
    )
    return access.adapter_for(
        found, ctx.registration_id, tokens=tokens, acting_user=_lms_user() or None
    )


def _callback_url() -> str:
    # The same address in the authorise request and in the token exchange; never a launch token.
    return url_for("catalog.canvas_callback", _external=True, lt=None)


def _account_state() -> dict[str, Any]:
    """What the plan and account pages say about the person's own LMS authority."""
    ctx = current_launch()
    found = _access()
    platform = found.platform
    offered = (
        (platform == "canvas" and bool(found.settings.client_id))
        or (platform == "moodle" and found.granted)
        or found.demo  # the development launcher's pretend LMS, shown like Moodle
    )
    row = accounts.account(ctx.person_id, platform) if offered else None
    stale = accounts.needs_reconnect(row, access.secret_keys(current_app.config))
    return {
        "platform": platform,
        "offered": offered,
        # A saved token no configured key can read is no connection: ask to connect again.
        "account": None if stale else row,
        "reconnect": stale,
        "unreadable_fix": access.UNREADABLE_FIX if ctx.is_administrator else "",
    }


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
        "problem_text": access.problem_text,
        # Date patterns (i18n.date_text, CLDR) and the machine time stamp pages show with "UTC".
        "LONG_DATE": "dd MMMM y",
        "DAY_MONTH": "dd MMMM",
        "LONG_DATE_TIME": "EEEE dd MMMM y, HH:mm",
        "STAMP": "%Y-%m-%d %H:%M",
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
    measure = services.fitting.measure(db.session, ctx.person_id)
    return render_template(
        "catalog/item.html",
        ctx=ctx,
        item=row,
        fit=services.item_fit(row, measure),
        entry=entry,
        ratings=services.role_ratings(row.id, ctx.person_id),
        may_rate=services.may_rate(ctx.person_id, row.id),
        mine=mine,
        skills=roles.skills(),
        gap_skill_ids=[g.skill_id for g in measure.gaps],
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
        if plan.entry_for_item(ctx.person_id, row.id) is not None:
            # Added already (a second click): the page shows it in the plan, without the form.
            flash(errors.get("item") or _("It is already in your plan."), "error")
            return _see_other("catalog.item", pk=row.id)
        return _item_page(row, errors, {**form.__dict__, "stars": "", "comment": ""})
    db.session.commit()
    flash(
        _("“%(title)s” is in your plan. Enrol from here when you are ready.", title=row.title),
        "success",
    )
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
    flash(_("Thank you: your rating is saved."), "success")
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
        lms_account=_account_state(),
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
    outcome = plan.enrol(
        entry, None if entry.item.is_local else _adapter(as_me=True), user_id, _actor()
    )
    message = outcome.message
    if outcome.ask_leader:
        leader = roles.team_leader_of(ctx.person_id)
        message += " " + (
            _("Use “Ask for approval” below: %(name)s will decide.", name=leader.display_name)
            if leader
            else _("Use “Ask for approval” below: a trainer will decide.")
        )
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
        if entry.status != PlanStatus.PLANNED.value:
            # Asked already (or enrolled meanwhile): the plan shows no request form for it.
            flash(next(iter(errors.values())), "error")
            return _see_other("catalog.my_plan", _anchor=f"plan-{entry.id}")
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
            lms_account=_account_state(),
        ), 400
    leader = roles.team_leader_of(ctx.person_id)
    return _after_plan_change(
        _("Request sent: %(name)s will approve or decline it.", name=leader.display_name)
        if leader
        else _("Request sent: your trainers will approve or decline it."),
        "success",
        entry.id,
    )


@bp.post("/plan/<int:pk>/withdraw")
@launch_required()
def withdraw(pk: int) -> Any:
    entry = _entry(pk)
    if not plan.withdraw(entry, _actor()):
        return _after_plan_change(_("There is no request waiting to withdraw."), "error", entry.id)
    return _after_plan_change(
        _("Request withdrawn. The item stays in your plan."), "success", entry.id
    )


@bp.post("/plan/<int:pk>/done")
@launch_required()
def done(pk: int) -> Any:
    entry = _entry(pk)
    error = plan.mark_done(entry, _actor())
    if error:
        return _after_plan_change(error, "error", entry.id)
    return _after_plan_change(
        _("“%(title)s” is done. Well done!", title=entry.item.title), "success", entry.id
    )


@bp.route("/plan/<int:pk>/remove", methods=["GET", "POST"])
@launch_required()
def remove(pk: int) -> Any:
    ctx = current_launch()
    entry = _entry(pk)
    if request.method == "POST":
        title = entry.item.title
        plan.remove(entry, _actor())
        db.session.commit()
        flash(_("“%(title)s” is no longer in your plan.", title=title), "success")
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
        if pk not in {r.id for r in plan.requests_to_decide(ctx.person_id, ctx.has(*STAFF))}:
            # Withdrawn or decided meanwhile: its form is gone from the page, so say it there.
            flash(errors["message"], "error")
            return _see_other("catalog.requests_page")
        return _requests_page({pk: errors["message"]}, {pk: message})
    name = row.person.display_name
    db.session.commit()
    grade_jobs.dispatch_sync(ctx.registration_id)
    if not approve:
        flash(_("Declined. %(name)s sees your message in their plan.", name=name), "success")
    elif outcome is not None and outcome.ok:
        flash(_("Approved: %(name)s is enrolled.", name=name), "success")
    else:
        flash(
            _(
                "Approved. Wayfinder could not enrol %(name)s by itself: %(problem)s Their plan "
                "says so; a trainer can enrol them in the LMS.",
                name=name,
                problem=outcome.message,
            )
            if outcome and in_language_of(row.person)  # their problem, said in their language
            else _(
                "Approved. Wayfinder could not enrol %(name)s by itself. Their plan says so; a "
                "trainer can enrol them in the LMS.",
                name=name,
            ),
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
        "message": wording.shown(job.message),
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
        job_message=wording.shown(job.message) if job is not None else "",
        running=job is not None and not job.finished,
        platforms={
            **access.PLATFORMS,
            access.DEMO_PLATFORM: _("the demo LMS (development launcher)"),
        },
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
        access.secret_keys(current_app.config),
        allow_demo=bool(current_app.config["DEV_LAUNCHER"]),
    )
    if not found.granted:
        flash(
            _(
                "No LMS access is set up, so there is nothing to sync: the catalog holds the "
                "items you add here. An administrator can connect the LMS under LMS access."
            ),
            "error",
        )
        return _see_other("catalog.manage")
    source = access.source(ctx.registration_id)
    if source is not None and source.key_only:
        flash(wording.shown(written(wording.KEY_ONLY)), "error")
        return _see_other("catalog.manage")
    job, created = catalog_jobs.start_sync(
        ctx.registration_id, started_by=ctx.name, person_id=ctx.person_id
    )
    db.session.commit()
    if created:
        jobs.dispatch(job)
        flash(_("Catalog sync started. This page shows its progress."), "success")
    else:
        flash(_("A catalog sync is already waiting or running."), "success")
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
            flash(
                _("“%(title)s” is saved. The next sync keeps these choices.", title=row.title),
                "success",
            )
            return _see_other("catalog.manage")
        db.session.rollback()
        row = _item(pk)
    chosen = (
        set(as_ids(request.form.getlist("skills")))
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
        "starts_at": timezones.local(row.starts_at).strftime("%Y-%m-%d %H:%M")
        if row.starts_at
        else "",
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
                _(
                    "“%(title)s” is in the catalog. Tag its skills so it fits the right people.",
                    title=row.title,
                ),
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
        "client_id": row.client_id if row else "",
    }
    if not values["platform"] and ctx.platform in access.PLATFORMS:
        values["platform"] = ctx.platform
        values["base_url"] = ctx.issuer if ctx.platform == "moodle" else ""
    errors: dict[str, str] = {}
    demo = row is not None and row.platform == access.DEMO_PLATFORM
    if request.method == "POST" and demo and request.form.get("platform") == access.DEMO_PLATFORM:
        # The development launcher's pretend LMS, kept as it is (it has nothing to set).
        flash(
            _("LMS access unchanged: the catalog still syncs from the development launcher."),
            "success",
        )
        return _see_other("catalog.manage")
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        if current_app.config["ENV"] == "production" and values["base_url"]:
            from lti_tool.lti.dynreg import address_problem
            from lti_tool.web_address import split_url

            parts = split_url(values["base_url"].strip())
            host = (parts.hostname if parts is not None else None) or ""
            # No host: save_access says to give a full address.
            problem = host and address_problem(
                host, allow_private=bool(current_app.config["ALLOW_PRIVATE_LMS_ADDRESSES"])
            )
            if problem:
                errors["base_url"] = problem
        if not errors:
            errors = access.save_access(
                ctx.registration_id,
                access.secret_keys(current_app.config),
                platform=values["platform"],
                base_url=values["base_url"],
                token=request.form.get("token", ""),
                account_id=values["account_id"],
                by=ctx.name,
                client_id=values["client_id"],
                client_secret=request.form.get("client_secret", ""),
            )
        if not errors:
            db.session.commit()
            saved = access.source(ctx.registration_id)
            if saved is not None and saved.key_only:
                flash(
                    _(
                        "LMS access saved: people can now connect their own Canvas account. For "
                        "the catalog sync, connect the catalog as a Canvas account administrator "
                        "(below) or paste an admin token."
                    ),
                    "success",
                )
                return _see_other("catalog.access_page")
            flash(
                _("LMS access saved. Sync the catalog now to check it.")
                if values["platform"]
                else _("LMS access removed: the catalog holds local items only."),
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
        platforms=(
            {access.DEMO_PLATFORM: _("The development launcher's pretend LMS"), **access.PLATFORMS}
            if demo
            else access.PLATFORMS
        ),
        account_id_max=access.ACCOUNT_ID_MAX,
        has_token=bool(row and row.token_encrypted),
        has_secret=bool(row and row.client_secret_encrypted),
        # An administrator's Canvas connection in place of a pasted token (CatalogTokens).
        connected_as=row.connected_as if row and row.token_encrypted else "",
        can_connect=bool(
            row and row.platform == "canvas" and row.client_id and row.client_secret_encrypted
        ),
        lms_user=_lms_user(),
        unreadable=_access().unreadable,
        unreadable_fix=access.UNREADABLE_FIX,
        callback_url=_callback_url(),
    ), (400 if errors else 200)


# --- a person's own LMS authority -----------------------------------------------------------


@bp.get("/account")
@launch_required()
def account_page() -> Any:
    return _account_page({}, "")


def _account_page(errors: dict[str, str], status_message: str, status: int = 200) -> Any:
    ctx = current_launch()
    state = _account_state()
    found = _access()
    return render_template(
        "catalog/account.html",
        ctx=ctx,
        lms_account=state,
        errors=errors,
        base_url=found.settings.base_url,
        lms_user=_lms_user(),
    ), (400 if errors else status)


@bp.post("/account/moodle")
@launch_required()
def moodle_token() -> Any:
    ctx = current_launch()
    found = _access()
    error = accounts.save_moodle_token(
        found,
        ctx.registration_id,
        access.secret_keys(current_app.config),
        ctx.person_id,
        _lms_user(),
        request.form.get("token", ""),
    )
    if error:
        db.session.rollback()
        return _account_page({"token": error}, "")
    db.session.commit()
    flash(
        _(
            "Your Moodle token is saved. Wayfinder uses it only to enrol you in courses that "
            "allow self-enrolment only."
        ),
        "success",
    )
    return _see_other("catalog.my_plan")


@bp.route("/account/remove", methods=["GET", "POST"])
@launch_required()
def account_remove() -> Any:
    ctx = current_launch()
    state = _account_state()
    if state["account"] is None and not state["reconnect"]:
        flash(_("There is nothing to disconnect."), "success")
        return _see_other("catalog.account_page")
    if request.method == "POST":
        keys = access.secret_keys(current_app.config)
        oauth = (
            accounts.canvas_oauth(_access(), ctx.registration_id, keys, "", person_id=ctx.person_id)
            if state["platform"] == "canvas"
            else None
        )
        confirmed = accounts.disconnect(ctx.person_id, state["platform"], oauth)
        db.session.commit()
        said = _("Disconnected: Wayfinder forgot your token. Enrolments it made stay as they are.")
        if not confirmed:
            said += " " + _(
                "Canvas did not confirm it ended the connection: you can remove Wayfinder in "
                "Canvas under Account > Settings > Approved integrations."
            )
        flash(said, "success")
        return _see_other("catalog.account_page")
    return render_template("catalog/account_remove.html", ctx=ctx, lms_account=state)


def _to_canvas(purpose: str, cannot: str, why: str) -> Any:
    """Off to Canvas's authorise page (opened in a new window), with a state that says who asked
    and what for (this window carries no launch afterwards); or why not."""
    ctx = current_launch()
    secret_key = access.secret_keys(current_app.config)
    oauth = accounts.canvas_oauth(_access(), ctx.registration_id, secret_key, _callback_url())
    user = _lms_user()
    if oauth is None or not user:
        return render_template(
            "catalog/connect_result.html", ok=False, title=cannot, explanation=why
        ), 400
    state = accounts.make_state(secret_key, ctx.registration_id, ctx.person_id, user, purpose)
    return redirect(oauth.authorization_url(state), code=303)


@bp.get("/account/canvas/connect")
@launch_required()
def canvas_connect() -> Any:
    """From the plan or account page: the person connects their own Canvas account."""
    return _to_canvas(
        accounts.PERSON,
        _("Canvas cannot be connected here"),
        _(
            "Wayfinder has no Canvas developer key for this site, or the LMS did not say who "
            "you are in Canvas. Ask your administrator (Catalog > LMS access), then open "
            "Wayfinder from Canvas again."
        ),
    )


@bp.get("/access/canvas/connect")
@launch_required(Role.ADMINISTRATOR)
def catalog_canvas_connect() -> Any:
    """From LMS access: an administrator connects the catalog to Canvas as themselves, through
    the developer key, instead of pasting an admin token."""
    return _to_canvas(
        accounts.CATALOG,
        _("The catalog cannot be connected here"),
        _(
            "Save Canvas's address and an API developer key under LMS access first, and open "
            "Wayfinder from Canvas (Canvas then says who you are in Canvas)."
        ),
    )


@bp.route("/access/canvas/disconnect", methods=["GET", "POST"])
@launch_required(Role.ADMINISTRATOR)
def catalog_canvas_disconnect() -> Any:
    """From LMS access: end the catalog's Canvas connection (after a confirmation page)."""
    ctx = current_launch()
    row = access.source(ctx.registration_id)
    if row is None or not row.connected_as:
        flash(_("The catalog is not connected to Canvas through the developer key."), "success")
        return _see_other("catalog.access_page")
    if request.method == "GET":
        return render_template("catalog/access_disconnect.html", ctx=ctx, row=row)
    confirmed = access.disconnect(
        ctx.registration_id, access.secret_keys(current_app.config), by=ctx.name
    )
    db.session.commit()
    said = (
        _("Disconnected: Canvas ended the connection and Wayfinder forgot it.")
        if confirmed
        else _(
            "Disconnected: Wayfinder forgot the connection, but Canvas did not confirm it ended "
            "it. The administrator who connected it can remove Wayfinder in Canvas under "
            "Account > Settings > Approved integrations."
        )
    )
    flash(
        said
        + " "
        + _(
            "The catalog sync waits until someone connects the catalog again or pastes an "
            "admin token."
        ),
        "success" if confirmed else "error",
    )
    return _see_other("catalog.access_page")


@bp.get("/oauth/canvas/callback")
def canvas_callback() -> Any:
    """Canvas sends the person back here (in the new window) with `code` and `state`, or
    `error=access_denied`. No launch: the signed, single-use state names the person."""
    secret_key = access.secret_keys(current_app.config)

    def page(ok: bool, title: str, explanation: str, status: int) -> Any:
        return render_template(
            "catalog/connect_result.html", ok=ok, title=title, explanation=explanation
        ), status

    again = _("Go back to Wayfinder and use “Connect your Canvas account” once more.")
    try:
        state = accounts.read_state(secret_key, request.args.get("state", ""))
        if state.purpose == accounts.CATALOG:
            again = _("Go back to Wayfinder's LMS access page and connect the catalog once more.")
    except accounts.StateProblem as problem:
        if problem.reason == "used":
            return page(
                False,
                _("This link was used already"),
                _(
                    "Each Connect link works once. If you are connected, Wayfinder says so on "
                    "your plan."
                )
                + " "
                + again,
                400,
            )
        if problem.reason == "expired":
            return page(
                False,
                _("This took too long"),
                _("For your safety the Connect link works for ten minutes.") + " " + again,
                400,
            )
        return page(
            False,
            _("This link is not from Wayfinder"),
            _("Wayfinder cannot tell who asked for it, so it did nothing.") + " " + again,
            400,
        )
    # The state is spent whatever happens next (kept by the store; the database store joins
    # this transaction, so commit it now: a failure below must not make it usable again).
    db.session.commit()
    if request.args.get("error") or not request.args.get("code"):
        denied = request.args.get("error") == "access_denied"
        return page(
            False,
            _("Canvas was not connected") if denied else _("Canvas did not say yes"),
            (
                _(
                    "You chose not to allow Wayfinder. Nothing changed; courses that only you "
                    "can join stay in your plan."
                )
                if denied
                else _("Canvas sent you back without permission for Wayfinder.")
            )
            + " "
            + again,
            200 if denied else 400,
        )
    from lti_tool.tenancy import set_tenant

    set_tenant(db.session, state.registration_id)
    found = access.access_for(state.registration_id, secret_key, current_app.config["HTTP_TIMEOUT"])
    oauth = accounts.canvas_oauth(
        found,
        state.registration_id,
        secret_key,
        _callback_url(),
        person_id=state.person_id,
        purpose=state.purpose,
    )
    if oauth is None:
        return page(
            False,
            _("Canvas cannot be connected here"),
            _("Wayfinder's Canvas developer key was removed meanwhile. Ask your administrator."),
            400,
        )
    try:
        oauth.exchange_code(request.args["code"], expected_user_id=state.lms_user_id)
    except AdapterError as error:
        db.session.rollback()
        if error.kind is ErrorKind.UNAVAILABLE:
            return page(
                False,
                _("Canvas is not answering"),
                _(
                    "Canvas did not answer Wayfinder, so you are not connected yet. Try again in "
                    "a few minutes."
                )
                + " "
                + again,
                502,
            )
        if error.kind is ErrorKind.REFUSED:
            return page(
                False,
                _("You are logged in to Canvas as someone else"),
                _(
                    "Canvas allowed Wayfinder for a different Canvas account than the one you "
                    "opened Wayfinder from. Log out of Canvas, log in as yourself, and try again."
                )
                + " "
                + again,
                409,
            )
        return page(
            False,
            _("Canvas did not accept the connection"),
            _(
                "Canvas refused Wayfinder's request (the link may have been used already, or the "
                "developer key changed)."
            )
            + " "
            + again,
            400,
        )
    if state.purpose == accounts.CATALOG:
        person = db.session.get(Person, state.person_id)
        access.connected(state.registration_id, by=person.display_name if person else "")
        db.session.commit()
        return page(
            True,
            _("The catalog is connected - you can close this window and go back"),
            _(
                "Wayfinder now reads the catalog, enrols people and checks their progress in "
                "Canvas as you (Canvas user %(user)s), and renews the connection by itself. "
                "Close this window, go back to Curate and sync and sync the catalog.",
                user=state.lms_user_id,
            ),
            200,
        )
    db.session.commit()
    return page(
        True,
        _("Connected - you can close this window and go back"),
        _(
            "Wayfinder can now enrol you in Canvas courses that only you can join. Close this "
            "window, go back to your plan and press Enrol again."
        ),
        200,
    )
