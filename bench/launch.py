"""Launch benchmark: full LTI launches (login + auth + launch) per second, p50/p95 latency, and
platform JWKS fetches per launch, for Wayfinder and for a minimal pylti1p3 tool (the baseline).

Both tools run under gunicorn with 2 sync workers; Wayfinder on PostgreSQL + Redis as in
production, the baseline with its launch data in Redis. A pretend LMS (bench/platform_server.py,
built on lti1p3platform) runs in its own process. The load generator is threads in this process,
each a "browser" with its own cookies; the machine's 2 cores are shared by everything, so the
figures compare the two tools on the same footing rather than measure either alone.

    .venv/bin/python bench/launch.py [--seconds 5] [--rounds 3] [--levels 1,8,32]

Rows: repeat launches (each of USERS people has launched once before) at each level, then
"(1st)": first launches, a person never seen before each time, at 8 browsers.

Needs PostgreSQL on 127.0.0.1:5432 (user postgres; creates database wayfinder_bench) and Redis on
127.0.0.1:6379 (uses database 14). Each tool answers the launch with its page (Wayfinder's home
page carries the launch token; should a launch answer with a redirect, it is followed and counted).
"""

from __future__ import annotations

import argparse
import itertools
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PG_BENCH = "postgresql://postgres@127.0.0.1:5432/wayfinder_bench"
REDIS_URL = "redis://127.0.0.1:6379/14"
DEPLOYMENT = "bench-deployment"
USERS = 500


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def process(
    args: list[str], env: dict[str, str], ready_url: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server until the block ends; its output goes to bench/results/."""
    RESULTS.mkdir(exist_ok=True)
    port = ready_url.rsplit(":", 1)[-1].split("/")[0]
    with (RESULTS / f"{Path(args[-1]).stem}-{port}.log").open("w") as log:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(ready_url)
            yield proc
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def prepare_database() -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS wayfinder_bench")
        conn.execute("CREATE DATABASE wayfinder_bench")
    redis.Redis.from_url(REDIS_URL).flushdb()


def wayfinder_env() -> dict[str, str]:
    return dict(
        os.environ,
        WAYFINDER_SECRET_KEY="benchmark-secret-key-long-enough-0123456789",
        WAYFINDER_ENV="production",
        DATABASE_URL=PG_BENCH,
        REDIS_URL=REDIS_URL,
        FLASK_APP="lti_tool",
    )


def setup_wayfinder(platform_url: str) -> None:
    env = wayfinder_env()
    flask = str(BIN / "flask")
    for args in (
        ["db", "upgrade"],
        ["keys", "create"],
        [
            "registrations",
            "add",
            "--issuer",
            platform_url,
            "--client-id",
            "wayfinder",
            "--auth-login-url",
            platform_url + "/auth",
            "--jwks-url",
            platform_url + "/jwks",
            "--deployment",
            DEPLOYMENT,
        ],
    ):
        subprocess.run([flask, *args], cwd=ROOT, env=env, check=True, capture_output=True)


@dataclass
class Tool:
    name: str
    base: str  # login at base + /login, launch at base + /launch
    client_id: str


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1


def one_launch(session: requests.Session, tool: Tool, platform: str, user: int) -> str | None:
    """One browser's launch. Returns None, or what went wrong."""
    session.cookies.clear()
    params = {
        "iss": platform,
        "login_hint": f"user-{user}",
        "target_link_uri": tool.base + "/launch",
        "lti_message_hint": "bench",
        "client_id": tool.client_id,
        "lti_deployment_id": DEPLOYMENT,
    }
    login = session.get(
        tool.base + "/login?" + urlencode(params), allow_redirects=False, timeout=30
    )
    if login.status_code != 302:
        return f"login {login.status_code}"
    for cookie in session.cookies:  # browsers on loopback send Secure cookies over http
        cookie.secure = False
    auth = session.get(login.headers["Location"], timeout=30).json()
    action = auth.pop("action")
    launch = session.post(action, data=auth, allow_redirects=False, timeout=30)
    if launch.status_code in (302, 303):
        origin = tool.base.split("/", 3)
        launch = session.get("/".join(origin[:3]) + launch.headers["Location"], timeout=30)
    if launch.status_code != 200 or "Welcome" not in launch.text:
        return f"launch {launch.status_code}"
    return None


def run_level(
    tool: Tool,
    platform: str,
    browsers: int,
    seconds: float | None,
    users: Iterator[int] | None = None,
) -> Results:
    """Launches by `browsers` concurrent browsers for `seconds`, or until `users` runs out.
    By default people come round again and again out of USERS (repeat launches)."""
    results = Results()
    stop = time.monotonic() + seconds if seconds else float("inf")
    counter = users if users is not None else (n % USERS for n in range(10**9))
    lock = threading.Lock()

    def browser() -> None:
        session = requests.Session()
        while time.monotonic() < stop:
            with lock:
                user = next(counter, None)
            if user is None:
                return
            started = time.perf_counter()
            try:
                problem = one_launch(session, tool, platform, user)
            except requests.RequestException as exc:
                problem = type(exc).__name__
            if problem:
                results.error(problem)
            else:
                results.ok(time.perf_counter() - started)

    threads = [threading.Thread(target=browser) for _ in range(browsers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def jwks_count(platform: str) -> int:
    return int(requests.get(platform + "/stats", timeout=5).json()["jwks"])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]
        if len(values) > 1
        else values[0]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="measured seconds per turn (see --rounds)"
    )
    parser.add_argument("--levels", default="1,8,32", help="concurrent browsers, comma-separated")
    parser.add_argument(
        "--rounds", type=int, default=3, help="turns per tool and level; the median rate is shown"
    )
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]

    prepare_database()
    platform_port, wayfinder_port, baseline_port = free_port(), free_port(), free_port()
    platform = f"http://127.0.0.1:{platform_port}"
    wayfinder = Tool("wayfinder", f"http://127.0.0.1:{wayfinder_port}/lti", "wayfinder")
    baseline = Tool("pylti1p3 baseline", f"http://127.0.0.1:{baseline_port}", "baseline")
    setup_wayfinder(platform)
    gunicorn = [str(BIN / "gunicorn"), "-w", "2", "-k", "sync", "--log-level", "warning"]
    baseline_env = dict(os.environ, BASELINE_PLATFORM=platform, BASELINE_REDIS=REDIS_URL)
    with (
        process(
            [
                sys.executable,
                "bench/platform_server.py",
                str(platform_port),
                f"wayfinder={wayfinder.base}",
                f"baseline={baseline.base}",
            ],
            dict(os.environ),
            platform + "/stats",
        ),
        process(
            [*gunicorn, "-b", f"127.0.0.1:{wayfinder_port}", "lti_tool:create_app()"],
            wayfinder_env(),
            f"http://127.0.0.1:{wayfinder_port}/lti/jwks",
        ),
        process(
            [*gunicorn, "-b", f"127.0.0.1:{baseline_port}", "bench.baseline_tool:app"],
            baseline_env,
            f"http://127.0.0.1:{baseline_port}/login",
        ),
    ):
        print(
            f"{'tool':24} {'browsers':>8} {'launches/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} {'JWKS/launch':>12}"
        )
        # Warm-up: keys parsed, JWKS cached, connections open, and every one of the USERS people
        # has launched once, so the levels measure repeat launches, as most launches are. First
        # launches (a person never seen before each time) are measured on their own, at 8.
        for tool in (baseline, wayfinder):
            run_level(tool, platform, 4, None, iter(range(USERS)))
        fresh_people = {tool.name: itertools.count(USERS) for tool in (baseline, wayfinder)}
        summary: dict[tuple[str, int], float] = {}
        for level in [*levels, 0]:
            rates: dict[str, list[float]] = {baseline.name: [], wayfinder.name: []}
            merged = {baseline.name: Results(), wayfinder.name: Results()}
            fetches = {baseline.name: 0, wayfinder.name: 0}
            # The tools take turns, so a busy moment on the shared machine hits both alike.
            for _ in range(args.rounds):
                for tool in (baseline, wayfinder):
                    before = jwks_count(platform)
                    people = fresh_people[tool.name] if level == 0 else None
                    results = run_level(tool, platform, level or 8, args.seconds, people)
                    fetches[tool.name] += jwks_count(platform) - before
                    rates[tool.name].append(len(results.latencies) / args.seconds)
                    merged[tool.name].latencies += results.latencies
                    for what, count in results.errors.items():
                        merged[tool.name].errors[what] = (
                            merged[tool.name].errors.get(what, 0) + count
                        )
            for tool in (baseline, wayfinder):
                results = merged[tool.name]
                rate = statistics.median(rates[tool.name])
                summary[(tool.name, level)] = rate
                done = len(results.latencies)
                errors = sum(results.errors.values())
                label = tool.name + (" (1st)" if level == 0 else "")
                print(
                    f"{label:24} {level or 8:>8} {rate:>10.1f} {percentile(results.latencies, 50) * 1000:>8.1f} "
                    f"{percentile(results.latencies, 95) * 1000:>8.1f} {errors:>7} {fetches[tool.name] / max(done, 1):>12.3f}"
                    + (f"   {results.errors}" if results.errors else "")
                )
        print()
        for level in [*levels, 0]:
            ratio = summary[("wayfinder", level)] / max(summary[("pylti1p3 baseline", level)], 1e-9)
            what = f"{level:>3} browsers" if level else "first launches, 8 browsers"
            print(f"{what}: Wayfinder runs {ratio:.2f}x the baseline's launches per second")
        print(
            "Note: 2 cores shared by the load generator, the LMS, both tools, PostgreSQL and Redis."
        )


if __name__ == "__main__":
    main()
