"""flask recognition award: evaluate every automatic badge for everyone, per tenant. Events
(a path completed, a tip verified) award at once; this catches what no event reaches yet
(coaching sessions, skill levels) and badges created after people met them. Run it from cron
or the job scheduler; it is idempotent (a badge is never awarded twice)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.lti.models import Registration
from lti_tool.recognition import services
from lti_tool.tenancy import tenant_scope

recognition_cli = AppGroup("recognition", help="Badges and kudos.")


@recognition_cli.command("award")
@click.option("--registration", type=int, help="Only this registration (tenant).")
def award(registration: int | None) -> None:
    """Award the automatic badges people have earned and do not hold yet."""
    stmt = select(Registration.id).where(Registration.enabled.is_(True)).order_by(Registration.id)
    if registration is not None:
        stmt = stmt.where(Registration.id == registration)
    ids = list(db.session.scalars(stmt))
    if not ids:
        raise click.ClickException("No such registration.")
    total = 0
    for reg_id in ids:
        with tenant_scope(db.session, reg_id):
            count = services.award_automatic(reg_id)
        db.session.commit()
        total += count
        click.echo(f"Registration {reg_id}: {count} badge(s) awarded.")
    click.echo(f"{total} in all.")
