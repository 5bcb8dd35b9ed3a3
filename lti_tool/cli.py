"""flask commands: keys, registrations, deployments, demo data and housekeeping.

Every command commits once at its end, prints what it did, and exits non-zero with a plain
message on bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from lti_tool.admin import services
from lti_tool.extensions import db
from lti_tool.lti import dynreg, toolinfo
from lti_tool.lti import keys as tool_keys
from lti_tool.lti.models import PlatformKind, utcnow

T = TypeVar("T")

OPTIONS = {
    "platform": "--platform",
    "issuer": "--issuer",
    "client_id": "--client-id",
    "deployment_id": "--deployment",
    "name": "--name",
    "auth_login_url": "--auth-login-url",
    "auth_token_url": "--token-url",
    "key_set_url": "--jwks-url",
}


def _fail(message: str) -> None:
    raise click.ClickException(message)


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
    current, upcoming = services.rotate_keys()
    db.session.commit()
    click.echo(f"Current key is now {current.kid}; next key {upcoming.kid} is published.")


@keys_cli.command("prune")
def keys_prune() -> None:
    """Delete retired keys past the grace period."""
    count = services.prune_keys(current_app.config["TOOL_KEY_GRACE_DAYS"])
    db.session.commit()
    click.echo(f"Deleted {count} retired key(s).")


@keys_cli.command("list")
def keys_list() -> None:
    """Keys with their state (current, next, retired) and dates."""
    for key in services.key_rows(current_app.config["TOOL_KEY_GRACE_DAYS"]):
        line = f"{key.kid}  {key.status.value:8}  created {key.created_at:%Y-%m-%d}"
        if key.unpublished_at:
            line += f"  retired {key.retired_at:%Y-%m-%d}, published until {key.unpublished_at:%Y-%m-%d}"
        click.echo(line)
    unencrypted = tool_keys.stored_unencrypted()
    if unencrypted:
        click.echo(
            f"{unencrypted} private key(s) stored unencrypted: set TOOL_KEY_PASSPHRASE and run "
            "`flask keys encrypt`."
        )


@keys_cli.command("encrypt")
def keys_encrypt() -> None:
    """Store the private keys encrypted with TOOL_KEY_PASSPHRASE (from plain text, or from
    TOOL_KEY_PREVIOUS_PASSPHRASE when changing the passphrase)."""
    try:
        changed, unchanged = tool_keys.encrypt_stored_keys()
    except tool_keys.KeyLocked as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Encrypted {changed} key(s); {unchanged} already under TOOL_KEY_PASSPHRASE.")


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
    values = {
        "platform": platform,
        "issuer": issuer,
        "client_id": client_id,
        "name": name,
        "auth_login_url": auth_login_url,
        "auth_token_url": token_url,
        "key_set_url": jwks_url,
    }
    data, errors = services.validate_registration(values, list(deployments))
    if errors or data is None:
        _fail("\n".join(f"{OPTIONS.get(k, k)}: {message}" for k, message in errors.items()))
    assert data is not None
    for origin in frame_origins:
        if not services.is_http_url(origin):
            _fail(f"--frame-origin must be a full http(s) URL, not {origin!r}.")
    data.frame_origins = list(frame_origins)
    try:
        reg = services.create_registration(data)
    except services.AdminError as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(
        f"Registered {reg.id}: {reg.name} ({reg.platform.value}) issuer {reg.issuer} client {reg.client_id}"
    )
    for deployment_id in data.deployment_ids:
        click.echo(f"  deployment {deployment_id} approved")


@registrations_cli.command("list")
def registrations_list() -> None:
    rows = services.all_registrations()
    if not rows:
        click.echo("No registrations yet. Add one with `flask registrations add`.")
    for reg in rows:
        state = "enabled" if reg.enabled else "DISABLED"
        click.echo(
            f"{reg.id}  {reg.platform.value:7} {state:8} {reg.issuer}  client {reg.client_id}  {reg.name}"
        )
        for dep in services.deployments(reg.id):
            click.echo(f"     deployment {dep.deployment_id}  {dep.status.value}")
        for gap in dynreg.warnings(dynreg.Granted.from_dict(reg.granted), reg.platform):
            click.echo(f"     not granted: {gap.title}. {gap.consequence}")


@registrations_cli.command("invite")
@click.option(
    "--base-url",
    required=True,
    help="Wayfinder's public address, e.g. https://wayfinder.example.com",
)
@click.option("--days", default=7, show_default=True, help="Days the link stays usable.")
@click.option("--note", default="", help="Who it is for (kept with the invitation).")
def registrations_invite(base_url: str, days: int, note: str) -> None:
    """A one-time dynamic registration link for one LMS (DYNAMIC_REGISTRATION = "invite")."""
    if not services.is_http_url(base_url):
        _fail(f"--base-url must be a full http(s) URL, not {base_url!r}.")
    if days < 1:
        _fail("--days must be at least 1.")
    invite = dynreg.create_invite(days * 86400, note)
    db.session.commit()
    click.echo(f"{toolinfo.urls(base_url).register}?invite={invite}")
    click.echo(
        f"Paste this whole address in the LMS (Moodle: Manage tools > Tool URL; Canvas: LTI "
        f"Registration). It registers one LMS and expires in {days} day(s)."
    )
    if current_app.config["DYNAMIC_REGISTRATION"] != "invite":
        click.echo(
            f"Note: DYNAMIC_REGISTRATION is {current_app.config['DYNAMIC_REGISTRATION']!r}; "
            'invitations are only required when it is "invite".'
        )


@registrations_cli.command("show-config")
@click.option(
    "--base-url",
    required=True,
    help="Wayfinder's public address, e.g. https://wayfinder.example.com",
)
@click.option("--json", "as_json", is_flag=True, help="Print only the Canvas developer-key JSON.")
def registrations_show_config(base_url: str, as_json: bool) -> None:
    """What an LMS admin pastes: the dynamic registration URL, the manual-setup URLs and the
    Canvas developer-key JSON (also served at /lti/config.json)."""
    import json

    if not services.is_http_url(base_url):
        _fail(f"--base-url must be a full http(s) URL, not {base_url!r}.")
    config = toolinfo.canvas_config(base_url, current_app.config["JOB_ROLE_PARAMETER"])
    if as_json:
        click.echo(json.dumps(config, indent=2))
        return
    u = toolinfo.urls(base_url)
    click.echo(f"Dynamic registration (Moodle 4.1+, Canvas): {u.register}")
    click.echo(f"Canvas developer-key JSON URL:             {u.canvas_config}")
    click.echo("Manual setup:")
    click.echo(f"  Tool URL / target link URI:  {u.target_link_uri}")
    click.echo(f"  Login (initiate login) URL:  {u.login}")
    click.echo(f"  Redirect URI:                {u.launch}")
    click.echo(f"  Public keyset (JWKS) URL:    {u.jwks}")
    click.echo(f"  Domain:                      {u.domain}")
    click.echo("  Services:                    " + ", ".join(config["scopes"]))
    click.echo(
        "  Custom parameters:           "
        + "  ".join(
            f"{k}={v}"
            for k, v in toolinfo.ims_custom_parameters(
                current_app.config["JOB_ROLE_PARAMETER"]
            ).items()
        )
    )


def _call(operation: Callable[[], T]) -> T:
    try:
        return operation()
    except services.AdminError as exc:
        raise click.ClickException(str(exc)) from exc


@registrations_cli.command("disable")
@click.argument("registration_id", type=int)
def registrations_disable(registration_id: int) -> None:
    """Stop launches from a registration (its data is kept)."""
    reg = _call(lambda: services.set_registration_enabled(registration_id, False))
    db.session.commit()
    click.echo(f"Registration {reg.id} ({reg.name}) disabled; its launches are refused.")


@registrations_cli.command("enable")
@click.argument("registration_id", type=int)
def registrations_enable(registration_id: int) -> None:
    """Accept launches from a disabled registration again."""
    reg = _call(lambda: services.set_registration_enabled(registration_id, True))
    db.session.commit()
    click.echo(f"Registration {reg.id} ({reg.name}) enabled.")


# -- deployments ----------------------------------------------------------------------------------

deployments_cli = AppGroup("deployments", help="Deployments under a registration.")


@deployments_cli.command("list")
@click.option("--pending", is_flag=True, help="Only those waiting for approval.")
def deployments_list(pending: bool) -> None:
    """Deployments of every registration, those waiting for approval first."""
    rows = services.deployments(pending_only=pending)
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
    reg = _call(lambda: services.registration(registration_id))
    known = services.deployment_by_id(reg.id, deployment_id.strip()) is not None
    dep = _call(lambda: services.approve_deployment_id(reg.id, deployment_id))
    db.session.commit()
    click.echo(f"Deployment {dep.deployment_id} of registration {reg.id} ({reg.name}) is approved.")
    if not known:
        # A typo must not pass for the deployment the admin meant: say that this one is new.
        click.echo(
            "It was not seen before, so it was added. If you meant a deployment waiting for "
            "approval, see `flask deployments list --pending`."
        )


@deployments_cli.command("disable")
@click.argument("registration_id", type=int)
@click.argument("deployment_id")
def deployments_disable(registration_id: int, deployment_id: str) -> None:
    """Refuse launches from a deployment until it is approved again (`deployments approve`
    re-enables it)."""
    _call(lambda: services.disable_deployment_id(registration_id, deployment_id))
    db.session.commit()
    click.echo(f"Deployment {deployment_id} of registration {registration_id} disabled.")


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
    from lti_tool.grades.cli import grades_cli
    from lti_tool.i18n_catalogs import translations_cli
    from lti_tool.insights.cli import insights_cli
    from lti_tool.jobs.cli import jobs_cli
    from lti_tool.recognition.cli import recognition_cli

    app.cli.add_command(demo_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(grades_cli)
    app.cli.add_command(insights_cli)
    app.cli.add_command(recognition_cli)
    app.cli.add_command(translations_cli)
