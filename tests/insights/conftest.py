"""Shared pieces of the insights tests: a tenant scope and synthetic people with KPIs."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from lti_tool.extensions import db
from lti_tool.insights import kpi
from lti_tool.insights.events import record_event
from lti_tool.insights.models import KpiMetric, Verb
from lti_tool.lti.models import Registration
from lti_tool.paths.models import Path
from lti_tool.people.models import Person
from lti_tool.roles.models import JobRole
from lti_tool.tenancy import tenant_scope

TODAY = date(2026, 6, 30)


def new_registration(client_id: str = "c1") -> int:
    reg = Registration(
        issuer=f"https://lms-{client_id}.example.com",
        client_id=client_id,
        name="LMS",
        auth_login_url="https://lms.example.com/auth",
        key_set_url="https://lms.example.com/jwks",
    )
    db.session.add(reg)
    db.session.flush()
    return reg.id


@pytest.fixture
def tenant(clean_app: Any) -> Iterator[int]:
    with clean_app.app_context():
        reg_id = new_registration()
        with tenant_scope(db.session, reg_id):
            kpi.ensure_standard_metrics(reg_id)
            yield reg_id
        db.session.rollback()


def people(tenant: int, n: int, prefix: str) -> list[Person]:
    rows = [
        Person(
            registration_id=tenant,
            sub=f"{prefix}{i}",
            email=f"{prefix}{i}@example.com",
            name=f"{prefix.title()} {i}",
        )
        for i in range(n)
    ]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def metric(key: str) -> KpiMetric:
    found = kpi.lookup()[key]
    return found


@dataclass
class World:
    path: Path
    role: JobRole
    treated: list[Person]
    control: list[Person]

    @property
    def holders(self) -> list[int]:
        return [p.id for p in self.treated + self.control]


def world(
    tenant: int,
    *,
    treated: int,
    control: int,
    effect: float,
    metric_key: str = "csat",
    base: float = 80.0,
    trend: float = 2.0,
    noise: float = 2.0,
    seed: int = 7,
) -> World:
    """People of one role; `treated` completed the path 60 to 120 days before TODAY. Everyone's
    KPI drifts by `trend` over the half year (a common change the comparison must remove);
    completers gain `effect` from the day after completion."""
    rnd = random.Random(seed)
    role = JobRole(registration_id=tenant, name="Tier 1 agent")
    db.session.add(role)
    db.session.flush()
    path = Path(registration_id=tenant, title="Tier 1 basics", role_id=role.id)
    db.session.add(path)
    db.session.flush()
    done = people(tenant, treated, "done")
    rest = people(tenant, control, "rest")
    m = metric(metric_key)
    completed: dict[int, date] = {}
    for p in done:
        day = TODAY - timedelta(days=rnd.randint(60, 120))
        completed[p.id] = day
        record_event(
            tenant,
            p.id,
            Verb.COMPLETED,
            "path",
            path.id,
            path_id=path.id,
            occurred_at=datetime(day.year, day.month, day.day, 10),
        )
    writes = []
    start = TODAY - timedelta(days=200)
    for p in done + rest:
        level = base + rnd.gauss(0, 3)
        for k in range(0, 200, 2):
            day = start + timedelta(days=k)
            value = level + trend * k / 200 + rnd.gauss(0, noise)
            if p.id in completed and day > completed[p.id]:
                value += effect
            writes.append((p.id, m.id, day, round(value, 2)))
    kpi.write_values(tenant, writes)
    return World(path, role, done, rest)
