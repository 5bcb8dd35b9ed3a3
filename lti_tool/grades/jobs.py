"""The grade_sync job kind: one per tenant at a time (a dedupe key), sending that tenant's due
scores (grades.sender). Scores waiting longer than GRADES_WAIT_IN_JOB_SECONDS (backoff,
Retry-After) get a follow-up job at their time; the scheduler tick also starts a sync for any
tenant with due scores and no sync waiting, so nothing is left behind if a dispatch is lost."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from lti_tool.extensions import db
from lti_tool.grades import clock
from lti_tool.grades.models import ScoreSend, SendState
from lti_tool.grades.sender import Sender, SendSettings
from lti_tool.jobs import services as jobs
from lti_tool.jobs.models import Job, JobState
from lti_tool.jobs.registry import JobFailed, JobRun, register
from lti_tool.lti.models import utcnow

KIND = "grade_sync"
INLINE_WAIT_SECONDS = 1.5


def dedupe_key(registration_id: int) -> str:
    return f"{KIND}:registration:{registration_id}"


def settings() -> SendSettings:
    config = current_app.config
    return SendSettings(
        backoff_seconds=float(config["GRADES_BACKOFF_SECONDS"]),
        max_backoff_seconds=float(config["GRADES_MAX_BACKOFF_SECONDS"]),
        max_attempts=int(config["GRADES_MAX_ATTEMPTS"]),
        # Inline (development) jobs run inside a request: wait there only long enough for the
        # 1-second rule (two quick progress changes), never for a backoff, and there is no
        # worker to send a deferred score later.
        max_wait_seconds=min(INLINE_WAIT_SECONDS, float(config["GRADES_WAIT_IN_JOB_SECONDS"]))
        if jobs.mode() == "inline"
        else float(config["GRADES_WAIT_IN_JOB_SECONDS"]),
        http_timeout=float(config["HTTP_TIMEOUT"]),
        concurrency=int(config["GRADES_SEND_CONCURRENCY"]),
    )


@register(KIND, "Grade sync", max_attempts=5)
def run_grade_sync(arguments: dict[str, Any], run: JobRun) -> str:
    registration_id = run.registration_id
    if registration_id is None:
        raise JobFailed("The grade sync names no registration.", retry=False)
    try:
        report = Sender(registration_id, settings(), clock.current()).run()
    except LookupError as exc:
        raise JobFailed(str(exc), retry=False) from exc
    if report.next_try_at is not None:
        # Hand the key over to a follow-up at the time of the next due retry.
        db.session.execute(
            update(Job)
            .where(Job.id == run.job_id)
            .values(dedupe_key=None)
            .execution_options(synchronize_session=False)
        )
        request_sync(registration_id, run_at=report.next_try_at)
    return report.summary()


def request_sync(registration_id: int, run_at: datetime | None = None) -> Job:
    """Make sure a grade sync for the tenant is waiting (flushed, not committed). A sync
    waiting for a later time, or to retry, is brought forward to `run_at` (default now)."""
    # Job times are real UTC, whatever clock the sender uses.
    when = run_at if run_at is not None and run_at > utcnow() else utcnow()
    job, created = jobs.enqueue(
        KIND,
        {},
        registration_id=registration_id,
        started_by="grade outbox",
        dedupe_key=dedupe_key(registration_id),
        run_at=when,
    )
    if not created and job.state is not JobState.RUNNING and (job.run_at or when) > when:
        job.state, job.run_at = JobState.QUEUED, when
        job.max_attempts = max(job.max_attempts, job.attempts + 1)
        db.session.flush()
    return job


def pending_sync(registration_id: int) -> Job | None:
    return db.session.scalar(select(Job).where(Job.dedupe_key == dedupe_key(registration_id)))


def dispatch_sync(registration_id: int) -> None:
    """After the caller's commit: hand the tenant's waiting grade sync to the queue (RQ), run
    it (inline, development) or leave it to the polling worker."""
    db.session.info.get(_COMMITTED, set()).discard(registration_id)
    job = pending_sync(registration_id)
    if job is not None and job.state is JobState.QUEUED:
        jobs.dispatch(job)


# -- dispatching once the progress change is committed ----------------------------------------
#
# record_progress notes its tenant on the session; a commit moves the note to "committed", a
# rollback drops it (nothing was recorded). After each request, grades.views dispatches the
# committed ones, so features need not call dispatch_sync themselves after their commit.

_WAITING = "wayfinder_grade_sync_waiting"
_COMMITTED = "wayfinder_grade_sync_committed"


def dispatch_after_commit(session: Any, registration_id: int) -> None:
    session.info.setdefault(_WAITING, set()).add(registration_id)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    waiting = session.info.pop(_WAITING, None)
    if waiting:
        session.info.setdefault(_COMMITTED, set()).update(waiting)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_WAITING, None)


def dispatch_committed() -> list[int]:
    """Dispatch the grade syncs of progress committed since the last call (after a request)."""
    tenants = sorted(db.session.info.pop(_COMMITTED, set()))
    for registration_id in tenants:
        dispatch_sync(registration_id)
    return tenants


def enqueue_due_syncs() -> list[Job]:
    """Scheduler tick: a grade sync for every tenant with due scores and none waiting."""
    now = clock.current().now()
    tenants = set(
        db.session.scalars(
            select(ScoreSend.registration_id)
            .where(ScoreSend.state == SendState.PENDING, ScoreSend.next_try_at <= now)
            .distinct()
        )
    )
    started = []
    for registration_id in sorted(tenants):
        if pending_sync(registration_id) is None:
            started.append(request_sync(registration_id))
    return started
