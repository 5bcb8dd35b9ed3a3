"""Recognition benchmark: a synthetic organisation of 20,000 people in 10 job roles and 1,334
teams of 15, 20,000 tips of which 6,000 are verified, 100,000 kudos, 2,000 completed path
assignments, and 6 automatic badges (verified tips at 1, 3 and 10; a path completed; coaching;
a skill level), built with bulk inserts. Prints:

- the whole-tenant re-evaluation (``flask recognition award``'s work for one tenant): the first
  run, which awards every badge earned so far, and a second run with nothing new (the daily
  case);
- p50/p95 and SQL statements of the profile's recognition part (badges, 5 thanks each way),
  the team view (one team of 15) and "people near me" (2,000 people in the role), for random
  people;
- one automatic award on an event (a tip verified: the hook's work for one person).

    .venv/bin/python bench/recognition.py                               # SQLite in a temp folder
    .venv/bin/python bench/recognition.py --database-url postgresql://postgres@127.0.0.1:5432/<db>
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path as FsPath
from typing import Any

sys.path.insert(0, str(FsPath(__file__).resolve().parent.parent))

from sqlalchemy import event, func, select, text

from bench.common import bulk, sample
from lti_tool import create_app
from lti_tool.community.models import Post
from lti_tool.extensions import db
from lti_tool.lti.models import Registration, utcnow
from lti_tool.paths.models import Assignment, Path, PathVersion
from lti_tool.people.models import Person
from lti_tool.recognition import services
from lti_tool.recognition.models import Award, Badge, Kudos
from lti_tool.roles.models import JobRole, PersonRole, Team, TeamMember
from lti_tool.tenancy import tenant_scope

PEOPLE, ROLES, TEAM_SIZE, TIPS, VERIFIED, KUDOS, COMPLETED = (
    20_000,
    10,
    15,
    20_000,
    6_000,
    100_000,
    2_000,
)


def build(reg_id: int) -> None:
    now = utcnow()
    r = random.Random(7)
    base = dict(registration_id=reg_id)
    bulk(
        Person,
        [
            {**base, "id": i, "sub": f"p{i}", "name": f"Person {i}", "email": f"p{i}@x.test"}
            for i in range(1, PEOPLE + 1)
        ],
    )
    bulk(
        JobRole,
        [
            {**base, "id": i, "name": f"Role {i}", "description": "", "aliases": []}
            for i in range(1, ROLES + 1)
        ],
    )
    bulk(
        PersonRole,
        [
            {
                **base,
                "person_id": i,
                "role_id": i % ROLES + 1,
                "role_name": f"Role {i % ROLES + 1}",
                "source": "admin",
                "since": now,
            }
            for i in range(1, PEOPLE + 1)
        ],
    )
    teams = PEOPLE // TEAM_SIZE + 1
    bulk(Team, [{**base, "id": t, "name": f"Team {t}", "leader_id": t} for t in range(1, teams)])
    bulk(
        TeamMember,
        [
            {**base, "team_id": (i - 1) // TEAM_SIZE + 1, "person_id": i}
            for i in range(1, PEOPLE + 1)
            if (i - 1) // TEAM_SIZE + 1 < teams
        ],
    )
    bulk(
        Post,
        [
            {
                **base,
                "kind": "tip",
                "author_id": r.randint(1, PEOPLE),
                "title": f"Tip {i}",
                "body_md": "x",
                "body_html": "<p>x</p>",
                "status": "visible",
                "verified_at": now if i <= VERIFIED else None,
                "verified_by_id": 1 if i <= VERIFIED else None,
            }
            for i in range(1, TIPS + 1)
        ],
    )
    bulk(
        Kudos,
        [
            {
                **base,
                "from_id": r.randint(1, PEOPLE),
                "to_id": r.randint(1, PEOPLE),
                "message": "Thanks for the help!",
                "created_at": now,
            }
            for _ in range(KUDOS)
        ],
    )
    bulk(Path, [{**base, "id": 1, "role_id": 1, "title": "Path", "description": ""}])
    bulk(PathVersion, [{**base, "id": 1, "path_id": 1, "number": 1, "status": "published"}])
    bulk(
        Assignment,
        [
            {
                **base,
                "person_id": i,
                "path_id": 1,
                "version_id": 1,
                "status": "completed",
                "completed_at": now,
            }
            for i in range(1, COMPLETED + 1)
        ],
    )
    for name, criterion, threshold in (
        ("One tip", "verified_tips", 1),
        ("Three tips", "verified_tips", 3),
        ("Ten tips", "verified_tips", 10),
        ("Path done", "path_completed", 1),
        ("Coach", "coaching_given", 5),
        ("Skill", "skill_level", 4),
    ):
        db.session.add(
            Badge(
                **base,
                name=name,
                description="d",
                design="star",
                criteria_text="c",
                criterion=criterion,
                threshold=threshold,
            )
        )
    db.session.flush()


def measure(label: str, fn: Any, repeat: int, statements: list[int]) -> str:
    s = sample(fn, repeat, statements)
    return f"| {label} | {s.p50:.1f} | {s.p95:.1f} | {s.statements} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="wayfinder-bench-recognition-")
    url = args.database_url or f"sqlite:///{tmp}/recognition.db"
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
        started = time.perf_counter()
        with tenant_scope(db.session, reg.id):
            build(reg.id)
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
        built = time.perf_counter() - started
        print(f"{db.engine.dialect.name}: built the organisation in {built:.0f} s")

        with tenant_scope(db.session, reg.id):
            start = time.perf_counter()
            first = services.award_automatic(reg.id)
            db.session.commit()
            t_first = time.perf_counter() - start
            start = time.perf_counter()
            second = services.award_automatic(reg.id)
            db.session.commit()
            t_second = time.perf_counter() - start
            awards = db.session.scalar(select(func.count()).select_from(Award))
        print(f"re-evaluation, first run: {first:,} awards in {t_first:.2f} s")
        print(f"re-evaluation, nothing new: {second} awards in {t_second:.2f} s ({awards:,} held)")

        statements = [0]

        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(*_a: Any) -> None:
            statements[0] += 1

        r = random.Random(11)
        ids = [r.randint(1, PEOPLE - TEAM_SIZE) for _ in range(args.repeat)]
        actors = [services.Actor(reg.id, pid, f"Person {pid}") for pid in ids]
        team_ids = [(pid - 1) // TEAM_SIZE + 1 for pid in ids]
        unverified = list(
            db.session.scalars(select(Post.id).where(Post.verified_at.is_(None)).limit(args.repeat))
        )

        def verify(i: int) -> None:
            row = db.session.get(Post, unverified[i])
            assert row is not None
            row.verified_at = utcnow()
            db.session.flush()
            services.on_tip_verified(row)

        with tenant_scope(db.session, reg.id):
            lines = [
                measure(
                    "profile recognition (badges, 5 thanks each way)",
                    lambda i: services.profile(ids[i]),
                    args.repeat,
                    statements,
                ),
                measure(
                    "team view (15 members)",
                    lambda i: services.team_recognition(db.session.get(Team, team_ids[i])),
                    args.repeat,
                    statements,
                ),
                measure(
                    "people near me (2,000 in the role)",
                    lambda i: services.near_me(actors[i]),
                    max(5, args.repeat // 5),
                    statements,
                ),
                measure("a tip verified (hook)", verify, args.repeat, statements),
            ]
        print("| measure | p50 ms | p95 ms | SQL statements |")
        print("|---|---:|---:|---:|")
        for line in lines:
            print(line)


if __name__ == "__main__":
    main()
