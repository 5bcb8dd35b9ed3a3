"""The recognition_award job kind: the periodic re-evaluation of every automatic badge for one
tenant (what `flask recognition award` does), enqueued by the job scheduler once per
RECOGNITION_AWARD_HOURS (24 by default; 0 turns it off) for each enabled registration."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.jobs import services as jobs
from lti_tool.jobs.models import Job
from lti_tool.jobs.registry import JobFailed, JobRun, register
from lti_tool.lti.models import Registration, utcnow
from lti_tool.recognition import services

KIND = "recognition_award"


@register(KIND, "Badge re-evaluation", max_attempts=3)
def run_award(arguments: dict[str, Any], run: JobRun) -> str:
    if run.registration_id is None:
        raise JobFailed("The job names no registration.", retry=False)
    count = services.award_automatic(run.registration_id)
    return f"{count} badge{'s' if count != 1 else ''} awarded."


def enqueue_periodic_awards() -> list[Job]:
    """One re-evaluation per enabled tenant per interval, never two waiting at once."""
    hours = int(current_app.config.get("RECOGNITION_AWARD_HOURS", 24))
    if hours <= 0:
        return []
    cutoff = utcnow() - timedelta(hours=hours)
    recent = set(
        db.session.scalars(
            select(Job.registration_id).where(Job.kind == KIND, Job.created_at > cutoff)
        )
    )
    created = []
    for reg_id in db.session.scalars(select(Registration.id).where(Registration.enabled.is_(True))):
        if reg_id in recent:
            continue
        job, new = jobs.enqueue(
            KIND,
            {},
            registration_id=reg_id,
            started_by="schedule",
            dedupe_key=f"{KIND}:{reg_id}",
        )
        if new:
            created.append(job)
    return created
