"""Roster sync benchmark: the time and peak memory to sync a roster of 10,000 members from a
served platform through NRPS, as the background job does it (token request, pages linked with
rel="next", upserts of people and memberships, progress commits).

    .venv/bin/python bench/sync.py [--members 10000] [--database-url postgresql://...]

The platform (token and NRPS endpoints, strict like Moodle) runs in its own process; each sync
runs in a fresh child process, so its peak RSS (getrusage ru_maxrss) is the sync's and not the
platform's. The first sync creates everyone; the second finds everyone known (the daily case).
Targets: under 10 s and under 200 MB. Default database: a temporary SQLite file.
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings(database_url: str) -> dict[str, Any]:
    return {"SECRET_KEY": SECRET, "ENV": "development", "DATABASE_URL": database_url}


# -- the platform process ------------------------------------------------------------------------


def serve_platform(port: int, jwks_file: str, count: int) -> None:
    from werkzeug.serving import make_server

    from lti_tool.devlauncher.roster_platform import RosterPlatform, member

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
    platform = RosterPlatform(
        client_id=CLIENT_ID,
        token_url=lambda: f"http://127.0.0.1:{port}/token",
        tool_jwks=lambda: jwks,
        members_for=lambda context: members if context == "bench-course" else None,
        secret=SECRET,
    )
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


# -- the conductor -------------------------------------------------------------------------------


def prepare(database_url: str, platform_url: str, jwks_file: Path) -> tuple[int, int]:
    from flask_migrate import upgrade
    from sqlalchemy import text

    from lti_tool import create_app
    from lti_tool.extensions import db
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
    args = parser.parse_args()
    if args.serve_platform:
        port, jwks, count = args.serve_platform
        serve_platform(int(port), jwks, int(count))
        return
    if args.run_sync:
        url, reg, course = args.run_sync
        run_sync(url, int(reg), int(course))
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
    finally:
        platform.terminate()
        platform.wait(5)


if __name__ == "__main__":
    main()
