"""flask jobs: list, run-due, retry, worker, schedule."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.jobs import runner, services
from lti_tool.jobs.models import Job, JobState

jobs_cli = AppGroup("jobs", help="Background jobs (roster sync, ...).")


def _line(job: Job) -> str:
    progress = ""
    if job.state is JobState.RUNNING or job.progress_done:
        total = f"/{job.progress_total}" if job.progress_total is not None else ""
        progress = f" [{job.progress_done}{total}]"
    tenant = f"registration {job.registration_id}" if job.registration_id else "installation"
    return (
        f"{job.id:>6}  {job.state.value:9} {job.kind:14} {tenant:16} "
        f"attempts {job.attempts}/{job.max_attempts}{progress}  {job.message}"
    )


@jobs_cli.command("list")
@click.option(
    "--state", type=click.Choice([s.value for s in JobState]), help="Only jobs in this state."
)
@click.option("--limit", default=30, show_default=True)
def jobs_list(state: str | None, limit: int) -> None:
    """The most recent jobs, newest first."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if state:
        query = query.where(Job.state == JobState(state))
    rows = list(db.session.scalars(query))
    if not rows:
        click.echo("No jobs.")
    for job in rows:
        click.echo(_line(job))


@jobs_cli.command("run-due")
def jobs_run_due() -> None:
    """Re-queue crashed jobs, then run every due job in this process and exit (for cron)."""
    requeued = services.requeue_stale()
    ran = services.run_due()
    click.echo(f"Re-queued {requeued} crashed job(s); ran {ran} job(s).")


@jobs_cli.command("retry")
@click.argument("job_id", type=int)
def jobs_retry(job_id: int) -> None:
    """Queue a failed job again now."""
    job = db.session.get(Job, job_id)
    if job is None:
        raise click.ClickException(f"No job {job_id}. See `flask jobs list`.")
    if job.state is JobState.RUNNING:
        raise click.ClickException(f"Job {job_id} is running; wait for it to finish.")
    if job.state is JobState.SUCCEEDED:
        raise click.ClickException(f"Job {job_id} succeeded; start a new one instead.")
    if not services.retry(job):
        raise click.ClickException(f"Job {job_id} was picked up meanwhile; see `flask jobs list`.")
    db.session.commit()
    services.dispatch(job)
    click.echo(f"Job {job_id} queued again ({services.mode()}).")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when no job is due.")
def jobs_worker(burst: bool) -> None:
    """Run jobs: an RQ worker when REDIS_URL is set, else poll the database (which also runs
    the scheduler, so one process is enough)."""
    config = current_app.config
    if services.mode() == "rq":
        from rq import SimpleWorker

        queue = services.rq_queue()
        click.echo(f"RQ worker on queue {queue.name}; run `flask jobs schedule` beside it.")
        # SimpleWorker runs jobs in this process, inside this app: no fork sharing DB connections.
        SimpleWorker([queue], connection=queue.connection).work(burst=burst)
        return
    click.echo("Worker polling the database for due jobs.")
    ran = runner.poll_forever(
        config["JOB_POLL_SECONDS"], config["JOB_SCHEDULE_SECONDS"], burst, click.echo
    )
    click.echo(f"Ran {ran} job(s).")


@jobs_cli.command("schedule")
@click.option("--once", is_flag=True, help="One round, then exit (for cron).")
def jobs_schedule(once: bool) -> None:
    """Enqueue periodic jobs (roster sync per course) without duplicates, re-queue crashed jobs
    and, with RQ, hand over due retries."""
    while True:
        tick = services.schedule_tick()
        click.echo(
            f"Scheduled {tick.scheduled}, re-queued {tick.requeued}, "
            f"handed to RQ {tick.redispatched}."
        )
        if once:
            return
        time.sleep(current_app.config["JOB_SCHEDULE_SECONDS"])
