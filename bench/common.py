"""What the database benchmarks share: bulk inserts for synthetic data, and timing one measure.

Each benchmark prints its own table row from a `Sample`; the sampling is the same everywhere."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert

from lti_tool.extensions import db

BATCH = 20_000


def bulk(model: Any, rows: list[dict[str, Any]], batch: int = BATCH) -> None:
    """Insert plain rows in executemany batches (no ORM objects: fast at a million rows)."""
    for i in range(0, len(rows), batch):
        db.session.execute(insert(model), rows[i : i + batch])


@dataclass(frozen=True)
class Sample:
    times: list[float]  # wall clock, ms, sorted
    cpu: list[float]  # this process's CPU time, ms
    counts: list[int]  # SQL statements per run (empty when not counted)

    @property
    def p50(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        return self.times[max(0, int(len(self.times) * 0.95) - 1)]

    @property
    def cpu_p50(self) -> float:
        return statistics.median(self.cpu)

    @property
    def statements(self) -> str:
        return f"{min(self.counts)}-{max(self.counts)}" if self.counts else ""


def sample(fn: Callable[[int], Any], repeat: int, statements: list[int] | None = None) -> Sample:
    """Run ``fn(i)`` ``repeat`` times, each from a fresh session (rolled back after, so nothing
    is kept in the identity map between repeats); ``statements[0]`` is a counter that an
    engine event increments, reset before each run."""
    times, cpu, counts = [], [], []
    for i in range(repeat):
        if statements is not None:
            statements[0] = 0
        start, start_cpu = time.perf_counter(), time.process_time()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        if statements is not None:
            counts.append(statements[0])
        db.session.rollback()
    return Sample(sorted(times), cpu, counts)
