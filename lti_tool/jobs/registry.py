"""Job handlers by kind. A handler takes the job's arguments and a JobRun to report progress;
it raises to fail (the runner records the message and schedules a retry)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


class JobRun(Protocol):
    """What a running handler may tell the runner."""

    job_id: int
    registration_id: int | None

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        """Record progress and commit it (with the handler's work so far)."""
        ...


Handler = Callable[[dict[str, Any], JobRun], str]


class JobFailed(Exception):
    """A failure whose message is written for the person reading the job list.

    retry=False when retrying cannot help (e.g. the course has no roster URL)."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class JobKind:
    name: str
    title: str
    handler: Handler
    max_attempts: int = 5


_KINDS: dict[str, JobKind] = {}


def register(name: str, title: str, *, max_attempts: int = 5) -> Callable[[Handler], Handler]:
    """Decorator: `@register("roster_sync", "Roster sync")` on a handler returning a summary."""

    def decorator(handler: Handler) -> Handler:
        _KINDS[name] = JobKind(name, title, handler, max_attempts)
        return handler

    return decorator


def get(name: str) -> JobKind | None:
    load_handlers()
    return _KINDS.get(name)


def kinds() -> dict[str, JobKind]:
    load_handlers()
    return dict(_KINDS)


def load_handlers() -> None:
    """Import the modules that register handlers (kept here so the list is in one place)."""
    import lti_tool.catalog.jobs
    import lti_tool.grades.jobs
    import lti_tool.insights.xapi
    import lti_tool.paths.gradebook
    import lti_tool.recognition.jobs
    import lti_tool.roster.jobs  # noqa: F401
