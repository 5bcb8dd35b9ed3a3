"""The sender's sense of time. Waiting out backoff and Retry-After goes through a Clock, so tests
(and the benchmark) swap in one that moves time forward instead of sleeping:
`app.extensions["grades_clock"] = SimulatedClock()`."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Protocol

from flask import current_app

from lti_tool.lti.models import utcnow


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> datetime:
        return utcnow()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class SimulatedClock:
    """Real time plus an offset that sleeping advances, at once."""

    def __init__(self) -> None:
        self.offset = timedelta()
        self.slept = 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return utcnow() + self.offset

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self.offset += timedelta(seconds=seconds)
                self.slept += seconds

    def advance(self, seconds: float) -> None:
        self.sleep(seconds)


def current() -> Clock:
    clock = current_app.extensions.get("grades_clock")
    return clock if clock is not None else RealClock()
