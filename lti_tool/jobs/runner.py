"""Entry points that run jobs: the function RQ calls with a job id, and the polling worker loop
behind `flask jobs worker` when there is no Redis."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from flask import Flask, current_app, has_app_context

from lti_tool.jobs import services

log = logging.getLogger(__name__)

_app: Flask | None = None


def _worker_app() -> Flask:
    """RQ workers started outside `flask` build the app once per process."""
    global _app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
    if _app is None:
        from lti_tool import create_app

        _app = create_app()
    return _app


def run_rq_job(job_id: int) -> str:
    """What RQ runs. The RQ job carries only the id: the database row is the truth, and the
    claim makes a duplicate delivery harmless."""
    with _worker_app().app_context():
        job = services.run_job(job_id)
        if job is None:
            return f"job {job_id} was not due or is run elsewhere"
        return f"job {job_id} {job.state.value}"


def poll_forever(
    poll_seconds: float, tick_seconds: float, burst: bool, echo: Callable[[str], None]
) -> int:
    """The database-backed worker: claim and run due jobs; every tick_seconds also re-queue
    crashed jobs and enqueue periodic ones. With burst, stop when nothing is due."""
    ran = 0
    next_tick = 0.0
    while True:
        if time.monotonic() >= next_tick:
            tick = services.schedule_tick()
            if tick.requeued or tick.scheduled:
                echo(f"re-queued {tick.requeued}, scheduled {tick.scheduled}")
            next_tick = time.monotonic() + tick_seconds
        job_id = services.claim_next()
        if job_id is not None:
            job = services.run_claimed(job_id)
            ran += 1
            echo(f"job {job.id} {job.kind}: {job.state.value}. {job.message}")
            continue
        if burst:
            return ran
        time.sleep(poll_seconds)
