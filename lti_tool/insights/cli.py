"""flask insights: record learning events that happened before the events table existed, and
recount the monthly summary the dashboards read (after a bulk load or a repair)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.insights import events
from lti_tool.lti.models import Registration
from lti_tool.tenancy import tenant_scope

insights_cli = AppGroup("insights", help="Learning events and dashboards.")


def _registrations(registration: int | None) -> list[Registration]:
    query = select(Registration).order_by(Registration.id)
    if registration is not None:
        query = query.where(Registration.id == registration)
    return list(db.session.scalars(query))


@insights_cli.command("backfill")
@click.option("--registration", type=int, help="Only this registration (tenant).")
def backfill(registration: int | None) -> None:
    """Record past path and community activity as learning events (once; safe to repeat)."""
    for reg in _registrations(registration):
        with tenant_scope(db.session, reg.id):
            added = events.backfill(reg.id)
        db.session.commit()
        click.echo(f"{reg.name or reg.issuer}: {added} new learning events.")


@insights_cli.command("rebuild")
@click.option("--registration", type=int, help="Only this registration (tenant).")
def rebuild(registration: int | None) -> None:
    """Recount the monthly summary of learning events from the events themselves."""
    for reg in _registrations(registration):
        with tenant_scope(db.session, reg.id):
            rows = events.rebuild_months(reg.id)
        db.session.commit()
        click.echo(f"{reg.name or reg.issuer}: {rows} summary rows.")
