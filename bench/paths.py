"""Learning-path benchmark (issue 4): a synthetic organisation of 20,000 people, 10 job roles,
50 paths of 20 steps (5 per role, 4 sets of 5 steps), every person assigned their role's 5 paths
(100,000 assignments) and 10 step-progress rows per assignment (1,000,000 rows), built with
bulk inserts; 8 skills with a target per role, three self-ratings per person, teams of 25
people (800 teams, each led by a member of another team). Prints p50/p95 and the number of SQL
statements of:

- "my path": lti_tool.paths.services.learning_of (the paths the My path page shows), for
  random people;
- "my path with suggestions": the same plus team.my_path_extras (ranked suggestions with
  their reasons from the person's gaps, over every published path; the leader's shared path;
  whether the onboarding is open): everything the My path page loads;
- "team page": team.team_view, a leader's team of 25 people (its progress part);
- "team page with the leaders' additions": the same plus leaders.team_signals (enrolment
  requests waiting, coaching given, the stall check): everything the page loads;
- the role dashboard: services.counts_by_role (assignment and completion by role and path,
  over the whole tenant).

    .venv/bin/python bench/paths.py                                  # SQLite in a temp folder
    .venv/bin/python bench/paths.py --database-url postgresql://postgres@127.0.0.1:5432/<db>
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path as FsPath
from typing import Any

sys.path.insert(0, str(FsPath(__file__).resolve().parent.parent))

from sqlalchemy import event, inspect, select, text

from bench.common import bulk, sample
from lti_tool import create_app
from lti_tool.extensions import db
from lti_tool.leaders import services as leaders
from lti_tool.lti.models import Registration, utcnow
from lti_tool.paths import services, team
from lti_tool.paths.models import (
    Assignment,
    Path,
    PathNode,
    PathVersion,
    StepProgress,
)
from lti_tool.paths.personal_models import SkillRating
from lti_tool.people.models import Person
from lti_tool.roles.models import JobRole, PersonRole, RoleSkillTarget, Skill, Team, TeamMember
from lti_tool.tenancy import tenant_scope

PEOPLE, ROLES, PATHS_PER_ROLE, SETS, STEPS_PER_SET, PROGRESS_PER_ASSIGNMENT = (
    20_000,
    10,
    5,
    4,
    5,
    10,
)
SKILLS, TEAM_SIZE = 8, 25


def build(reg_id: int) -> None:
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
                "email": "",
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
        Skill,
        [
            {
                "id": i + 1,
                "registration_id": reg_id,
                "name": f"Skill {i + 1}",
                "description": "",
                "levels": ["a", "b", "c", "d", "e"],
                "created_at": now,
                "updated_at": now,
            }
            for i in range(SKILLS)
        ],
    )
    bulk(
        RoleSkillTarget,
        [
            {
                "registration_id": reg_id,
                "role_id": role + 1,
                "skill_id": skill + 1,
                "level": 2 + (role + skill) % 4,
            }
            for role in range(ROLES)
            for skill in range(SKILLS)
        ],
    )
    bulk(
        SkillRating,
        [
            {
                "registration_id": reg_id,
                "person_id": i + 1,
                "skill_id": (i + k) % SKILLS + 1,
                "rater": "self",
                "level": 1 + (i + k) % 5,
                "rated_by": "bench",
                "rated_at": now,
            }
            for i in range(PEOPLE)
            for k in range(3)
        ],
    )
    teams = PEOPLE // TEAM_SIZE
    bulk(
        Team,
        [
            {
                "id": t + 1,
                "registration_id": reg_id,
                "name": f"Team {t + 1}",
                # led by the first member of the next team
                "leader_id": ((t + 1) % teams) * TEAM_SIZE + 1,
                "created_at": now,
            }
            for t in range(teams)
        ],
    )
    bulk(
        TeamMember,
        [
            {
                "registration_id": reg_id,
                "team_id": i // TEAM_SIZE + 1,
                "person_id": i + 1,
                "since": now,
            }
            for i in range(teams * TEAM_SIZE)
        ],
    )
    paths, versions, nodes = [], [], []
    node_id = 0
    keys: dict[int, list[str]] = {}
    for p in range(ROLES * PATHS_PER_ROLE):
        pid = p + 1
        paths.append(
            {
                "id": pid,
                "registration_id": reg_id,
                "role_id": p % ROLES + 1,
                "title": f"Path {pid}",
                "description": "",
                "created_at": now,
            }
        )
        versions.append(
            {
                "id": pid,
                "registration_id": reg_id,
                "path_id": pid,
                "number": 1,
                "status": "published",
                "rule": "in_order",
                "min_count": 0,
                "created_at": now,
                "published_at": now,
                "published_by": "bench",
            }
        )
        keys[pid] = []
        for s in range(SETS):
            node_id += 1
            set_id = node_id
            nodes.append(_node(reg_id, pid, set_id, None, s, f"s{pid}-{s}", "set", now))
            for k in range(STEPS_PER_SET):
                node_id += 1
                key = f"k{pid}-{s}-{k}"
                keys[pid].append(key)
                nodes.append(_node(reg_id, pid, node_id, set_id, k, key, "lms", now))
    bulk(Path, paths)
    bulk(PathVersion, versions)
    bulk(PathNode, nodes)
    assignments, progress = [], []
    aid = 0
    for person in range(1, PEOPLE + 1):
        role = (person - 1) % ROLES + 1
        for j in range(PATHS_PER_ROLE):
            pid = j * ROLES + role
            aid += 1
            assignments.append(
                {
                    "id": aid,
                    "registration_id": reg_id,
                    "person_id": person,
                    "path_id": pid,
                    "version_id": pid,
                    "source": "role",
                    "status": "active",
                    "assigned_at": now - timedelta(days=30),
                    "assigned_by": "bench",
                    "started_at": now,
                }
            )
            for key in r.sample(keys[pid], PROGRESS_PER_ASSIGNMENT):
                progress.append(
                    {
                        "registration_id": reg_id,
                        "assignment_id": aid,
                        "step_key": key,
                        "state": r.choice(("completed", "in_progress")),
                        "evidence": "",
                        "note": "",
                        "updated_at": now,
                    }
                )
    bulk(Assignment, assignments)
    del assignments
    bulk(StepProgress, progress)


def _node(
    reg: int, vid: int, nid: int, parent: int | None, pos: int, key: str, kind: str, now: Any
) -> dict[str, Any]:
    return {
        "id": nid,
        "registration_id": reg,
        "version_id": vid,
        "parent_id": parent,
        "position": pos,
        "key": key,
        "kind": kind,
        "title": key,
        "rule": "in_order",
        "min_count": 0,
        "why": "",
        "url": "https://lms.example.com/c",
        "format": "video",
        "minutes": 20,
        "due_days": pos * 7 if kind != "set" else None,
        "required": True,
        "self_report": True,
        "skill_ids": [] if kind == "set" else [nid % SKILLS + 1, (nid + 3) % SKILLS + 1],
    }


def measure(label: str, fn: Any, repeat: int, statements: list[int]) -> str:
    """Wall-clock p50/p95, and the p50 of this process's CPU time: on a machine shared with
    other work the wall clock swings with the load, the CPU time much less (it leaves out the
    database server's own work and the waiting)."""
    s = sample(fn, repeat, statements)
    return f"| {label} | {s.p50:.1f} | {s.p95:.1f} | {s.cpu_p50:.1f} | {s.statements} |"


def _team_page(team_id: int) -> None:
    """Everything the team page loads: paths.team.team_view and leaders.team_signals."""
    found = db.session.get(Team, team_id)
    assert found is not None
    team.team_view(found)
    leaders.team_signals(found, found.leader_id or 0)


def _load() -> str:
    try:
        return " ".join(FsPath("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument(
        "--reuse", action="store_true", help="keep an organisation an earlier run built there"
    )
    parser.add_argument(
        "--no-analyze", action="store_true", help="measure without planner statistics"
    )
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="wayfinder-bench-paths-")
    url = args.database_url or f"sqlite:///{tmp}/paths.db"
    app = create_app(
        {
            "SECRET_KEY": "bench-secret-key-long-enough-0123456789abcdef",
            "DATABASE_URL": url,
            "ENV": "development",
        }
    )
    from flask_migrate import upgrade

    with app.app_context():
        reg = (
            db.session.scalar(select(Registration).where(Registration.client_id == "bench"))
            if inspect(db.engine).has_table("step_progress")
            else None
        )
        db.session.rollback()  # end that read before dropping tables on another connection
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
        started = time.perf_counter()
        if not args.reuse or not db.session.scalar(text("SELECT count(*) FROM step_progress")):
            with tenant_scope(db.session, reg.id):
                build(reg.id)
            db.session.commit()
            if not args.no_analyze:
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("ANALYZE"))
        built = time.perf_counter() - started
        rows = db.session.scalar(text("SELECT count(*) FROM step_progress"))
        statements = [0]

        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(*_a: Any) -> None:
            statements[0] += 1

        load = _load()
        r = random.Random(7)
        ids = [r.randint(1, PEOPLE) for _ in range(args.repeat)]
        team_ids = [r.randint(1, PEOPLE // TEAM_SIZE) for _ in range(args.repeat)]
        with tenant_scope(db.session, reg.id):
            sample = services.learning_of(ids[0])
            assert len(sample) == PATHS_PER_ROLE and sample[0].view.root.steps_total == 20
            view = team.team_view(db.session.get(Team, team_ids[0]))  # type: ignore[arg-type]
            assert view.total_members == TEAM_SIZE and view.leader is not None
            assert sum(len(m.paths) for m in view.members) == TEAM_SIZE * PATHS_PER_ROLE
            extras = team.my_path_extras(ids[0], sample)
            assert extras["suggestions"], "the synthetic people have gaps to suggest for"
            lines = [
                measure(
                    "my path (5 paths, 100 steps)",
                    lambda i: services.learning_of(ids[i]),
                    args.repeat,
                    statements,
                ),
                measure(
                    "my path with suggestions (all the page loads)",
                    lambda i: team.my_path_extras(ids[i], services.learning_of(ids[i])),
                    args.repeat,
                    statements,
                ),
                measure(
                    f"team page ({TEAM_SIZE} people, 5 paths each)",
                    lambda i: team.team_view(db.session.get(Team, team_ids[i])),
                    args.repeat,
                    statements,
                ),
                measure(
                    "team page with the leaders' additions (coaching, approvals, nudge)",
                    lambda i: _team_page(team_ids[i]),
                    args.repeat,
                    statements,
                ),
                measure(
                    "role dashboard (whole tenant)",
                    lambda i: services.counts_by_role(),
                    max(5, args.repeat // 20),
                    statements,
                ),
            ]
        print(f"{db.engine.dialect.name}: built {rows:,} step-progress rows in {built:.0f} s")
        print(f"load average before and after: {load} / {_load()}")
        print("| measure | p50 ms | p95 ms | CPU p50 ms | SQL statements |")
        print("|---|---:|---:|---:|---:|")
        for line in lines:
            print(line)


if __name__ == "__main__":
    main()
