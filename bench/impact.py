"""Insights benchmark (issue 7): a synthetic organisation of 20,000 people in 10 job roles,
50 paths (5 per role), 2,000,000 KPI rows (4 metrics, 25 weekly values per person) and
1,000,000 learning events (assigned, started and 8 steps completed of each of a person's 5
paths; half of each role completed its first path 40 to 120 days ago), built with bulk
inserts (COPY on PostgreSQL) and the monthly summary rebuilt from the events. Prints:

- the time to import 100,000 KPI rows through the real import (5,000 people x 4 metrics x
  5 new days): the preview (plan) and the apply (plans again, then the bulk upsert), and
  importing the same file again (nothing changes);
- p50/p95 of the role dashboard (lti_tool.insights.dashboard.build, 12 months, one role; and
  every role) and of one impact report (role holders + impact.compute for a path of a role of
  2,000 people: 1,000 completers, 1,000 in the comparison group).

    .venv/bin/python bench/impact.py                                  # SQLite in a temp folder
    .venv/bin/python bench/impact.py --database-url postgresql://postgres@127.0.0.1:5432/<db>
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path as FsPath
from typing import Any

sys.path.insert(0, str(FsPath(__file__).resolve().parent.parent))

from sqlalchemy import delete, insert, inspect, select, text

from bench.common import bulk, sample
from lti_tool import create_app
from lti_tool.extensions import db
from lti_tool.insights import dashboard, events, impact, kpi
from lti_tool.insights.models import KpiValue, LearningEvent
from lti_tool.lti.models import Registration, utcnow
from lti_tool.paths import services as paths
from lti_tool.paths.models import Path
from lti_tool.people.models import Person
from lti_tool.roles.models import JobRole, PersonRole
from lti_tool.tenancy import tenant_scope

PEOPLE, ROLES, PATHS_PER_ROLE, WEEKS = 20_000, 10, 5, 25
BATCH = 20_000
EVENT_COLUMNS = (
    "registration_id",
    "person_id",
    "verb",
    "object_type",
    "object_id",
    "title",
    "path_id",
    "role_id",
    "minutes",
    "occurred_at",
    "recorded_at",
)


def copy_events(rows: list[tuple[Any, ...]]) -> None:
    if db.engine.dialect.name == "postgresql":
        raw: Any = db.session.connection().connection.dbapi_connection
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY learning_events ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    for i in range(0, len(rows), BATCH):
        db.session.execute(
            insert(LearningEvent),
            [dict(zip(EVENT_COLUMNS, r, strict=True)) for r in rows[i : i + BATCH]],
        )


def build(reg_id: int, today: date) -> dict[int, int]:
    """The organisation; returns {role id: the path whose impact is measured}."""
    now = utcnow()
    r = random.Random(4)
    bulk(
        JobRole,
        [
            {
                "id": i + 1,
                "registration_id": reg_id,
                "name": f"Role {i + 1}",
                "description": "",
                "aliases": [],
                "created_at": now,
                "updated_at": now,
            }
            for i in range(ROLES)
        ],
    )
    bulk(
        Person,
        [
            {
                "id": i + 1,
                "registration_id": reg_id,
                "sub": f"p{i + 1}",
                "name": f"Person {i + 1}",
                "given_name": "",
                "family_name": "",
                "email": f"p{i + 1}@example.com",
                "preferred_name": "",
                "job_role": "",
                "created_at": now,
            }
            for i in range(PEOPLE)
        ],
    )
    bulk(
        PersonRole,
        [
            {
                "registration_id": reg_id,
                "person_id": i + 1,
                "role_id": i % ROLES + 1,
                "role_name": f"Role {i % ROLES + 1}",
                "source": "lti",
                "since": now,
                "set_by": "bench",
                "note": "",
            }
            for i in range(PEOPLE)
        ],
    )
    bulk(
        Path,
        [
            {
                "id": p + 1,
                "registration_id": reg_id,
                "role_id": p % ROLES + 1,
                "title": f"Path {p + 1}",
                "description": "",
                "created_at": now,
            }
            for p in range(ROLES * PATHS_PER_ROLE)
        ],
    )
    db.session.flush()
    kpi.ensure_standard_metrics(reg_id)
    metric_ids = [m.id for m in kpi.metrics()]
    # KPIs: 4 metrics x 25 weekly values per person (2,000,000 rows); completers of their
    # role's first path gain 3 points after completing.
    completed: dict[int, date] = {}
    for person in range(1, PEOPLE + 1):
        if r.random() < 0.5:
            completed[person] = today - timedelta(days=r.randint(40, 120))
    writes: list[tuple[int, int, date, float]] = []
    for person in range(1, PEOPLE + 1):
        level = 80 + r.gauss(0, 3)
        done = completed.get(person)
        for k in range(1, WEEKS + 1):
            day = today - timedelta(days=7 * k + person % 7)
            bonus = 3.0 if done is not None and day > done else 0.0
            for m in metric_ids:
                writes.append((person, m, day, round(level + bonus + r.gauss(0, 2), 1)))
        if len(writes) >= 400_000:
            kpi.write_values(reg_id, writes)
            writes = []
    kpi.write_values(reg_id, writes)
    # Events: per person and path of their role: assigned, started, 8 steps (1,000,000), plus
    # the completions of the first path.
    rows: list[tuple[Any, ...]] = []
    start = datetime.combine(today - timedelta(days=360), datetime.min.time())
    for person in range(1, PEOPLE + 1):
        role = (person - 1) % ROLES + 1
        for j in range(PATHS_PER_ROLE):
            pid = j * ROLES + role
            when = start + timedelta(days=r.randint(0, 200))
            rows.append((reg_id, person, "assigned", "path", str(pid), "", pid, role, 0, when, now))
            rows.append((reg_id, person, "started", "path", str(pid), "", pid, role, 0, when, now))
            for k in range(8):
                when = when + timedelta(days=r.randint(1, 12))
                rows.append(
                    (
                        reg_id,
                        person,
                        "completed",
                        "step",
                        f"{pid}:k{k}",
                        "",
                        pid,
                        role,
                        15,
                        when,
                        now,
                    )
                )
            if j == 0 and person in completed:
                done_at = datetime.combine(completed[person], datetime.min.time())
                rows.append(
                    (reg_id, person, "completed", "path", str(pid), "", pid, role, 0, done_at, now)
                )
        if len(rows) >= 200_000:
            copy_events(rows)
            rows = []
    copy_events(rows)
    events.rebuild_months(reg_id)
    return {role: role for role in range(1, ROLES + 1)}  # path id == role id for j == 0


def kpi_file(today: date) -> str:
    """100,000 rows: 5,000 people x 4 metrics x 5 days after the history."""
    lines = ["external_id,date,metric,value"]
    r = random.Random(9)
    names = ("CSAT", "AHT", "FCR", "QA score")
    for person in range(1, 5_001):
        for d in range(5):
            day = (today - timedelta(days=5 - d)).isoformat()
            for name in names:
                lines.append(f"p{person},{day},{name},{round(80 + r.gauss(0, 3), 1)}")
    return "\n".join(lines) + "\n"


def timed(fn: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def measure(label: str, fn: Any, repeat: int) -> str:
    s = sample(fn, repeat)
    return f"| {label} | {s.p50:.1f} | {s.p95:.1f} | {repeat} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--reuse", action="store_true", help="keep an earlier run's organisation")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="wayfinder-bench-impact-")
    url = args.database_url or f"sqlite:///{tmp}/impact.db"
    app = create_app(
        {
            "SECRET_KEY": "bench-secret-key-long-enough-0123456789abcdef",
            "DATABASE_URL": url,
            "ENV": "development",
        }
    )
    from flask_migrate import upgrade

    today = utcnow().date()
    with app.app_context():
        reg = (
            db.session.scalar(select(Registration).where(Registration.client_id == "bench"))
            if inspect(db.engine).has_table("kpi_values")
            else None
        )
        db.session.rollback()
        if args.reuse and reg is not None:
            upgrade()  # keep the data, bring the schema up to the code's migrations
        else:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            upgrade()
            reg = Registration(
                issuer="https://bench.example.com",
                client_id="bench",
                name="bench",
                auth_login_url="https://bench.example.com/a",
                key_set_url="https://bench.example.com/j",
            )
            db.session.add(reg)
            db.session.commit()
            with tenant_scope(db.session, reg.id):
                _, built = timed(lambda: build(reg.id, today))
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
            print(f"{db.engine.dialect.name}: built in {built:.0f} s")
        counts = {
            t: db.session.scalar(text(f"SELECT count(*) FROM {t}"))
            for t in ("people", "kpi_values", "learning_events", "learning_months")
        }
        print(", ".join(f"{t}: {n:,}" for t, n in counts.items()))
        lines = []
        with tenant_scope(db.session, reg.id):
            # A reused organisation still has the previous run's import: take it out again.
            db.session.execute(delete(KpiValue).where(KpiValue.day > today - timedelta(days=6)))
            db.session.commit()
            content = kpi_file(today)
            upload = kpi.store_upload(reg.id, "bench.csv", content, "bench")
            plan, preview_s = timed(lambda: kpi.plan(content))
            assert plan.ok and plan.added == 100_000, (plan.errors[:3], plan.added)
            _, apply_s = timed(lambda: kpi.apply(upload))
            _, commit_s = timed(db.session.commit)
            again = kpi.store_upload(reg.id, "bench.csv", content, "bench")
            redo, again_s = timed(lambda: kpi.apply(again))
            assert redo.unchanged == 100_000 and not redo.writes
            db.session.rollback()
            print(
                f"KPI import of 100,000 rows: preview {preview_s:.2f} s; apply {apply_s:.2f} s "
                f"+ commit {commit_s:.2f} s = {100_000 / (apply_s + commit_s):,.0f} rows/s; "
                f"the same file again {again_s:.2f} s (nothing written)"
            )
            r = random.Random(3)
            role_ids = [r.randint(1, ROLES) for _ in range(args.repeat)]
            lines.append(
                measure(
                    "role dashboard (12 months, one role)",
                    lambda i: dashboard.build(12, role_ids[i]),
                    args.repeat,
                )
            )

            def page(i: int) -> None:
                """The dashboard page as served: build, charts and template."""
                from lti_tool.insights import views

                with app.test_request_context(f"/insights/?role={role_ids[i]}"):
                    views.dashboard_page(None, 12, role_ids[i])

            lines.append(measure("role dashboard page (build + SVG + template)", page, args.repeat))
            lines.append(
                measure(
                    "dashboard (12 months, every role)", lambda i: dashboard.build(12), args.repeat
                )
            )
            metrics = kpi.lookup()

            def report(i: int) -> None:
                role_id = role_ids[i % len(role_ids)]  # at least 5 runs, even with --repeat 3
                role = db.session.get(JobRole, role_id)
                path = db.session.get(Path, role_id)
                assert role is not None and path is not None
                q = impact.Question(path, "", metrics["csat"], role, 28, 10)
                result = impact.compute(q, paths.role_holders(role.id))
                assert result["status"] == "ok" and result["conclusive"], result
                assert result["n_treated"] > 900 and result["n_control"] > 900, result

            lines.append(
                measure(
                    "impact report (2,000 people, 28-day windows)", report, max(5, args.repeat // 4)
                )
            )
        print("| measure | p50 ms | p95 ms | runs |")
        print("|---|---:|---:|---:|")
        for line in lines:
            print(line)


if __name__ == "__main__":
    main()
