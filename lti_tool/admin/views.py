"""Admin pages, for people launched with an administrator role. Everything is scoped to the
launch's registration (its tenant); installation-wide actions (registering another LMS, rotating
or pruning Wayfinder's keys) need services.may_act_installation_wide, else the page says which
`flask` command does it.

GET       /admin/                              registration, deployments (pending first), summary
POST      /admin/deployments/<id>/approve      approve a pending (or re-enable a disabled) one
GET|POST  /admin/deployments/<id>/disable      confirmation page, then disable
GET|POST  /admin/setup                         values to paste in Moodle / Canvas; the form for
                                               what the LMS shows back
GET       /admin/keys                          Wayfinder's signing keys
GET|POST  /admin/keys/rotate                   confirmation page, then rotate
POST      /admin/keys/prune                    delete retired keys past the grace period
GET       /admin/diagnostics                   failed launches: summary, filter, pages
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from lti_tool.admin import diagnostics, services, setup
from lti_tool.errors import LaunchError
from lti_tool.extensions import db
from lti_tool.lti.context import LaunchContext
from lti_tool.lti.models import DeploymentStatus, PlatformKind
from lti_tool.lti.roles import Role
from lti_tool.lti.session import current_launch, launch_required

bp = Blueprint("admin", __name__, url_prefix="/admin")

FORM_FIELDS = (
    "platform",
    "issuer",
    "client_id",
    "deployment_id",
    "name",
    "auth_login_url",
    "auth_token_url",
    "key_set_url",
)
FIELD_LABELS = {
    "platform": "Platform",
    "issuer": "Platform ID (issuer)",
    "client_id": "Client ID",
    "deployment_id": "Deployment ID",
    "name": "Name",
    "auth_login_url": "Authentication request URL",
    "auth_token_url": "Access token URL",
    "key_set_url": "Public keyset URL",
}
RETURN_TO = {"index": "admin.index", "diagnostics": "admin.diagnostics_page"}


def _installation_wide(ctx: LaunchContext) -> bool:
    return services.may_act_installation_wide(
        ctx.lti_roles, bool(current_app.config.get("ADMIN_PAGES_INSTALLATION_WIDE"))
    )


def _require_site_admin(ctx: LaunchContext) -> None:
    """Changing deployments or the registration affects every course of this LMS: only its site
    or account administrator may do it from here, not a course-level administrator."""
    if not services.is_site_administrator(ctx.lti_roles):
        raise LaunchError(
            "forbidden_role", "changes here need the LMS's site or account administrator"
        )


def _deployment(ctx: LaunchContext, pk: int) -> Any:
    try:
        return services.deployment(ctx.registration_id, pk)
    except services.NotFound:
        abort(404)


def _back() -> Any:
    endpoint = RETURN_TO.get(request.form.get("return_to", ""), "admin.index")
    return redirect(url_for(endpoint), code=303)


@bp.get("/")
@launch_required(Role.ADMINISTRATOR)
def index() -> str:
    ctx = current_launch()
    return render_template(
        "admin/index.html",
        ctx=ctx,
        registration=services.registration(ctx.registration_id),
        deployments=services.deployments(ctx.registration_id),
        summary=diagnostics.summary(ctx.registration_id),
        site_admin=services.is_site_administrator(ctx.lti_roles),
        can_enable=_installation_wide(ctx),
    )


@bp.post("/deployments/<int:pk>/approve")
@launch_required(Role.ADMINISTRATOR)
def approve(pk: int) -> Any:
    ctx = current_launch()
    _require_site_admin(ctx)
    dep = _deployment(ctx, pk)
    if dep.status is DeploymentStatus.DISABLED and not _installation_wide(ctx):
        # Who switched it off is not recorded: it may have been the people who run Wayfinder.
        flash(
            f"Deployment {dep.deployment_id} is switched off. Ask the people who run Wayfinder to "
            f"enable it (flask --app lti_tool deployments approve {ctx.registration_id} "
            f"{dep.deployment_id}).",
            "error",
        )
        return _back()
    dep = services.approve(dep)
    db.session.commit()
    flash(f"Deployment {dep.deployment_id} is approved: launches from it work now.", "success")
    return _back()


@bp.route("/deployments/<int:pk>/disable", methods=["GET", "POST"])
@launch_required(Role.ADMINISTRATOR)
def disable(pk: int) -> Any:
    ctx = current_launch()
    _require_site_admin(ctx)
    dep = _deployment(ctx, pk)
    if request.method == "POST" or dep.id == ctx.deployment_pk:
        try:
            services.disable(dep, current_deployment_pk=ctx.deployment_pk)
        except services.AdminError as exc:  # their own deployment: refused before any question
            flash(str(exc), "error")
            return redirect(url_for("admin.index"), code=303)
        db.session.commit()
        flash(
            f"Deployment {dep.deployment_id} is disabled: its launches are refused until you "
            "approve it again.",
            "success",
        )
        return redirect(url_for("admin.index"), code=303)
    return render_template(
        "admin/confirm.html",
        title=f"Disable deployment {dep.deployment_id}?",
        message=(
            "People launching Wayfinder from this deployment will see a page saying it is "
            "switched off. Their data is kept, and you can approve the deployment again at "
            "any time."
        ),
        action=url_for("admin.disable", pk=dep.id),
        button="Disable deployment",
        cancel=url_for("admin.index"),
    )


def _registration_values(reg: Any) -> dict[str, str]:
    return {
        "platform": reg.platform.value,
        "issuer": reg.issuer,
        "client_id": reg.client_id,
        "deployment_id": "",
        "name": reg.name,
        "auth_login_url": reg.auth_login_url,
        "auth_token_url": reg.auth_token_url,
        "key_set_url": reg.key_set_url,
    }


@bp.route("/setup", methods=["GET", "POST"])
@launch_required(Role.ADMINISTRATOR)
def setup_page() -> Any:
    ctx = current_launch()
    reg = services.registration(ctx.registration_id)
    wide = _installation_wide(ctx)
    values = _registration_values(reg)
    errors: dict[str, str] = {}
    command = ""
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in FORM_FIELDS}
        data, errors = services.validate_registration(values)
        if data is not None and current_app.config["ENV"] == "production":
            errors = services.endpoint_address_problems(
                data, allow_private=bool(current_app.config["ALLOW_PRIVATE_LMS_ADDRESSES"])
            )
            data = None if errors else data
        if data is not None:
            if (data.issuer, data.client_id) == (reg.issuer, reg.client_id):
                _require_site_admin(ctx)
                services.update_own_registration(reg.id, data)
                db.session.commit()
                added = (
                    f" Deployment {', '.join(data.deployment_ids)} is approved."
                    if data.deployment_ids
                    else ""
                )
                flash(f"Your registration is saved.{added}", "success")
                return redirect(url_for("admin.setup_page"), code=303)
            if services.find_registration(data.issuer, data.client_id) is not None:
                errors["client_id"] = (
                    "is already registered with this Wayfinder for another LMS. Check that you "
                    "copied this LMS's values; if they are right, ask whoever runs Wayfinder."
                )
            elif wide:
                created = services.create_registration(data)
                db.session.commit()
                flash(
                    f"Registered {created.name} (registration {created.id}). Launches from it "
                    "work now; its administrators see it from their own launches.",
                    "success",
                )
                return redirect(url_for("admin.setup_page"), code=303)
            else:
                command = services.cli_add_command(data)
    urls = setup.ToolUrls.for_base(request.host_url)
    job_role = current_app.config["JOB_ROLE_PARAMETER"]
    return render_template(
        "admin/setup.html",
        ctx=ctx,
        registration=reg,
        urls=urls,
        moodle=setup.moodle_values(urls, job_role),
        moodle_services=setup.MOODLE_SERVICES,
        moodle_shown_back=setup.MOODLE_SHOWN_BACK,
        canvas=setup.canvas_values(urls, job_role),
        canvas_services=setup.CANVAS_SERVICES,
        canvas_shown_back=setup.CANVAS_SHOWN_BACK,
        values=values,
        errors=errors,
        labels=FIELD_LABELS,
        platforms=[
            (
                p.value,
                p.value.capitalize() if p is not PlatformKind.OTHER else "Another LTI 1.3 platform",
            )
            for p in PlatformKind
        ],
        command=command,
        installation_wide=wide,
    ), (400 if errors else 200)


@bp.get("/keys")
@launch_required(Role.ADMINISTRATOR)
def keys() -> str:
    ctx = current_launch()
    grace = current_app.config["TOOL_KEY_GRACE_DAYS"]
    return render_template(
        "admin/keys.html",
        ctx=ctx,
        keys=services.key_rows(grace),
        grace_days=grace,
        installation_wide=_installation_wide(ctx),
        jwks_url=request.host_url.rstrip("/") + "/lti/jwks",
        unencrypted=services.keys_stored_unencrypted(),
    )


class InstallationWideOnly(Exception):
    """An installation-wide action asked for from a page that may not do it."""


def _require_installation_wide(ctx: LaunchContext) -> None:
    if not _installation_wide(ctx):
        raise InstallationWideOnly


@bp.errorhandler(InstallationWideOnly)
def _installation_wide_only(_error: InstallationWideOnly) -> tuple[str, int]:
    db.session.rollback()
    return render_template(
        "errors/http.html",
        title="This is done on the Wayfinder server",
        message=(
            "Rotating and pruning Wayfinder's signing keys affects every LMS using this "
            "Wayfinder, so it is done with `flask keys rotate` and `flask keys prune` on the "
            "server. (Whoever runs Wayfinder can allow LMS site administrators to do it here "
            "with the ADMIN_PAGES_INSTALLATION_WIDE setting, when every LMS belongs to one "
            "organisation.)"
        ),
    ), 403


@bp.route("/keys/rotate", methods=["GET", "POST"])
@launch_required(Role.ADMINISTRATOR)
def rotate_keys() -> Any:
    ctx = current_launch()
    _require_installation_wide(ctx)
    if request.method == "POST":
        current, upcoming = services.rotate_keys()
        db.session.commit()
        flash(
            f"Keys rotated: {current.kid} signs from now on; {upcoming.kid} is published as "
            "the next key.",
            "success",
        )
        return redirect(url_for("admin.keys"), code=303)
    return render_template(
        "admin/confirm.html",
        title="Rotate Wayfinder's signing keys?",
        message=(
            "The next key, published for a while already, starts signing; the current key is "
            "retired but stays published for "
            f"{current_app.config['TOOL_KEY_GRACE_DAYS']} days; a new next key is published. "
            "This applies to every LMS using this Wayfinder. Nothing changes in the LMSs."
        ),
        action=url_for("admin.rotate_keys"),
        button="Rotate keys",
        cancel=url_for("admin.keys"),
    )


@bp.post("/keys/prune")
@launch_required(Role.ADMINISTRATOR)
def prune_keys() -> Any:
    ctx = current_launch()
    _require_installation_wide(ctx)
    count = services.prune_keys(current_app.config["TOOL_KEY_GRACE_DAYS"])
    db.session.commit()
    flash(
        f"Deleted {count} retired key(s) past the grace period."
        if count
        else "No retired key is past the grace period; nothing deleted.",
        "success",
    )
    return redirect(url_for("admin.keys"), code=303)


@bp.get("/diagnostics")
@launch_required(Role.ADMINISTRATOR)
def diagnostics_page() -> str:
    ctx = current_launch()
    causes = diagnostics.known_causes()
    cause = request.args.get("cause", "")
    if cause not in causes:
        cause = ""
    page = request.args.get("page", 1, type=int) or 1
    return render_template(
        "admin/diagnostics.html",
        ctx=ctx,
        result=diagnostics.failures(ctx.registration_id, cause=cause, page=page),
        summary=diagnostics.summary(ctx.registration_id),
        causes=causes,
        leeway=current_app.config["CLOCK_LEEWAY"],
    )


# The Grade sync tab lives in its own module; importing it adds its routes to this blueprint.
from lti_tool.admin import grade_sync  # noqa: E402, F401
