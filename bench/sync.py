"""Sync benchmark: the time and peak memory to sync a roster of 10,000 members from a served
platform through NRPS, as the background job does it (token request, pages linked with
rel="next", upserts of people and memberships, progress commits); then score sends per second
through the AGS outbox for 10,000 progress changes (record_progress, one transaction each, then
the grade_sync job: line items looked up or created, one score POST per change).

    .venv/bin/python bench/sync.py [--members 10000] [--database-url postgresql://...]

The platform (token and NRPS endpoints, strict like Moodle) runs in its own process; each sync
runs in a fresh child process, so its peak RSS (getrusage ru_maxrss) is the sync's and not the
platform's. The first sync creates everyone; the second finds everyone known (the daily case).
Targets: under 10 s and under 200 MB. Default database: a temporary SQLite file.
The score part spreads the changes over the synced people and SCORE_ITEMS line items, so every
change is its own score (nothing coalesces) and the 1-second rule never has to wait.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-secret-key-that-is-long-enough-0123456789"
CLIENT_ID = "bench-roster-client"
SCORE_ITEMS = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings(database_url: str) -> dict[str, Any]:
    return {"SECRET_KEY": SECRET, "ENV": "development", "DATABASE_URL": database_url}


# -- the platform process ------------------------------------------------------------------------


def serve_platform(port: int, jwks_file: str, count: int) -> None:
    from werkzeug.serving import make_server

    from lti_tool.devlauncher.ags_platform import AgsPlatform
    from lti_tool.devlauncher.roster_platform import member

    jwks = json.loads(Path(jwks_file).read_text())
    roles = ["Learner"] * 9 + ["Instructor"]
    members = [
        member(
            f"u{i:05}",
            [roles[i % 10]],
            name=f"Agent {i:05}",
            email=f"agent{i}@example.com",
            status="Inactive" if i % 50 == 0 else "Active",
            job_role="Tier 1 agent" if i % 3 else "Tier 2 agent",
        )
        for i in range(count)
    ]
    platform = AgsPlatform(
        client_id=CLIENT_ID,
        token_url=lambda: f"http://127.0.0.1:{port}/token",
        tool_jwks=lambda: jwks,
        members_for=lambda context: members if context == "bench-course" else None,
        secret=SECRET,
    )
    platform.base_url = f"http://127.0.0.1:{port}"
    make_server("127.0.0.1", port, platform.app(), threaded=True).serve_forever()


# -- one sync, in its own process ----------------------------------------------------------------


def run_sync(database_url: str, registration_id: int, course_id: int) -> None:
    from lti_tool import create_app
    from lti_tool.extensions import db
    from lti_tool.jobs import services
    from lti_tool.jobs.models import Job
    from lti_tool.roster.jobs import start_sync

    app = create_app(settings(database_url))
    with app.app_context():
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        job, _ = start_sync(registration_id, course_id, started_by="bench")
        db.session.commit()
        services.run_due()
        elapsed = time.perf_counter() - started
        done = db.session.get(Job, job.id)
        assert done is not None
        print(
            json.dumps(
                {
                    "seconds": elapsed,
                    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "rss_before_mb": rss_before / 1024,
                    "state": done.state.value,
                    "message": done.message,
                }
            )
        )


def run_scores(database_url: str, registration_id: int, course_id: int, count: int) -> None:
    """Record `count` progress changes (one transaction each, as a feature would), then send
    them with the grade_sync job; report both rates."""
    from sqlalchemy import func, select

    from lti_tool import create_app
    from lti_tool.extensions import db
    from lti_tool.grades import jobs as grade_jobs
    from lti_tool.grades import services as grades
    from lti_tool.grades.models import ScoreSend
    from lti_tool.jobs import services
    from lti_tool.jobs.models import Job
    from lti_tool.people.models import Person
    from lti_tool.tenancy import tenant_scope

    app = create_app(settings(database_url))
    with app.app_context():
        people = list(db.session.scalars(select(Person.id).order_by(Person.id)))
        db.session.remove()
        needed = -(-count // SCORE_ITEMS)
        if len(people) < needed:
            raise SystemExit(f"{needed} people needed for {count} changes; sync more members")
        started = time.perf_counter()
        for i in range(count):
            # Each change as a request would make it: its own session, scope and commit.
            with tenant_scope(db.session, registration_id):
                person = db.session.get(Person, people[i // SCORE_ITEMS])
                assert person is not None
                grades.record_progress(
                    db.session,
                    person,
                    f"path-{i % SCORE_ITEMS}",
                    float(i % 101),
                    100.0,
                    "Completed",
                    "FullyGraded",
                    course_id=course_id,
                    label=f"Bench path {i % SCORE_ITEMS}",
                )
                db.session.commit()
            db.session.remove()
        recorded = time.perf_counter() - started
        job = grade_jobs.pending_sync(registration_id)
        assert job is not None
        job_id = job.id
        started = time.perf_counter()
        services.run_due()
        sent = time.perf_counter() - started
        done = db.session.get(Job, job_id)
        assert done is not None
        states = {
            state: total
            for state, total in db.session.execute(
                select(ScoreSend.state, func.count()).group_by(ScoreSend.state)
            )
        }
        print(
            json.dumps(
                {
                    "record_seconds": recorded,
                    "send_seconds": sent,
                    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "states": {k.value: v for k, v in states.items()},
                    "message": done.message,
                }
            )
        )


# -- the conductor -------------------------------------------------------------------------------


def prepare(database_url: str, platform_url: str, jwks_file: Path) -> tuple[int, int]:
    from flask_migrate import upgrade
    from sqlalchemy import text

    from lti_tool import create_app
    from lti_tool.devlauncher.ags_platform import SCOPE_LINEITEM, SCOPE_SCORE, TYPE_ID
    from lti_tool.extensions import db
    from lti_tool.grades import services as grades
    from lti_tool.lti import keys
    from lti_tool.lti.models import Registration
    from lti_tool.people.models import Course

    app = create_app(settings(database_url))
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        keys.ensure_keys()
        reg = Registration(
            issuer=platform_url,
            client_id=CLIENT_ID,
            name="Bench LMS",
            auth_login_url=platform_url + "/auth",
            auth_token_url=platform_url + "/token",
            key_set_url=platform_url + "/jwks",
        )
        db.session.add(reg)
        db.session.flush()
        course = Course(
            registration_id=reg.id,
            context_id="bench-course",
            title="Bench course",
            roster_url=platform_url + "/nrps/bench-course",
        )
        db.session.add(course)
        db.session.flush()
        grades.remember_endpoint(
            db.session,
            reg.id,
            course.id,
            f"{platform_url}/ags/bench-course/lineitems?type_id={TYPE_ID}",
            [SCOPE_LINEITEM, SCOPE_SCORE],
        )
        db.session.commit()
        jwks_file.write_text(json.dumps(keys.published_jwks(7)))
        ids = reg.id, course.id
        db.session.remove()
        db.engine.dispose()
    return ids


def wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the platform process did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--serve-platform", nargs=3, metavar=("PORT", "JWKS", "COUNT"))
    parser.add_argument("--run-sync", nargs=3, metavar=("DATABASE_URL", "REG", "COURSE"))
    parser.add_argument("--scores", type=int, default=10_000, help="progress changes to send")
    parser.add_argument("--run-scores", nargs=4, metavar=("DATABASE_URL", "REG", "COURSE", "COUNT"))
    args = parser.parse_args()
    if args.serve_platform:
        port, jwks, count = args.serve_platform
        serve_platform(int(port), jwks, int(count))
        return
    if args.run_sync:
        url, reg, course = args.run_sync
        run_sync(url, int(reg), int(course))
        return
    if args.run_scores:
        url, reg, course, count = args.run_scores
        run_scores(url, int(reg), int(course), int(count))
        return

    tmp = Path(tempfile.mkdtemp(prefix="wayfinder-bench-sync-"))
    database_url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    port = free_port()
    platform_url = f"http://127.0.0.1:{port}"
    jwks_file = tmp / "jwks.json"
    reg_id, course_id = prepare(database_url, platform_url, jwks_file)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAYFINDER_")}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    platform = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve-platform",
            str(port),
            str(jwks_file),
            str(args.members),
        ],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port)
        backend = database_url.split(":")[0]
        print(f"Roster sync of {args.members} members over NRPS, database {backend}")
        for label in ("first sync (everyone new)", "second sync (everyone known)"):
            out = subprocess.run(
                [sys.executable, __file__, "--run-sync", database_url, str(reg_id), str(course_id)],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            print(
                f"  {label:30} {result['seconds']:6.2f} s   peak RSS {result['peak_rss_mb']:6.1f} MB "
                f"(app loaded: {result['rss_before_mb']:.1f} MB)   {result['state']}: "
                f"{result['message']}"
            )
        print("  targets: < 10 s and < 200 MB")
        if args.scores:
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--run-scores",
                    database_url,
                    str(reg_id),
                    str(course_id),
                    str(args.scores),
                ],
                env=env,
                check=False,
                capture_output=True,
                text=True,
            )
            if out.returncode:
                raise SystemExit(out.stderr[-3000:])
            result = json.loads(out.stdout.strip().splitlines()[-1])
            n = args.scores
            print(f"Score write-back through the AGS outbox: {n} progress changes")
            print(
                f"  record_progress + commit        {result['record_seconds']:6.2f} s   "
                f"{n / result['record_seconds']:7.0f} changes/s"
            )
            print(
                f"  grade_sync job (send)           {result['send_seconds']:6.2f} s   "
                f"{n / result['send_seconds']:7.0f} scores/s   peak RSS "
                f"{result['peak_rss_mb']:.1f} MB   {result['states']}"
            )
            print(f"  job: {result['message']}")
    finally:
        platform.terminate()
        platform.wait(5)


if __name__ == "__main__":
    main()
