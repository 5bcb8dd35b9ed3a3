"""Registrations, deployments and signing keys: the operations behind the admin pages and the
`flask registrations|deployments|keys` commands.

Tenant scoping: Registration, Deployment and LaunchEvent rows are not TenantScoped (the launch
itself needs them before a tenant is known), so every function used by the pages takes the
administrator's registration id and filters on it. A row of another registration is "not found",
never shown or changed. Functions without a registration id are for the CLI, which administers
the whole installation.

These functions add and flush; the caller (a view or a command) commits once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import case, select

from lti_tool.extensions import db
from lti_tool.i18n import _
from lti_tool.lti import keys as tool_keys
from lti_tool.lti.models import (
    Deployment,
    DeploymentStatus,
    KeyStatus,
    PlatformKind,
    Registration,
    ToolKey,
    utcnow,
)
from lti_tool.lti.roles import parse_role
from lti_tool.web_address import is_web_address


class AdminError(Exception):
    """An operation was refused; the message says why in plain words."""


class NotFound(AdminError):
    """No such row in the administrator's registration (or at all)."""


# -- who may do what --------------------------------------------------------------------------

SITE_ADMIN_ROLES = frozenset(
    {("system", "Administrator"), ("system", "SysAdmin"), ("institution", "Administrator")}
)


def is_site_administrator(lti_roles: tuple[str, ...] | list[str]) -> bool:
    """The LMS's own site or account administrator, not a course-level administrator."""
    return any(parse_role(role) in SITE_ADMIN_ROLES for role in lti_roles)


def may_act_installation_wide(lti_roles: tuple[str, ...] | list[str], enabled: bool) -> bool:
    """Installation-wide actions (registering another LMS, rotating or pruning Wayfinder's keys)
    touch every tenant. From the pages they need ADMIN_PAGES_INSTALLATION_WIDE (set only when
    every registration belongs to one organisation) and an LMS site administrator; otherwise
    they are CLI-only."""
    return enabled and is_site_administrator(lti_roles)


# -- platform endpoints -----------------------------------------------------------------------

MOODLE_PATHS = {
    "auth_login_url": "/mod/lti/auth.php",
    "auth_token_url": "/mod/lti/token.php",
    "key_set_url": "/mod/lti/certs.php",
}
# Canvas's hosted environments: issuer -> the SSO host serving auth, token and JWKS.
CANVAS_SSO_HOSTS = {
    "https://canvas.instructure.com": "https://sso.canvaslms.com",
    "https://canvas.beta.instructure.com": "https://sso.beta.canvaslms.com",
    "https://canvas.test.instructure.com": "https://sso.test.canvaslms.com",
}
CANVAS_PATHS = {
    "auth_login_url": "/api/lti/authorize_redirect",
    "auth_token_url": "/login/oauth2/token",
    "key_set_url": "/api/lti/security/jwks",
}
CANVAS_ENDPOINTS = {
    k: CANVAS_SSO_HOSTS["https://canvas.instructure.com"] + p for k, p in CANVAS_PATHS.items()
}
ENDPOINT_FIELDS = ("auth_login_url", "auth_token_url", "key_set_url")


def platform_defaults(platform: PlatformKind, issuer: str) -> dict[str, str]:
    """Endpoints that follow from the platform and issuer (empty for other platforms)."""
    if platform is PlatformKind.MOODLE:
        return {k: issuer.rstrip("/") + path for k, path in MOODLE_PATHS.items()}
    if platform is PlatformKind.CANVAS:
        sso = CANVAS_SSO_HOSTS.get(
            issuer.rstrip("/"), CANVAS_SSO_HOSTS["https://canvas.instructure.com"]
        )
        return {k: sso + path for k, path in CANVAS_PATHS.items()}
    return {}


def is_http_url(value: str) -> bool:
    return is_web_address(value) and " " not in value


def endpoint_address_problems(data: RegistrationInput, *, allow_private: bool) -> dict[str, str]:
    """Addresses Wayfinder will call (keys, tokens) must not point into its own network."""
    from lti_tool.lti.dynreg import address_problem

    errors: dict[str, str] = {}
    for name in ("key_set_url", "auth_token_url"):
        host = urlsplit(getattr(data, name)).hostname
        problem = address_problem(host, allow_private=allow_private) if host else ""
        if problem:
            errors[name] = problem
    return errors


# -- registration input -----------------------------------------------------------------------


@dataclass
class RegistrationInput:
    """What an administrator typed (or passed to `flask registrations add`), validated."""

    platform: PlatformKind
    issuer: str
    client_id: str
    deployment_ids: list[str] = field(default_factory=list)
    name: str = ""
    auth_login_url: str = ""
    auth_token_url: str = ""
    key_set_url: str = ""
    frame_origins: list[str] = field(default_factory=list)


MAX_LENGTHS = {"issuer": 255, "client_id": 255, "deployment_id": 255, "name": 200}


def validate_registration(
    values: Mapping[str, str], deployment_ids: list[str] | None = None
) -> tuple[RegistrationInput | None, dict[str, str]]:
    """Check the values; return (input, {}) or (None, {field: message}). Each message is a whole
    sentence saying what to give instead: the page shows it under its field, the CLI after its
    option ("--issuer: Copy the ..."), in the request's language on a page and English in the
    CLI."""
    errors: dict[str, str] = {}
    text = {
        k: (values.get(k) or "").strip()
        for k in (
            "platform",
            "issuer",
            "client_id",
            "deployment_id",
            "name",
            *ENDPOINT_FIELDS,
        )
    }
    try:
        platform = PlatformKind(text["platform"] or PlatformKind.OTHER.value)
    except ValueError:
        errors["platform"] = _("Choose Moodle, Canvas or another LTI 1.3 platform.")
        platform = PlatformKind.OTHER
    if not text["issuer"]:
        errors["issuer"] = _("Copy the platform ID (issuer) the LMS shows.")
    elif not is_http_url(text["issuer"]):
        errors["issuer"] = _(
            "Give a full http(s) URL, such as https://moodle.example.com, not %(value)s.",
            value=repr(text["issuer"]),
        )
    if not text["client_id"]:
        errors["client_id"] = _("Copy the client ID the LMS shows for Wayfinder.")
    deployments = [
        d.strip()
        for d in (deployment_ids if deployment_ids is not None else [text["deployment_id"]])
        if d.strip()
    ]
    for name, limit in MAX_LENGTHS.items():
        given = [text[name]] if name != "deployment_id" else deployments
        if any(len(v) > limit for v in given):
            errors[name] = _("Use at most %(max)d characters.", max=limit)
    defaults = platform_defaults(platform, text["issuer"]) if "issuer" not in errors else {}
    endpoints: dict[str, str] = {}
    for name in ENDPOINT_FIELDS:
        value = text[name] or defaults.get(name, "")
        if value and not is_http_url(value):
            errors[name] = _("Give a full http(s) URL, not %(value)s.", value=repr(value))
        elif len(value) > 500:
            errors[name] = _("Use at most %(max)d characters.", max=500)
        endpoints[name] = value
    for name in ("auth_login_url", "key_set_url"):
        if not endpoints[name] and name not in errors and "issuer" not in errors:
            errors[name] = _(
                "Copy this URL from the LMS: Wayfinder fills it in only for Moodle and Canvas."
            )
    if errors:
        return None, errors
    return RegistrationInput(
        platform=platform,
        issuer=text["issuer"],
        client_id=text["client_id"],
        deployment_ids=deployments,
        name=text["name"] or urlsplit(text["issuer"]).netloc,
        auth_login_url=endpoints["auth_login_url"],
        auth_token_url=endpoints["auth_token_url"],
        key_set_url=endpoints["key_set_url"],
    ), {}


def find_registration(issuer: str, client_id: str) -> Registration | None:
    return db.session.scalar(
        select(Registration).where(
            Registration.issuer == issuer, Registration.client_id == client_id
        )
    )


def create_registration(data: RegistrationInput) -> Registration:
    """A new registration with its deployments approved (installation-wide: CLI, or a page with
    may_act_installation_wide)."""
    existing = find_registration(data.issuer, data.client_id)
    if existing is not None:
        raise AdminError(
            f"Registration {existing.id} already has issuer {data.issuer} and client ID {data.client_id}."
        )
    reg = Registration(
        issuer=data.issuer,
        client_id=data.client_id,
        platform=data.platform,
        name=data.name,
        auth_login_url=data.auth_login_url,
        auth_token_url=data.auth_token_url,
        key_set_url=data.key_set_url,
        frame_origins=list(data.frame_origins),
        enabled=True,
    )
    db.session.add(reg)
    db.session.flush()
    for deployment_id in data.deployment_ids:
        approve_deployment_id(reg.id, deployment_id)
    return reg


def update_own_registration(registration_id: int, data: RegistrationInput) -> Registration:
    """Update the endpoints and name of the administrator's own registration and approve the
    deployment IDs given. Its issuer and client ID identify it and are never changed here."""
    reg = registration(registration_id)
    if (reg.issuer, reg.client_id) != (data.issuer, data.client_id):
        raise AdminError(
            _("This form updates only your own registration (same issuer and client ID).")
        )
    reg.platform = data.platform
    reg.name = data.name
    reg.auth_login_url = data.auth_login_url
    reg.auth_token_url = data.auth_token_url
    reg.key_set_url = data.key_set_url
    for deployment_id in data.deployment_ids:
        approve_deployment_id(reg.id, deployment_id)
    db.session.flush()
    return reg


def cli_add_command(data: RegistrationInput) -> str:
    """The `flask registrations add` command that registers these values, for pasting on the
    server when the page may not do it."""
    import shlex

    parts = [
        "flask --app lti_tool registrations add",
        f"--platform {data.platform.value}",
        f"--issuer {shlex.quote(data.issuer)}",
        f"--client-id {shlex.quote(data.client_id)}",
    ]
    defaults = platform_defaults(data.platform, data.issuer)
    for name, option in (
        ("auth_login_url", "--auth-login-url"),
        ("auth_token_url", "--token-url"),
        ("key_set_url", "--jwks-url"),
    ):
        value = getattr(data, name)
        if value and value != defaults.get(name):
            parts.append(f"{option} {shlex.quote(value)}")
    if data.name and data.name != urlsplit(data.issuer).netloc:
        parts.append(f"--name {shlex.quote(data.name)}")
    parts.extend(f"--deployment {shlex.quote(d)}" for d in data.deployment_ids)
    return " ".join(parts)


# -- registrations and deployments ------------------------------------------------------------


def registration(registration_id: int) -> Registration:
    reg = db.session.get(Registration, registration_id)
    if reg is None:
        raise NotFound(f"No registration {registration_id}. See `flask registrations list`.")
    return reg


def all_registrations() -> list[Registration]:
    return list(db.session.scalars(select(Registration).order_by(Registration.id)))


def set_registration_enabled(registration_id: int, enabled: bool) -> Registration:
    """CLI only: disabling from a page would lock out the administrator doing it."""
    reg = registration(registration_id)
    reg.enabled = enabled
    reg.disabled_at = None if enabled else utcnow()
    db.session.flush()
    return reg


_STATUS_ORDER = case(
    (Deployment.status == DeploymentStatus.PENDING, 0),
    (Deployment.status == DeploymentStatus.ACTIVE, 1),
    else_=2,
)


def deployments(
    registration_id: int | None = None, *, pending_only: bool = False
) -> list[Deployment]:
    """Deployments, those waiting for approval first. registration_id None: all (CLI)."""
    query = select(Deployment)
    if registration_id is not None:
        query = query.where(Deployment.registration_id == registration_id)
    if pending_only:
        query = query.where(Deployment.status == DeploymentStatus.PENDING)
    query = query.order_by(
        _STATUS_ORDER, Deployment.registration_id, Deployment.created_at.desc(), Deployment.id
    )
    return list(db.session.scalars(query))


def deployment(registration_id: int, deployment_pk: int) -> Deployment:
    """A deployment of the administrator's registration by its row id; another tenant's is not found."""
    dep = db.session.scalar(
        select(Deployment).where(
            Deployment.id == deployment_pk, Deployment.registration_id == registration_id
        )
    )
    if dep is None:
        raise NotFound("There is no such deployment in your registration.")
    return dep


def deployment_by_id(registration_id: int, deployment_id: str) -> Deployment | None:
    return db.session.scalar(
        select(Deployment).where(
            Deployment.registration_id == registration_id, Deployment.deployment_id == deployment_id
        )
    )


def approve(dep: Deployment) -> Deployment:
    dep.status = DeploymentStatus.ACTIVE
    dep.approved_at = utcnow()
    db.session.flush()
    return dep


def approve_deployment_id(registration_id: int, deployment_id: str) -> Deployment:
    """Approve a deployment (pending, disabled, or not seen yet) of a registration. The ID is
    checked as the registration form checks it: an LMS never sends a blank one, and the column
    holds 255 characters."""
    deployment_id = deployment_id.strip()
    if not deployment_id:
        raise AdminError(_("A deployment ID is required: copy it from the LMS."))
    limit = MAX_LENGTHS["deployment_id"]
    if len(deployment_id) > limit:
        raise AdminError(_("A deployment ID must be at most %(num)s characters.", num=limit))
    dep = deployment_by_id(registration_id, deployment_id)
    if dep is None:
        dep = Deployment(registration_id=registration_id, deployment_id=deployment_id)
        db.session.add(dep)
    return approve(dep)


def disable(dep: Deployment, *, current_deployment_pk: int | None = None) -> Deployment:
    """Stop launches from a deployment. From a page, not the one the administrator launched
    from: that would end their own session with no way back but the CLI."""
    if current_deployment_pk is not None and dep.id == current_deployment_pk:
        raise AdminError(
            " ".join(
                (
                    _(
                        "You launched Wayfinder from this deployment, so disabling it here "
                        "would lock you out."
                    ),
                    _(
                        "Disable it from another deployment's launch or with "
                        "`flask deployments disable`."
                    ),
                )
            )
        )
    dep.status = DeploymentStatus.DISABLED
    db.session.flush()
    return dep


def disable_deployment_id(registration_id: int, deployment_id: str) -> Deployment:
    dep = deployment_by_id(registration(registration_id).id, deployment_id)
    if dep is None:
        raise NotFound(f"Registration {registration_id} has no deployment {deployment_id}.")
    return disable(dep)


# -- signing keys -----------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRow:
    kid: str
    status: KeyStatus
    created_at: datetime
    activated_at: datetime | None
    retired_at: datetime | None
    unpublished_at: datetime | None  # retired keys leave /lti/jwks after the grace period
    prunable: bool


_KEY_ORDER = {KeyStatus.CURRENT: 0, KeyStatus.NEXT: 1, KeyStatus.RETIRED: 2}


def key_rows(grace_days: int, now: datetime | None = None) -> list[KeyRow]:
    now = now or utcnow()
    rows = []
    for key in db.session.scalars(select(ToolKey).order_by(ToolKey.id)):
        until = key.retired_at + timedelta(days=grace_days) if key.retired_at else None
        rows.append(
            KeyRow(
                kid=key.kid,
                status=key.status,
                created_at=key.created_at,
                activated_at=key.activated_at,
                retired_at=key.retired_at,
                unpublished_at=until if key.status is KeyStatus.RETIRED else None,
                prunable=key.status is KeyStatus.RETIRED and until is not None and until < now,
            )
        )
    rows.sort(key=lambda r: (_KEY_ORDER[r.status], -(r.retired_at or r.created_at).timestamp()))
    return rows


def rotate_keys() -> tuple[ToolKey, ToolKey]:
    return tool_keys.rotate()


def prune_keys(grace_days: int) -> int:
    return tool_keys.prune(grace_days)


def keys_stored_unencrypted() -> int:
    """How many of Wayfinder's private keys are stored without TOOL_KEY_PASSPHRASE."""
    return tool_keys.stored_unencrypted()
