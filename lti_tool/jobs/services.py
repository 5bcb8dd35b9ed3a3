"""Recording, claiming, running and retrying jobs.

The life of a job: `enqueue` adds the row (the caller commits), `dispatch` hands its id to RQ, to
nobody (the `flask jobs worker` polls the table) or runs it at once (inline, development only).
Whoever runs it first *claims* it with one atomic statement, so two workers never run the same
job; the claim counts the attempt. A failure is recorded with its message and, while attempts
remain, a retry time with exponential backoff. A job left `running` without a heartbeat for
JOB_TIMEOUT_SECONDS (its worker crashed) is re-queued by the scheduler tick.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from adapters.http import HttpError
from lti_tool.extensions import db
from lti_tool.jobs import registry
from lti_tool.jobs.models import Job, JobState
from lti_tool.lti.models import utcnow
from lti_tool.tenancy import tenant_scope

log = logging.getLogger(__name__)

RQ_QUEUE = "wayfinder"
MAX_BACKOFF = timedelta(hours=6)


def enqueue(
    kind: str,
    arguments: dict[str, Any],
    *,
    registration_id: int | None,
    started_by: str = "",
    person_id: int | None = None,
    dedupe_key: str | None = None,
    run_at: datetime | None = None,
) -> tuple[Job, bool]:
    """Record a job (flushed, not committed). With a dedupe_key, an unfinished job with the same
    key is returned instead of a new one. Returns (job, created)."""
    spec = registry.get(kind)
    if spec is None:
        raise ValueError(f"no job handler registered for {kind!r}")
    if dedupe_key:
        existing = db.session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
        if existing is not None:
            return existing, False
    job = Job(
        kind=kind,
        arguments=arguments,
        registration_id=registration_id,
        state=JobState.QUEUED,
        attempts=0,
        max_attempts=spec.max_attempts,
        progress_done=0,
        message="Waiting for a worker.",
        started_by=started_by[:255],
        started_by_person_id=person_id,
        dedupe_key=dedupe_key,
        run_at=run_at or utcnow(),
        created_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(job)
    except IntegrityError:  # another process recorded the same key just now
        existing = db.session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
        assert existing is not None
        return existing, False
    return job, True


# -- dispatch ------------------------------------------------------------------------------------


def mode() -> str:
    """inline (development only, when JOBS_INLINE), rq (REDIS_URL) or worker (the table)."""
    config = current_app.config
    if config.get("JOBS_INLINE") and config.get("ENV") != "production":
        return "inline"
    if config.get("REDIS_URL"):
        return "rq"
    return "worker"


def rq_queue() -> Any:
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(current_app.config["REDIS_URL"])
    return Queue(RQ_QUEUE, connection=connection)


def dispatch(*jobs: Job) -> None:
    """Call after the transaction that recorded the jobs has committed."""
    how = mode()
    ids = [job.id for job in jobs]
    if how == "rq":
        queue = rq_queue()
        for job_id in ids:
            queue.enqueue(
                "lti_tool.jobs.runner.run_rq_job",
                job_id,
                job_timeout=current_app.config["JOB_TIMEOUT_SECONDS"],
                result_ttl=0,
            )
    elif how == "inline":
        for job_id in ids:
            run_job(job_id)


# -- claiming ------------------------------------------------------------------------------------


def _runnable(now: datetime) -> Any:
    return and_(
        or_(
            Job.state == JobState.QUEUED,
            and_(Job.state == JobState.FAILED, Job.run_at.is_not(None)),
        ),
        Job.run_at <= now,
    )


def _claim_values(now: datetime) -> dict[str, Any]:
    return {
        "state": JobState.RUNNING,
        "attempts": Job.attempts + 1,
        "started_at": now,
        "heartbeat_at": now,
        "finished_at": None,
        "progress_done": 0,
        "message": "Running.",
    }


def claim(job_id: int) -> bool:
    """Claim one job by id: one conditional UPDATE, so only one caller ever wins. Commits."""
    now = utcnow()
    result = db.session.execute(
        update(Job)
        .where(Job.id == job_id, _runnable(now))
        .values(**_claim_values(now))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return getattr(result, "rowcount", 0) == 1


def claim_next() -> int | None:
    """Claim the job that has waited longest. PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so
    concurrent workers pass over each other's rows. SQLite: a conditional UPDATE per candidate
    (SQLite serialises writers). Commits; returns the claimed job's id."""
    now = utcnow()
    query = select(Job.id).where(_runnable(now)).order_by(Job.run_at, Job.id).limit(1)
    if db.engine.dialect.name == "postgresql":
        job_id = db.session.scalar(query.with_for_update(skip_locked=True))
        if job_id is None:
            db.session.rollback()
            return None
        db.session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(**_claim_values(now))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        return job_id
    for _ in range(5):
        job_id = db.session.scalar(query)
        db.session.rollback()
        if job_id is None:
            return None
        if claim(job_id):
            return job_id
    return None


# -- running -------------------------------------------------------------------------------------


@dataclass
class _Run:
    job_id: int
    registration_id: int | None

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        values: dict[str, Any] = {"progress_done": done, "heartbeat_at": utcnow()}
        if total is not None:
            values["progress_total"] = total
        if message is not None:
            values["message"] = message
        db.session.execute(
            update(Job)
            .where(Job.id == self.job_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


def backoff(attempt: int) -> timedelta:
    """30 s, 2 min, 8 min, ... (JOB_BACKOFF_SECONDS * 4^(attempt-1)), at most 6 hours."""
    base = current_app.config["JOB_BACKOFF_SECONDS"]
    return min(timedelta(seconds=base * 4 ** max(0, attempt - 1)), MAX_BACKOFF)


def _describe(exc: Exception) -> str:
    if isinstance(exc, registry.JobFailed | HttpError):
        return str(exc)
    return f"Unexpected error ({type(exc).__name__}). The server log has the details."


def run_claimed(job_id: int) -> Job:
    """Run a job this process has claimed, and record how it ended. Commits."""
    job = db.session.get(Job, job_id)
    assert job is not None
    kind = registry.get(job.kind)
    run = _Run(job.id, job.registration_id)
    arguments = dict(job.arguments or {})
    try:
        if kind is None:
            raise registry.JobFailed(f"No handler for job kind {job.kind!r}.", retry=False)
        if job.registration_id is not None:
            with tenant_scope(db.session, job.registration_id):
                summary = kind.handler(arguments, run)
        else:
            summary = kind.handler(arguments, run)
    except Exception as exc:
        db.session.rollback()
        if not isinstance(exc, registry.JobFailed | HttpError):
            log.exception("job %s (%s) failed", job_id, kind.name if kind else "?")
        else:
            log.warning("job %s failed: %s", job_id, exc)
        _record_failure(job_id, _describe(exc), retry=getattr(exc, "retry", True))
    else:
        job = db.session.get(Job, job_id)
        assert job is not None
        job.state = JobState.SUCCEEDED
        job.message = summary
        job.finished_at = utcnow()
        job.run_at = None
        job.dedupe_key = None
        if job.progress_total is not None:
            job.progress_done = job.progress_total
        db.session.commit()
    job = db.session.get(Job, job_id)
    assert job is not None
    return job


def _record_failure(job_id: int, message: str, *, retry: bool) -> None:
    job = db.session.get(Job, job_id)
    assert job is not None
    now = utcnow()
    job.state = JobState.FAILED
    job.finished_at = now
    if retry and job.attempts < job.max_attempts:
        job.run_at = now + backoff(job.attempts)
        job.message = (
            f"{message} Attempt {job.attempts} of {job.max_attempts}; "
            f"retrying at {job.run_at:%H:%M:%S} UTC."
        )
    else:
        job.run_at = None
        job.dedupe_key = None
        tries = f" after {job.attempts} attempts" if job.attempts > 1 else ""
        job.message = f"{message} Gave up{tries}."
    db.session.commit()


def run_job(job_id: int) -> Job | None:
    """Claim and run one job by id; None if someone else has it or it is not due."""
    if not claim(job_id):
        return None
    return run_claimed(job_id)


def run_due(limit: int | None = None) -> int:
    """Run due jobs one after another in this process until none is left. Returns how many."""
    count = 0
    while limit is None or count < limit:
        job_id = claim_next()
        if job_id is None:
            break
        run_claimed(job_id)
        count += 1
    return count


# -- housekeeping --------------------------------------------------------------------------------


def requeue_stale(now: datetime | None = None) -> int:
    """Jobs still `running` with no heartbeat for JOB_TIMEOUT_SECONDS lost their worker:
    queue them again (or give up when out of attempts). Commits."""
    now = now or utcnow()
    timeout = current_app.config["JOB_TIMEOUT_SECONDS"]
    cutoff = now - timedelta(seconds=timeout)
    stale = list(
        db.session.execute(
            select(Job.id, Job.heartbeat_at, Job.attempts, Job.max_attempts).where(
                Job.state == JobState.RUNNING, Job.heartbeat_at < cutoff
            )
        )
    )
    count = 0
    for job_id, heartbeat, attempts, max_attempts in stale:
        lost = f"Its worker stopped (no sign of life for {timeout} s)."
        if attempts < max_attempts:
            values: dict[str, Any] = {
                "state": JobState.QUEUED,
                "run_at": now,
                "message": lost + " Queued again.",
            }
        else:
            values = {
                "state": JobState.FAILED,
                "run_at": None,
                "dedupe_key": None,
                "finished_at": now,
                "message": lost + f" Gave up after {attempts} attempts.",
            }
        result = db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.RUNNING, Job.heartbeat_at == heartbeat)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        count += getattr(result, "rowcount", 0)
    db.session.commit()
    return count


def overdue_for_rq(now: datetime) -> list[Job]:
    """With RQ, retries and jobs whose queue entry was lost are handed to RQ again by the
    scheduler tick. Handing a job over twice is harmless: only one claim succeeds."""
    lost_after = now - timedelta(seconds=current_app.config["JOB_REDISPATCH_SECONDS"])
    return list(
        db.session.scalars(
            select(Job).where(
                or_(
                    and_(Job.state == JobState.FAILED, Job.run_at.is_not(None), Job.run_at <= now),
                    and_(Job.state == JobState.QUEUED, Job.run_at <= lost_after),
                )
            )
        )
    )


@dataclass(frozen=True)
class Tick:
    requeued: int
    scheduled: int
    redispatched: int


def schedule_tick() -> Tick:
    """One round of the scheduler: re-queue crashed jobs, enqueue periodic jobs (without
    duplicates), and with RQ hand over retries that are due. Commits."""
    from lti_tool.catalog.jobs import enqueue_periodic_syncs as enqueue_catalog_syncs
    from lti_tool.grades.jobs import enqueue_due_syncs
    from lti_tool.recognition.jobs import enqueue_periodic_awards
    from lti_tool.roster.jobs import enqueue_periodic_syncs

    requeued = requeue_stale()
    scheduled = enqueue_periodic_syncs(current_app.config["ROSTER_SYNC_MINUTES"])
    scheduled += enqueue_due_syncs()
    scheduled += enqueue_catalog_syncs(current_app.config["CATALOG_SYNC_MINUTES"])
    scheduled += enqueue_periodic_awards()
    db.session.commit()
    redispatched = overdue_for_rq(utcnow()) if mode() == "rq" else []
    dispatch(*scheduled, *redispatched)
    return Tick(requeued, len(scheduled), len(redispatched))


def retry(job: Job) -> bool:
    """An admin's retry: run again as soon as possible, with one more attempt if needed. Only a
    job that is not running or done, checked in the UPDATE itself, so a worker that claims the
    job at the same moment is never overtaken (which would run it twice). False when it was."""
    done = db.session.execute(
        update(Job)
        .where(Job.id == job.id, Job.state.in_((JobState.FAILED, JobState.QUEUED)))
        .values(
            state=JobState.QUEUED,
            run_at=utcnow(),
            finished_at=None,
            max_attempts=case(
                (Job.max_attempts > Job.attempts, Job.max_attempts), else_=Job.attempts + 1
            ),
            message="Queued again by hand.",
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(job)
    return bool(getattr(done, "rowcount", 0))


def latest(kind: str, registration_id: int | None, **arguments: int | str) -> Job | None:
    """The newest job of a kind for one tenant and, optionally, matching arguments."""
    query = select(Job).where(Job.kind == kind, Job.registration_id == registration_id)
    for name, value in arguments.items():
        column = Job.arguments[name]
        query = query.where(
            column.as_integer() == value if isinstance(value, int) else column.as_string() == value
        )
    return db.session.scalar(query.order_by(Job.id.desc()).limit(1))


def counts_by_state() -> dict[str, int]:
    rows = db.session.execute(select(Job.state, func.count()).group_by(Job.state))
    return {state.value: count for state, count in rows}
