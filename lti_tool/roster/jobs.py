"""The roster_sync job kind: starting it (by an instructor or the schedule) and running it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.jobs import services as jobs
from lti_tool.jobs.models import Job
from lti_tool.jobs.registry import JobFailed, JobRun, register
from lti_tool.lti.models import Registration, utcnow
from lti_tool.people.models import Course
from lti_tool.roster.services import SyncSettings, sync_course

KIND = "roster_sync"


def dedupe_key(course_id: int) -> str:
    return f"{KIND}:course:{course_id}"


@register(KIND, "Roster sync", max_attempts=5)
def run_roster_sync(arguments: dict[str, Any], run: JobRun) -> str:
    course_id = arguments.get("course_id")
    if not isinstance(course_id, int):
        raise JobFailed("The job names no course.", retry=False)
    config = current_app.config
    settings = SyncSettings(
        job_role_parameter=config["JOB_ROLE_PARAMETER"],
        page_size=config["NRPS_PAGE_SIZE"],
        max_pages=config["NRPS_MAX_PAGES"],
        http_timeout=config["HTTP_TIMEOUT"],
    )
    return sync_course(course_id, run, settings).summary()


def start_sync(
    registration_id: int, course_id: int, *, started_by: str, person_id: int | None = None
) -> tuple[Job, bool]:
    """Record a roster sync for a course, unless one is already waiting or running. A sync
    waiting to retry after a failure is brought forward to now (returned as new, to dispatch)."""
    job, created = jobs.enqueue(
        KIND,
        {"course_id": course_id},
        registration_id=registration_id,
        started_by=started_by,
        person_id=person_id,
        dedupe_key=dedupe_key(course_id),
    )
    if not created and job.retry_pending and jobs.retry(job):
        job.started_by = started_by[:255]
        job.started_by_person_id = person_id
        return job, True
    return job, created


def latest_sync(registration_id: int, course_id: int) -> Job | None:
    return jobs.latest(KIND, registration_id, course_id=course_id)


def enqueue_periodic_syncs(interval_minutes: int) -> list[Job]:
    """Every course with a roster URL whose last sync (or attempt) is older than the interval
    gets one sync job; a course with a sync pending gets none. Runs across tenants."""
    if interval_minutes <= 0:
        return []
    cutoff = utcnow() - timedelta(minutes=interval_minutes)
    course_arg = Job.arguments["course_id"].as_integer()
    recently_tried = set(
        db.session.scalars(
            select(course_arg)
            .where(Job.kind == KIND, Job.created_at > cutoff)
            .group_by(course_arg)
            .having(func.count() > 0)
        )
    )
    due = db.session.execute(
        select(Course.id, Course.registration_id)
        .join(Registration, Registration.id == Course.registration_id)
        .where(
            Registration.enabled.is_(True),  # a switched-off LMS is not called on a schedule
            Course.roster_url.is_not(None),
            (Course.roster_synced_at.is_(None)) | (Course.roster_synced_at < cutoff),
        )
    )
    created = []
    for course_id, registration_id in due:
        if course_id in recently_tried:
            continue
        job, new = start_sync(registration_id, course_id, started_by="schedule")
        if new:
            created.append(job)
    return created
