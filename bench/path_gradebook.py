"""What sending learning-path progress to the gradebook costs (issue 3, paths placed by deep
linking): a course of LEARNERS learners on one published path of 20 steps, each having done 5.

- "step done": a learner marks a step done (paths.services.self_report, then the commit), with
  no placement of the path (nothing goes to a gradebook) and with the path and one step
  placed, graded (two outbox rows recorded in the same transaction). p50/p95 and SQL statements.
- "first launch of a placed path": paths.gradebook.send_current, everyone's current progress
  into the outbox at once. Time, statements and rows.

Sending the outbox to an LMS is measured by bench/sync.py.

    .venv/bin/python bench/path_gradebook.py                                 # SQLite, temp folder
    .venv/bin/python bench/path_gradebook.py --database-url postgresql://postgres@127.0.0.1:5432/<db>
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path as FsPath
from typing import Any

sys.path.insert(0, str(FsPath(__file__).resolve().parent.parent))

from sqlalchemy import delete, event, func, insert, select, text

from lti_tool import create_app
from lti_tool.extensions import db
from lti_tool.grades import services as grades
from lti_tool.grades.models import ScoreSend
from lti_tool.lti.models import Registration, utcnow
from lti_tool.paths import gradebook, placements, services
from lti_tool.paths.models import Assignment, StepProgress
from lti_tool.people.models import Course, Membership, Person
from lti_tool.roles import services as roles
from lti_tool.tenancy import tenant_scope

STEPS, DONE = 20, 5
CHLOE = services.Actor("Bench trainer", None, is_staff=True)


def build(reg_id: int, learners: int) -> tuple[int, int, list[str], list[int]]:
    roles.import_starter_set(reg_id)
    role = roles.match_role("Tier 1 agent")
    assert role is not None
    p, _ = services.save_path(reg_id, None, {"title": "Bench path", "role_id": str(role.id)}, CHLOE)
    assert p is not None
    version = p.versions[0]
    group, _ = services.save_node(version, None, True, {"title": "All", "rule": "any_order"}, [])
    assert group is not None
    keys = []
    for i in range(STEPS):
        node, errors = services.save_node(
            version,
            None,
            False,
            {
                "title": f"Step {i + 1}",
                "kind": "link",
                "url": f"https://help.example.com/{i}",
                "format": "reading",
                "self_report": "yes",
                "parent_id": str(group.id),
            },
            [],
        )
        assert node is not None, errors
        keys.append(node.key)
    services.publish(version, CHLOE)
    course = Course(registration_id=reg_id, context_id="bench-course", title="Bench course")
    db.session.add(course)
    db.session.flush()
    grades.remember_endpoint(
        db.session, reg_id, course.id, "https://lms.example.com/lineitems", ["score", "lineitem"]
    )
    now = utcnow()
    db.session.execute(
        insert(Person),
        [{"registration_id": reg_id, "sub": f"p{i}", "name": f"P {i}"} for i in range(learners)],
    )
    people = list(db.session.scalars(select(Person.id).order_by(Person.id)))
    db.session.execute(
        insert(Membership),
        [
            {"registration_id": reg_id, "course_id": course.id, "person_id": pid, "roles": []}
            for pid in people
        ],
    )
    db.session.execute(
        insert(Assignment),
        [
            {
                "registration_id": reg_id,
                "person_id": pid,
                "path_id": p.id,
                "version_id": version.id,
                "assigned_at": now,
                "started_at": now,
            }
            for pid in people
        ],
    )
    aids = list(db.session.scalars(select(Assignment.id).order_by(Assignment.id)))
    db.session.execute(
        insert(StepProgress),
        [
            {
                "registration_id": reg_id,
                "assignment_id": aid,
                "step_key": key,
                "state": "completed",
                "evidence": "self_report",
                "updated_at": now,
                "completed_at": now,
            }
            for aid in aids
            for key in keys[:DONE]
        ],
    )
    db.session.commit()
    return p.id, course.id, keys, aids


def place(reg_id: int, course_id: int, path_id: int, step_key: str) -> placements.PathPlacement:
    row = placements.record_placed(
        reg_id, course_id, path_id, "", "Bench path", graded=True, placed_by="bench"
    )
    placements.record_placed(
        reg_id, course_id, path_id, step_key, "Bench path: step", graded=True, placed_by="bench"
    )
    placements.confirm_launch(
        reg_id, course_id, path_id, "", "Bench path", "link-1", lineitem_claim=True
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="wayfinder-bench-path-gradebook-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    app = create_app(
        {
            "SECRET_KEY": "bench-secret-key-long-enough-0123456789abcdef",
            "DATABASE_URL": url,
            "ENV": "development",
        }
    )
    from flask_migrate import upgrade

    with app.app_context():
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
        reg_id = reg.id
        statements = [0]

        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(*_a: Any) -> None:
            statements[0] += 1

        with tenant_scope(db.session, reg_id):
            path_id, course_id, keys, aids = build(reg_id, args.learners)
            r = random.Random(3)
            order = r.sample(aids, min(len(aids), 2 * args.repeat))

            def row(label: str, runs: list[tuple[float, int]]) -> str:
                times = sorted(t for t, _ in runs)
                counts = [c for _, c in runs]
                p95 = times[max(0, int(len(times) * 0.95) - 1)]
                return (
                    f"| {label} | {statistics.median(times):.1f} | {p95:.1f} | "
                    f"{min(counts)}-{max(counts)} |"
                )

            # The assignments' owners act as themselves: self_report checks the person.
            owners = dict(db.session.execute(select(Assignment.id, Assignment.person_id)).all())

            def as_owner(aid: int) -> tuple[float, int]:
                statements[0] = 0
                start = time.perf_counter()
                services.self_report(
                    services.learning(aid), keys[DONE], services.Actor("L", owners[aid])
                )
                db.session.commit()
                return (time.perf_counter() - start) * 1000, statements[0]

            unplaced = [as_owner(aid) for aid in order[: args.repeat]]
            placement = place(reg_id, course_id, path_id, keys[DONE])
            db.session.commit()
            placed = [as_owner(aid) for aid in order[args.repeat :]]
            recorded = db.session.scalar(select(func.count()).select_from(ScoreSend))
            assert recorded == 2 * len(placed), recorded
            db.session.execute(delete(ScoreSend))
            db.session.commit()

            statements[0] = 0
            start = time.perf_counter()
            sent = gradebook.send_current(placement)
            db.session.commit()
            backfill = time.perf_counter() - start
            backfill_statements = statements[0]

        print(
            f"{db.engine.dialect.name}: {args.learners:,} learners on one path of {STEPS} steps "
            f"({DONE} done each)"
        )
        print("| measure | p50 ms | p95 ms | SQL statements |")
        print("|---|---:|---:|---:|")
        print(row("step done, path not placed", unplaced))
        print(row("step done, path and that step placed (2 scores recorded)", placed))
        print(
            f"first launch of a placed path: {sent:,} scores recorded in {backfill:.2f} s "
            f"({backfill_statements:,} SQL statements)"
        )


if __name__ == "__main__":
    main()
