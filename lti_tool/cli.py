"""flask commands: keys, registrations, deployments, demo data and housekeeping.

Every command commits once at its end, prints what it did, and exits non-zero with a plain
message on bad input.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.lti import keys as tool_keys
from lti_tool.lti.models import Deployment, DeploymentStatus, PlatformKind, Registration, utcnow

MOODLE_PATHS = {
    "auth_login_url": "/mod/lti/auth.php",
    "auth_token_url": "/mod/lti/token.php",
    "key_set_url": "/mod/lti/certs.php",
}
CANVAS_ENDPOINTS = {
    "auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
    "auth_token_url": "https://sso.canvaslms.com/login/oauth2/token",
    "key_set_url": "https://sso.canvaslms.com/api/lti/security/jwks",
}


def _fail(message: str) -> None:
    raise click.ClickException(message)


def _check_url(name: str, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        _fail(f"{name} must be a full http(s) URL, not {value!r}.")


def platform_defaults(platform: PlatformKind, issuer: str) -> dict[str, str]:
    if platform is PlatformKind.MOODLE:
        return {k: issuer.rstrip("/") + path for k, path in MOODLE_PATHS.items()}
    if platform is PlatformKind.CANVAS:
        return dict(CANVAS_ENDPOINTS)
    return {}


# -- keys -----------------------------------------------------------------------------------------

keys_cli = AppGroup("keys", help="Wayfinder's signing keys (published at /lti/jwks).")


@keys_cli.command("create")
def keys_create() -> None:
    """Create the current and next keys if they do not exist yet."""
    created = tool_keys.ensure_keys()
    db.session.commit()
    if not created:
        click.echo("Keys already exist; nothing created. Use `flask keys rotate` to rotate them.")
    for key in created:
        click.echo(f"Created {key.status.value} key {key.kid}")


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Next key becomes current, current is retired (still published for the grace period)."""
    current, upcoming = tool_keys.rotate()
    db.session.commit()
    click.echo(f"Current key is now {current.kid}; next key {upcoming.kid} is published.")


@keys_cli.command("prune")
def keys_prune() -> None:
    """Delete retired keys past the grace period."""
    count = tool_keys.prune(current_app.config["TOOL_KEY_GRACE_DAYS"])
    db.session.commit()
    click.echo(f"Deleted {count} retired key(s).")


@keys_cli.command("list")
def keys_list() -> None:
    rows = db.session.scalars(select(tool_keys.ToolKey).order_by(tool_keys.ToolKey.id))
    for key in rows:
        click.echo(f"{key.kid}  {key.status.value:8}  created {key.created_at:%Y-%m-%d}")


# -- registrations --------------------------------------------------------------------------------

registrations_cli = AppGroup("registrations", help="LMS registrations (issuer + client ID).")


@registrations_cli.command("add")
@click.option("--issuer", required=True, help="The platform's issuer (Moodle: its wwwroot).")
@click.option("--client-id", required=True, help="The client ID the LMS gave Wayfinder.")
@click.option(
    "--platform",
    type=click.Choice([p.value for p in PlatformKind]),
    default=PlatformKind.OTHER.value,
    show_default=True,
    help="moodle and canvas fill in their endpoints.",
)
@click.option("--name", default="", help="A name for admins, e.g. the company.")
@click.option("--auth-login-url", default="", help="OIDC auth endpoint.")
@click.option("--token-url", default="", help="OAuth2 token endpoint (for grades and rosters).")
@click.option("--jwks-url", default="", help="The platform's public keyset URL.")
@click.option("--deployment", "deployments", multiple=True, help="Deployment ID to approve now.")
@click.option(
    "--frame-origin", "frame_origins", multiple=True, help="Origin of LMS pages framing Wayfinder."
)
def registrations_add(
    issuer: str,
    client_id: str,
    platform: str,
    name: str,
    auth_login_url: str,
    token_url: str,
    jwks_url: str,
    deployments: tuple[str, ...],
    frame_origins: tuple[str, ...],
) -> None:
    """Register an LMS so it can launch Wayfinder."""
    kind = PlatformKind(platform)
    issuer = issuer.strip()
    _check_url("--issuer", issuer)
    values = platform_defaults(kind, issuer)
    for field, given in (
        ("auth_login_url", auth_login_url),
        ("auth_token_url", token_url),
        ("key_set_url", jwks_url),
    ):
        if given:
            values[field] = given.strip()
    for field, option in (("auth_login_url", "--auth-login-url"), ("key_set_url", "--jwks-url")):
        if not values.get(field):
            _fail(f"{option} is required for platform {kind.value}.")
        _check_url(option, values[field])
    for origin in frame_origins:
        _check_url("--frame-origin", origin)
    existing = db.session.scalar(
        select(Registration).where(
            Registration.issuer == issuer, Registration.client_id == client_id
        )
    )
    if existing is not None:
        _fail(f"Registration {existing.id} already has issuer {issuer} and client ID {client_id}.")
    reg = Registration(
        issuer=issuer,
        client_id=client_id.strip(),
        platform=kind,
        name=name or urlsplit(issuer).netloc,
        auth_login_url=values["auth_login_url"],
        auth_token_url=values.get("auth_token_url", ""),
        key_set_url=values["key_set_url"],
        frame_origins=list(frame_origins),
    )
    db.session.add(reg)
    db.session.flush()
    for deployment_id in deployments:
        db.session.add(
            Deployment(
                registration_id=reg.id,
                deployment_id=deployment_id,
                status=DeploymentStatus.ACTIVE,
                approved_at=utcnow(),
            )
        )
    db.session.commit()
    click.echo(f"Registered {reg.id}: {reg.name} ({kind.value}) issuer {issuer} client {client_id}")
    for deployment_id in deployments:
        click.echo(f"  deployment {deployment_id} approved")


@registrations_cli.command("list")
def registrations_list() -> None:
    rows = list(db.session.scalars(select(Registration).order_by(Registration.id)))
    if not rows:
        click.echo("No registrations yet. Add one with `flask registrations add`.")
    for reg in rows:
        state = "enabled" if reg.enabled else "DISABLED"
        click.echo(
            f"{reg.id}  {reg.platform.value:7} {state:8} {reg.issuer}  client {reg.client_id}  {reg.name}"
        )
        for dep in reg.deployments:
            click.echo(f"     deployment {dep.deployment_id}  {dep.status.value}")


def _registration(registration_id: int) -> Registration:
    reg = db.session.get(Registration, registration_id)
    if reg is None:
        _fail(f"No registration {registration_id}. See `flask registrations list`.")
    assert reg is not None
    return reg


@registrations_cli.command("disable")
@click.argument("registration_id", type=int)
def registrations_disable(registration_id: int) -> None:
    """Stop launches from a registration (its data is kept)."""
    reg = _registration(registration_id)
    reg.enabled = False
    reg.disabled_at = utcnow()
    db.session.commit()
    click.echo(f"Registration {reg.id} ({reg.name}) disabled; its launches are refused.")


@registrations_cli.command("enable")
@click.argument("registration_id", type=int)
def registrations_enable(registration_id: int) -> None:
    reg = _registration(registration_id)
    reg.enabled = True
    reg.disabled_at = None
    db.session.commit()
    click.echo(f"Registration {reg.id} ({reg.name}) enabled.")


# -- deployments ----------------------------------------------------------------------------------

deployments_cli = AppGroup("deployments", help="Deployments under a registration.")


@deployments_cli.command("list")
@click.option("--pending", is_flag=True, help="Only those waiting for approval.")
def deployments_list(pending: bool) -> None:
    query = select(Deployment).order_by(Deployment.registration_id, Deployment.id)
    if pending:
        query = query.where(Deployment.status == DeploymentStatus.PENDING)
    rows = list(db.session.scalars(query))
    if not rows:
        click.echo("No pending deployments." if pending else "No deployments.")
    for dep in rows:
        click.echo(
            f"registration {dep.registration_id}  deployment {dep.deployment_id}  {dep.status.value}"
        )


@deployments_cli.command("approve")
@click.argument("registration_id", type=int)
@click.argument("deployment_id")
def deployments_approve(registration_id: int, deployment_id: str) -> None:
    """Approve a pending deployment (or add one) so it can launch Wayfinder."""
    reg = _registration(registration_id)
    dep = db.session.scalar(
        select(Deployment).where(
            Deployment.registration_id == reg.id, Deployment.deployment_id == deployment_id
        )
    )
    if dep is None:
        dep = Deployment(registration_id=reg.id, deployment_id=deployment_id)
        db.session.add(dep)
    dep.status = DeploymentStatus.ACTIVE
    dep.approved_at = utcnow()
    db.session.commit()
    click.echo(f"Deployment {deployment_id} of registration {reg.id} ({reg.name}) is approved.")


@deployments_cli.command("disable")
@click.argument("registration_id", type=int)
@click.argument("deployment_id")
def deployments_disable(registration_id: int, deployment_id: str) -> None:
    reg = _registration(registration_id)
    dep = db.session.scalar(
        select(Deployment).where(
            Deployment.registration_id == reg.id, Deployment.deployment_id == deployment_id
        )
    )
    if dep is None:
        _fail(f"Registration {reg.id} has no deployment {deployment_id}.")
    assert dep is not None
    dep.status = DeploymentStatus.DISABLED
    db.session.commit()
    click.echo(f"Deployment {deployment_id} of registration {reg.id} disabled.")


# -- housekeeping ---------------------------------------------------------------------------------


@click.command("purge-store")
@click.option("--keep-days", default=90, show_default=True, help="Days of launch failures to keep.")
@with_appcontext
def purge_store(keep_days: int) -> None:
    """Delete expired launch state from the database store (Redis expires keys by itself) and
    launch-failure records older than --keep-days. Run it daily, e.g. from cron."""
    from datetime import timedelta

    from sqlalchemy import delete

    from lti_tool.lti.models import LaunchEvent
    from lti_tool.store import DatabaseStore

    if keep_days < 1:
        _fail("--keep-days must be at least 1.")
    count = DatabaseStore().purge_expired()
    cutoff = utcnow() - timedelta(days=keep_days)
    result = db.session.execute(delete(LaunchEvent).where(LaunchEvent.created_at < cutoff))
    events = getattr(result, "rowcount", 0)
    db.session.commit()
    click.echo(
        f"Deleted {count} expired entries and {events} launch records older than {keep_days} days."
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(keys_cli)
    app.cli.add_command(registrations_cli)
    app.cli.add_command(deployments_cli)
    app.cli.add_command(purge_store)
    from lti_tool.devlauncher.demo import demo_cli
    from lti_tool.jobs.cli import jobs_cli

    app.cli.add_command(demo_cli)
    app.cli.add_command(jobs_cli)
