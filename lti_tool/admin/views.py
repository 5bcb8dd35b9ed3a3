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
from lti_tool.i18n import _, _l, ngettext
from lti_tool.lti.context import LaunchContext
from lti_tool.lti.models import DeploymentStatus, PlatformKind
from lti_tool.lti.roles import Role
from lti_tool.lti.session import current_launch, launch_required
from lti_tool.numbers import page_number

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
    "platform": _l("Platform"),
    "issuer": _l("Platform ID (issuer)"),
    "client_id": _l("Client ID"),
    "deployment_id": _l("Deployment ID"),
    "name": _l("Name"),
    "auth_login_url": _l("Authentication request URL"),
    "auth_token_url": _l("Access token URL"),
    "key_set_url": _l("Public keyset URL"),
}
# Shown as typed on the Wayfinder server: commands are not translated.
KEY_COMMANDS = "flask --app lti_tool keys rotate\nflask --app lti_tool keys prune"
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
        command = (
            f"flask --app lti_tool deployments approve {ctx.registration_id} {dep.deployment_id}"
        )
        flash(
            _(
                "Deployment %(id)s is switched off. Ask the people who run Wayfinder to enable it "
                "(%(command)s).",
                id=dep.deployment_id,
                command=command,
            ),
            "error",
        )
        return _back()
    enabled_again = dep.status is DeploymentStatus.DISABLED
    dep = services.approve(dep)
    db.session.commit()
    flash(
        _("Deployment %(id)s is enabled again: launches from it work now.", id=dep.deployment_id)
        if enabled_again
        else _("Deployment %(id)s is approved: launches from it work now.", id=dep.deployment_id),
        "success",
    )
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
            _(
                "Deployment %(id)s is disabled: its launches are refused until you approve it "
                "again.",
                id=dep.deployment_id,
            ),
            "success",
        )
        return redirect(url_for("admin.index"), code=303)
    return render_template(
        "admin/confirm.html",
        title=_("Disable deployment %(id)s?", id=dep.deployment_id),
        message=" ".join(
            (
                _(
                    "People launching Wayfinder from this deployment will see a page saying it "
                    "is switched off."
                ),
                _("Their data is kept, and you can approve the deployment again at any time."),
            )
        ),
        action=url_for("admin.disable", pk=dep.id),
        button=_("Disable deployment"),
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
                saved = _("Your registration is saved.")
                if data.deployment_ids:
                    saved = " ".join(
                        (
                            saved,
                            ngettext(
                                "Deployment %(ids)s is approved.",
                                "Deployments %(ids)s are approved.",
                                len(data.deployment_ids),
                                ids=", ".join(data.deployment_ids),
                            ),
                        )
                    )
                flash(saved, "success")
                return redirect(url_for("admin.setup_page"), code=303)
            if services.find_registration(data.issuer, data.client_id) is not None:
                errors["client_id"] = _(
                    "This client ID is already registered with this Wayfinder for another LMS. "
                    "Check that you copied this LMS's values; if they are right, ask whoever "
                    "runs Wayfinder."
                )
            elif wide:
                created = services.create_registration(data)
                db.session.commit()
                flash(
                    " ".join(
                        (
                            _(
                                "Registered %(name)s (registration %(id)s).",
                                name=created.name,
                                id=created.id,
                            ),
                            _(
                                "Launches from it work now; its administrators see it from "
                                "their own launches."
                            ),
                        )
                    ),
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
        moodle_services=setup.moodle_services(),
        moodle_shown_back=setup.moodle_shown_back(),
        canvas=setup.canvas_values(urls, job_role),
        canvas_services=setup.canvas_services(),
        canvas_shown_back=setup.canvas_shown_back(),
        values=values,
        errors=errors,
        labels=FIELD_LABELS,
        platforms=[
            (
                p.value,
                p.value.capitalize()
                if p is not PlatformKind.OTHER
                else _("Another LTI 1.3 platform"),
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
        commands=KEY_COMMANDS,
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
        title=_("This is done on the Wayfinder server"),
        message=" ".join(
            (
                _(
                    "Rotating and pruning Wayfinder's signing keys affects every LMS using this "
                    "Wayfinder, so it is done with `flask keys rotate` and `flask keys prune` on "
                    "the server."
                ),
                _(
                    "(Whoever runs Wayfinder can allow LMS site administrators to do it here "
                    "with the ADMIN_PAGES_INSTALLATION_WIDE setting, when every LMS belongs to "
                    "one organisation.)"
                ),
            )
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
            _(
                "Keys rotated: %(current)s signs from now on; %(upcoming)s is published as the "
                "next key.",
                current=current.kid,
                upcoming=upcoming.kid,
            ),
            "success",
        )
        return redirect(url_for("admin.keys"), code=303)
    return render_template(
        "admin/confirm.html",
        title=_("Rotate Wayfinder's signing keys?"),
        message=" ".join(
            (
                ngettext(
                    "The next key, published for a while already, starts signing; the current "
                    "key is retired but stays published for %(num)s day; a new next key is "
                    "published.",
                    "The next key, published for a while already, starts signing; the current "
                    "key is retired but stays published for %(num)s days; a new next key is "
                    "published.",
                    current_app.config["TOOL_KEY_GRACE_DAYS"],
                ),
                _("This applies to every LMS using this Wayfinder."),
                _("Nothing changes in the LMSs."),
            )
        ),
        action=url_for("admin.rotate_keys"),
        button=_("Rotate keys"),
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
        ngettext(
            "Deleted %(num)s retired key past the grace period.",
            "Deleted %(num)s retired keys past the grace period.",
            count,
        )
        if count
        else _("No retired key is past the grace period; nothing deleted."),
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
    page = page_number(request.args.get("page"))
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
