"""flask grades: list the outbox, retry failed sends (the admin page's Grade sync tab, for
whoever runs the server)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.grades import jobs as grade_jobs
from lti_tool.grades import services
from lti_tool.grades.models import LineItem, ScoreSend, SendState

grades_cli = AppGroup("grades", help="Scores sent to LMS gradebooks (AGS outbox).")


@grades_cli.command("list")
@click.option(
    "--state",
    type=click.Choice([s.value for s in SendState]),
    help="Only sends in this state (default: pending, sending and failed).",
)
@click.option("--registration", type=int, help="Only this registration (tenant).")
@click.option("--limit", default=50, show_default=True)
def grades_list(state: str | None, registration: int | None, limit: int) -> None:
    """Score sends, failed first, then by next try."""
    counts = services.counts(registration)
    click.echo(
        "  ".join(f"{s.value} {counts.get(s.value, 0)}" for s in SendState) or "No score sends."
    )
    query = (
        select(ScoreSend, LineItem)
        .join(LineItem, LineItem.id == ScoreSend.line_item_id)
        .order_by((ScoreSend.state == SendState.FAILED).desc(), ScoreSend.next_try_at, ScoreSend.id)
        .limit(limit)
    )
    query = query.where(
        ScoreSend.state == SendState(state) if state else ScoreSend.state.in_(services.UNFINISHED)
    )
    if registration is not None:
        query = query.where(ScoreSend.registration_id == registration)
    rows = db.session.execute(query).all()
    if not rows:
        click.echo("Nothing to list.")
    for send, item in rows:
        when = f"next try {send.next_try_at:%Y-%m-%d %H:%M:%S}" if send.next_try_at else ""
        click.echo(
            f"{send.id:>7}  {send.state.value:10} registration {send.registration_id:<4} "
            f"user {send.user_id:<12} {item.label[:30]:30} {services.describe_score(send)}  "
            f"tries {send.attempts} {when}"
        )
        if send.last_error:
            click.echo(f"         {send.last_error}")


@grades_cli.command("retry")
@click.argument("send_id", type=int, required=False)
@click.option("--all-failed", is_flag=True, help="Every failed send (of --registration).")
@click.option("--registration", type=int, help="With --all-failed: only this registration.")
def grades_retry(send_id: int | None, all_failed: bool, registration: int | None) -> None:
    """Queue a failed send again (SEND_ID), or every failed one (--all-failed)."""
    if (send_id is None) == (not all_failed):
        raise click.UsageError("Give a SEND_ID or --all-failed (not both).")
    if send_id is not None:
        row = db.session.get(ScoreSend, send_id)
        if row is None:
            raise click.ClickException(f"No score send {send_id}. See `flask grades list`.")
        try:
            services.retry_send(row.registration_id, send_id)
        except services.NotRetryable as exc:
            raise click.ClickException(f"{exc} (send {send_id} is {row.state.value}).") from exc
        tenants = {row.registration_id}
        count = 1
    else:
        tenants = set(
            db.session.scalars(
                select(ScoreSend.registration_id)
                .where(ScoreSend.state == SendState.FAILED)
                .distinct()
            )
        )
        if registration is not None:
            tenants &= {registration}
        count = services.retry_failed(registration)
    db.session.commit()
    for tenant in tenants:
        grade_jobs.dispatch_sync(tenant)
    click.echo(f"{count} score send(s) queued again.")
