"""Running what is queued, the way the configured backend would."""

from __future__ import annotations

from typing import Any

from lti_tool.jobs import services


def drain(app: Any) -> int:
    """Run every due job: with Redis through RQ's SimpleWorker in burst mode, else the table."""
    with app.app_context():
        if services.mode() == "rq":
            from rq import SimpleWorker

            queue = services.rq_queue()
            count = queue.count
            SimpleWorker([queue], connection=queue.connection).work(burst=True)
            return int(count)
        return services.run_due()
