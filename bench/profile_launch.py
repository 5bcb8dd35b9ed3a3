"""Where one Wayfinder launch spends its time, in-process (no gunicorn, no load generator).

Runs N full launches (login, the platform's auth step, launch, the page it redirects to) through
Flask's test client on PostgreSQL + Redis, with the platform (lti1p3platform) signing in the same
process but outside the measured time. Prints the mean time per request kind, SQL statements and
Redis commands per launch, and with --profile the top of a cProfile of the tool's side only.

    .venv/bin/python bench/profile_launch.py [--launches 300] [--profile] [--sqlite]
    .venv/bin/python bench/profile_launch.py --baseline   # the same for bench/baseline_tool.py

Needs PostgreSQL on 127.0.0.1:5432 (creates database wayfinder_profile) and Redis (database 10),
unless --sqlite (a temporary SQLite file, database store).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import psycopg
import redis
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lti_tool import create_app
from lti_tool.devlauncher.platform import DevPlatform, LaunchSpec, LaunchUser, generate_private_pem
from lti_tool.extensions import db, store
from lti_tool.lti import keys
from lti_tool.lti.models import Deployment, DeploymentStatus, Registration, utcnow
from lti_tool.lti.platform_keys import _cache_key

ISSUER = "https://lms.bench.example"
TOOL = "https://localhost"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PG_URL = "postgresql://postgres@127.0.0.1:5432/wayfinder_profile"
REDIS_URL = "redis://127.0.0.1:6379/10"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def build_app(sqlite: bool) -> Any:
    if sqlite:
        url, redis_url = f"sqlite:///{tempfile.mkdtemp()}/profile.db", ""
    else:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS wayfinder_profile")
            conn.execute("CREATE DATABASE wayfinder_profile")
        redis.Redis.from_url(REDIS_URL).flushdb()
        url, redis_url = PG_URL, REDIS_URL
    app = create_app(
        {
            "SECRET_KEY": "profile-secret-key-long-enough-0123456789",
            "ENV": "production",
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
        }
    )
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        keys.ensure_keys()
        db.session.commit()
    return app


def baseline(launches: int) -> None:
    """The pylti1p3 baseline tool measured the same way; its platform's JWKS is served over HTTP
    on loopback (fetched once: the baseline caches public keys)."""
    import os
    import threading

    from flask import Flask, jsonify
    from werkzeug.serving import make_server

    jwks_app = Flask("bench_jwks")
    server = make_server("127.0.0.1", 0, jwks_app)
    issuer = f"http://127.0.0.1:{server.server_port}"
    platform = DevPlatform(
        issuer=issuer,
        client_id="baseline",
        deployment_id="bench-deployment",
        private_pem=generate_private_pem(),
        tool_login_url=TOOL + "/login",
        tool_launch_url=TOOL + "/launch",
    )
    jwks_app.get("/jwks")(lambda: jsonify(platform.jwks()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    redis.Redis.from_url(REDIS_URL).flushdb()
    os.environ.update(BASELINE_PLATFORM=issuer, BASELINE_REDIS=REDIS_URL)
    from bench import baseline_tool

    timings = {"login": 0.0, "launch": 0.0}

    def one(n: int) -> None:
        client = baseline_tool.app.test_client()
        params = {
            "iss": issuer,
            "login_hint": f"user-{n % 200}",
            "target_link_uri": TOOL + "/launch",
            "lti_message_hint": "bench",
            "client_id": "baseline",
            "lti_deployment_id": "bench-deployment",
        }
        started = time.perf_counter()
        login = client.get("/login?" + urlencode(params), base_url=TOOL)
        timings["login"] += time.perf_counter() - started
        assert login.status_code == 302, login.status_code
        auth = dict(parse_qsl(urlsplit(login.headers["Location"]).query))
        spec = LaunchSpec(
            user=LaunchUser(auth["login_hint"], [LEARNER], "Agent", "agent@example.com"),
            context_id="course-1",
            context_title="Call Handling",
        )
        _action, fields = platform.launch_form(auth, spec)
        started = time.perf_counter()
        answer = client.post("/launch", data=fields, base_url=TOOL)
        timings["launch"] += time.perf_counter() - started
        assert answer.status_code == 200 and b"Welcome" in answer.data, answer.status_code

    for n in range(200):
        one(n)
    timings = dict.fromkeys(timings, 0.0)
    cpu_started = time.process_time()
    for n in range(launches):
        one(n)
    cpu = time.process_time() - cpu_started
    server.shutdown()
    print(f"backend: pylti1p3 baseline, Redis; {launches} launches")
    for kind, seconds in timings.items():
        print(f"  {kind:7} {seconds / launches * 1000:7.2f} ms")
    total = sum(timings.values())
    print(f"  {'total':7} {total / launches * 1000:7.2f} ms per launch (tool side only)")
    print(
        f"  CPU of this process: {cpu / launches * 1000:.2f} ms per launch "
        "(tool and platform signing; not Redis)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--launches", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--sql", action="store_true", help="print the SQL of the last launch")
    parser.add_argument(
        "--first-launches",
        action="store_true",
        help="measure first launches (new people) instead of repeat launches",
    )
    parser.add_argument(
        "--baseline", action="store_true", help="measure bench/baseline_tool.py instead"
    )
    args = parser.parse_args()
    if args.baseline:
        baseline(args.launches)
        return

    app = build_app(args.sqlite)
    platform = DevPlatform(
        issuer=ISSUER,
        client_id="wayfinder",
        deployment_id="dep-1",
        private_pem=generate_private_pem(),
        tool_login_url=TOOL + "/lti/login",
        tool_launch_url=TOOL + "/lti/launch",
    )
    with app.app_context():
        reg = Registration(
            issuer=ISSUER,
            client_id="wayfinder",
            name="Bench LMS",
            auth_login_url=ISSUER + "/auth",
            auth_token_url=ISSUER + "/token",
            key_set_url=ISSUER + "/jwks",
        )
        db.session.add(reg)
        db.session.flush()
        db.session.add(
            Deployment(
                registration_id=reg.id,
                deployment_id="dep-1",
                status=DeploymentStatus.ACTIVE,
                approved_at=utcnow(),
            )
        )
        # The platform's keys as if fetched once: this measures the steady state.
        store.set(
            _cache_key(ISSUER + "/jwks"), {"jwks": platform.jwks(), "fetched": time.time()}, 86400
        )
        db.session.commit()

    statements = [0]
    last_sql: list[str] = []

    def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        statements[0] += 1
        if args.sql:
            last_sql.append(sql)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)

    timings: dict[str, float] = {"login": 0.0, "launch": 0.0, "page": 0.0}
    profiler = cProfile.Profile() if args.profile else None

    def timed(kind: str, call: Any) -> Any:
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        try:
            return call()
        finally:
            if profiler:
                profiler.disable()
            timings[kind] += time.perf_counter() - started

    def launch(n: int) -> None:
        client = app.test_client()
        params = {
            "iss": ISSUER,
            "login_hint": f"user-{n}" if args.first_launches else f"user-{n % 200}",
            "target_link_uri": TOOL + "/lti/launch",
            "lti_message_hint": "bench",
            "client_id": "wayfinder",
            "lti_deployment_id": "dep-1",
        }
        login = timed("login", lambda: client.get("/lti/login?" + urlencode(params), base_url=TOOL))
        assert login.status_code == 302, login.status_code
        auth = dict(parse_qsl(urlsplit(login.headers["Location"]).query))
        spec = LaunchSpec(
            user=LaunchUser(auth["login_hint"], [LEARNER], "Agent", "agent@example.com"),
            context_id="course-1",
            context_title="Call Handling",
        )
        _action, fields = platform.launch_form(auth, spec)
        answer = timed("launch", lambda: client.post("/lti/launch", data=fields, base_url=TOOL))
        if answer.status_code == 303:
            location = answer.headers["Location"]
            answer = timed("page", lambda: client.get(location, base_url=TOOL))
        assert answer.status_code == 200 and b"Welcome" in answer.data, answer.status_code

    # Warm-up: caches filled and, unless measuring first launches, everyone launched once.
    for n in range(10**6, 10**6 + 20) if args.first_launches else range(200):
        launch(n)
    for key in timings:
        timings[key] = 0.0
    statements[0] = 0
    redis_before = (
        0
        if args.sqlite
        else redis.Redis.from_url(REDIS_URL).info("stats")["total_commands_processed"]
    )
    if profiler:
        profiler = cProfile.Profile()
    cpu_started = time.process_time()
    for n in range(args.launches):
        last_sql.clear()
        launch(n)
    cpu = time.process_time() - cpu_started
    redis_after = (
        0
        if args.sqlite
        else redis.Redis.from_url(REDIS_URL).info("stats")["total_commands_processed"]
    )

    total = sum(timings.values())
    print(
        f"backend: {'SQLite, database store' if args.sqlite else 'PostgreSQL + Redis'}; {args.launches} launches"
    )
    for kind, seconds in timings.items():
        print(f"  {kind:7} {seconds / args.launches * 1000:7.2f} ms")
    print(f"  {'total':7} {total / args.launches * 1000:7.2f} ms per launch (tool side only)")
    print(
        f"  CPU of this process: {cpu / args.launches * 1000:.2f} ms per launch "
        "(tool and platform signing; not the database or Redis servers)"
    )
    print(f"  SQL statements per launch: {statements[0] / args.launches:.1f}")
    if not args.sqlite:
        print(
            f"  Redis commands per launch: {(redis_after - redis_before - 1) / args.launches:.1f}"
        )
    for n, sql in enumerate(last_sql, 1):
        print(f"--- statement {n} of the last launch\n{sql}")
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("cumulative").print_stats("lti_tool", 60)
        stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
