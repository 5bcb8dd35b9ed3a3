"""The catalog_sync and plan_completion job kinds: started by a trainer or administrator, by the
schedule (every CATALOG_SYNC_MINUTES per tenant with LMS access), or by a learner opening their
plan (completion only). A failure of Wayfinder's access is recorded for the administrator."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from adapters.base import AdapterError
from lti_tool.catalog import access, plan, wording
from lti_tool.catalog.models import CatalogSource
from lti_tool.catalog.sync import sync_catalog
from lti_tool.extensions import db
from lti_tool.i18n_stored import written
from lti_tool.jobs import services as jobs
from lti_tool.jobs.models import Job
from lti_tool.jobs.registry import JobFailed, JobRun, register
from lti_tool.lti.models import Registration, utcnow

SYNC = "catalog_sync"
COMPLETION = "plan_completion"
COMPLETION_EVERY = timedelta(minutes=5)  # opening the plan asks the LMS at most this often


def _adapter(registration_id: int) -> Any:
    config = current_app.config
    found = access.access_for(
        registration_id,
        access.secret_keys(config),
        config["HTTP_TIMEOUT"],
        allow_demo=bool(config["DEV_LAUNCHER"]),
    )
    if "token" in found.unreadable:  # asking the LMS with no token would only blame the LMS
        with force_locale("en"):  # job messages are English, like the rest of the job list
            fix = str(access.UNREADABLE_FIX)
        raise JobFailed(fix, retry=False)
    return access.adapter_for(found, registration_id)


def _failed(registration_id: int, error: AdapterError) -> JobFailed:
    db.session.rollback()
    access.record_problem(registration_id, error)
    db.session.commit()
    return JobFailed(access.describe(error), retry=error.retryable)


@register(SYNC, "Catalog sync", max_attempts=5)
def run_catalog_sync(arguments: dict[str, Any], run: JobRun) -> str:
    registration_id = run.registration_id
    if registration_id is None:
        raise JobFailed(written(wording.NO_REGISTRATION), retry=False)
    adapter = _adapter(registration_id)
    source = access.source(registration_id)
    # A developer key alone (or a connection Canvas just refused to renew): asking Canvas with
    # no token would only fail.
    if source is not None and source.key_only:
        raise JobFailed(written(wording.KEY_ONLY), retry=False)
    if adapter is None:
        raise JobFailed(written(wording.NO_ACCESS), retry=False)

    def progress(done: int, total: int | None, message: str) -> None:
        run.progress(done, total, message)

    try:
        result = sync_catalog(registration_id, adapter, progress)
        checked, completed = plan.refresh_completion(plan.enrolled_lms_items(), adapter)
    except AdapterError as error:
        raise _failed(registration_id, error) from error
    row = access.ensure_source(registration_id)
    row.synced_at = utcnow()
    access.clear_problem(registration_id)
    db.session.flush()
    extra = " " + written(wording.CHECKED_TOO, num=checked, completed=completed) if checked else ""
    return result.summary() + extra


@register(COMPLETION, "Plan completion", max_attempts=3)
def run_plan_completion(arguments: dict[str, Any], run: JobRun) -> str:
    registration_id = run.registration_id
    person_id = arguments.get("person_id")
    if registration_id is None or not isinstance(person_id, int):
        raise JobFailed(written(wording.NO_PERSON), retry=False)
    adapter = _adapter(registration_id)
    if adapter is None:
        return written(wording.NOTHING_TO_ASK)
    try:
        checked, completed = plan.refresh_completion(plan.enrolled_lms_items(person_id), adapter)
    except AdapterError as error:
        raise _failed(registration_id, error) from error
    return written(wording.CHECKED, num=checked, completed=completed)


def start_sync(
    registration_id: int, *, started_by: str, person_id: int | None = None
) -> tuple[Job, bool]:
    job, created = jobs.enqueue(
        SYNC,
        {},
        registration_id=registration_id,
        started_by=started_by,
        person_id=person_id,
        dedupe_key=f"{SYNC}:{registration_id}",
    )
    if not created and job.retry_pending and jobs.retry(job):
        return job, True
    return job, created


def latest_sync(registration_id: int) -> Job | None:
    return jobs.latest(SYNC, registration_id)


def check_completion(registration_id: int, person_id: int) -> Job | None:
    """When a learner opens their plan: ask the LMS about their enrolled courses, unless that
    was done in the last few minutes. Returns a new job to dispatch after the commit."""
    items = plan.enrolled_lms_items(person_id)
    if not items:
        return None
    recent = utcnow() - COMPLETION_EVERY
    if all(i.completion_checked_at and i.completion_checked_at > recent for i in items):
        return None
    job, created = jobs.enqueue(
        COMPLETION,
        {"person_id": person_id},
        registration_id=registration_id,
        started_by="plan page",
        person_id=person_id,
        dedupe_key=f"{COMPLETION}:{person_id}",
    )
    return job if created else None


def enqueue_periodic_syncs(interval_minutes: int) -> list[Job]:
    """A catalog sync for every enabled tenant with LMS access whose last sync is older than
    the interval and that has none waiting. Runs across tenants."""
    if interval_minutes <= 0:
        return []
    cutoff = utcnow() - timedelta(minutes=interval_minutes)
    recently = set(
        db.session.scalars(
            select(Job.registration_id).where(Job.kind == SYNC, Job.created_at > cutoff)
        )
    )
    due = db.session.scalars(
        select(CatalogSource.registration_id)
        .join(Registration, Registration.id == CatalogSource.registration_id)
        .where(
            Registration.enabled.is_(True),
            CatalogSource.platform != "",
            ~CatalogSource.key_only,  # a Canvas developer key alone has nothing to sync with
            (CatalogSource.synced_at.is_(None)) | (CatalogSource.synced_at < cutoff),
        )
    )
    created = []
    for registration_id in due:
        if registration_id in recently:
            continue
        job, new = start_sync(registration_id, started_by="schedule")
        if new:
            created.append(job)
    return created
