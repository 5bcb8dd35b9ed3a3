"""Learning events as xAPI statements, sent to a Learning Record Store (optional).

With ``XAPI_ENDPOINT`` set (the LRS's base address, ``.../xapi/``; ``XAPI_USERNAME`` and
``XAPI_PASSWORD`` for its Basic auth, the password from ``WAYFINDER_XAPI_PASSWORD``), every new
learning event also gets a row in ``xapi_outbox`` in the same transaction, and an ``xapi_send``
job of the durable job queue (one per tenant at a time) is made sure to wait. The job posts the
waiting statements in batches (``POST <endpoint>/statements``, xAPI 1.0.3) and deletes their rows
once the LRS accepted them. The LRS down: the job fails and is retried with backoff; nothing is
lost. Each statement's id is derived from the event, so a batch sent twice (an answer lost on
the way back) is the same statements again, which an LRS accepts or answers 409 (already
there; counted as sent).

Without Redis the polling worker runs the job; with RQ the scheduler hands it over within
JOB_REDISPATCH_SECONDS, or at once when the caller calls ``dispatch_pending`` after its commit.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from sqlalchemy import delete, select

from adapters.http import HttpClient, HttpError
from lti_tool.extensions import db
from lti_tool.insights.models import LearningEvent, XapiOutbox
from lti_tool.jobs import services as jobs
from lti_tool.jobs.models import Job, JobState
from lti_tool.jobs.registry import JobFailed, JobRun, register
from lti_tool.lti.models import Registration
from lti_tool.people.models import Person

KIND = "xapi_send"
BATCH = 100
VERSION = "1.0.3"
VERBS = {
    "assigned": "http://activitystrea.ms/schema/1.0/assign",
    "started": "http://adlnet.gov/expapi/verbs/attempted",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "rated": "http://id.tincanapi.com/verb/rated",
    "shared": "http://adlnet.gov/expapi/verbs/shared",
    "coached": "http://id.tincanapi.com/verb/mentored",
    "awarded": "http://specification.openbadges.org/xapi/verbs/earned",
}
NAMESPACE = uuid.UUID("1b9c1f3e-6f5e-4a43-9d8c-3f3a3c1e0d11")


def enabled() -> bool:
    return bool(current_app.config.get("XAPI_ENDPOINT"))


def dedupe_key(registration_id: int) -> str:
    return f"{KIND}:registration:{registration_id}"


def queue(registration_id: int, event_id: int) -> None:
    """Called by record_event for a new event when xAPI is configured (flushes, no commit)."""
    db.session.add(XapiOutbox(registration_id=registration_id, event_id=event_id))
    jobs.enqueue(
        KIND,
        {},
        registration_id=registration_id,
        started_by="learning events",
        dedupe_key=dedupe_key(registration_id),
    )


def dispatch_pending(registration_id: int) -> None:
    """After the caller's commit: hand the tenant's waiting send to the queue now."""
    job = db.session.scalar(select(Job).where(Job.dedupe_key == dedupe_key(registration_id)))
    if job is not None and job.state is JobState.QUEUED:
        jobs.dispatch(job)


def statement(event: LearningEvent, person: Person, home_page: str) -> dict[str, Any]:
    activity = f"urn:wayfinder:{event.registration_id}:{event.object_type}:{event.object_id}"
    body: dict[str, Any] = {
        "id": str(uuid.uuid5(NAMESPACE, f"{event.registration_id}:{event.id}")),
        "actor": {
            "objectType": "Agent",
            "name": person.display_name,
            "account": {"homePage": home_page, "name": person.sub},
        },
        "verb": {"id": VERBS[event.verb], "display": {"en-US": event.verb}},
        "object": {
            "objectType": "Activity",
            "id": activity,
            "definition": {
                "name": {"en-US": event.title or f"{event.object_type} {event.object_id}"},
                "type": f"urn:wayfinder:activity-type:{event.object_type}",
            },
        },
        "timestamp": event.occurred_at.isoformat(timespec="milliseconds") + "Z",
    }
    result: dict[str, Any] = {}
    if event.verb == "completed":
        result["completion"] = True
        if event.minutes:
            result["duration"] = f"PT{event.minutes}M"
    if event.score is not None:
        result["score"] = {"raw": event.score}
    if result:
        body["result"] = result
    return body


def send_waiting(registration_id: int, http: HttpClient | None = None) -> int:
    """Send every waiting statement of the tenant; returns how many. Raises HttpError."""
    config = current_app.config
    endpoint = str(config["XAPI_ENDPOINT"]).rstrip("/") + "/statements"
    auth = (str(config.get("XAPI_USERNAME", "")), str(config.get("XAPI_PASSWORD", "")))
    http = http or HttpClient(timeout=float(config["HTTP_TIMEOUT"]), retries=0)
    reg = db.session.get(Registration, registration_id)
    home_page = reg.issuer if reg is not None else "urn:wayfinder"
    sent = 0
    while True:
        rows = list(
            db.session.execute(
                select(XapiOutbox.id, LearningEvent, Person)
                .join(LearningEvent, LearningEvent.id == XapiOutbox.event_id)
                .join(Person, Person.id == LearningEvent.person_id)
                .where(XapiOutbox.registration_id == registration_id)
                .order_by(XapiOutbox.id)
                .limit(BATCH)
            )
        )
        if not rows:
            return sent
        try:
            http.request(
                "POST",
                endpoint,
                json=[statement(e, p, home_page) for _, e, p in rows],
                auth=auth if auth[0] else None,
                headers={"X-Experience-API-Version": VERSION},
                idempotent=True,  # the same statement ids: sending twice is harmless
            )
        except HttpError as exc:
            if exc.status != 409:  # 409: those statement ids are already in the LRS
                raise
        db.session.execute(delete(XapiOutbox).where(XapiOutbox.id.in_([r[0] for r in rows])))
        db.session.commit()
        sent += len(rows)


@register(KIND, "xAPI statements to the LRS", max_attempts=8)
def run_xapi_send(arguments: dict[str, Any], run: JobRun) -> str:
    if run.registration_id is None:
        raise JobFailed("The xAPI send names no registration.", retry=False)
    if not enabled():
        raise JobFailed("XAPI_ENDPOINT is not set: statements wait until it is.", retry=False)
    try:
        sent = send_waiting(run.registration_id)
    except HttpError as exc:
        raise JobFailed(f"The LRS did not take the statements: {exc}") from exc
    return f"{sent} statements sent to the LRS."
