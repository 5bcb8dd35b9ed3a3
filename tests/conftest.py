"""Fixtures: the app on a real database (SQLite, or PostgreSQL when WAYFINDER_TEST_DATABASE_URL is
set) with migrations applied from empty, the store (database, or Redis with
WAYFINDER_TEST_REDIS_URL), Wayfinder served over HTTP on loopback, and pretend LMSs.

Outbound network is blocked by default: only loopback connections are allowed."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from lti_tool import create_app
from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.lti.models import Deployment, DeploymentStatus, PlatformKind, Registration, utcnow
from tests.harness import Browser, FakeLms, ServerThread

DATABASE_URL = os.environ.get("WAYFINDER_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("WAYFINDER_TEST_REDIS_URL", "")
SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture(autouse=True)
def _block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if (
            isinstance(host, str)
            and host not in ("127.0.0.1", "localhost", "::1")
            and not host.startswith("/")
        ):
            raise RuntimeError(f"tests may not reach the network ({host})")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def overrides(tmp_dir: Path) -> dict[str, Any]:
    return {
        "SECRET_KEY": SECRET,
        "ENV": "development",
        "DATABASE_URL": DATABASE_URL or f"sqlite:///{tmp_dir / 'wayfinder-test.db'}",
        "REDIS_URL": REDIS_URL,
        "PLATFORM_JWKS_REFETCH_SECONDS": 0,
        # Most tests register LMSs freely; test_dynreg checks the invitation mode on its own.
        "DYNAMIC_REGISTRATION": "open",
        "TESTING": True,
    }


def reset_database(app: Any) -> None:
    """Drop everything, then apply the migrations from empty (as a new installation would)."""
    from flask_migrate import upgrade

    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("wayfinder")
    application = create_app(overrides(tmp))
    # What the app writes to its instance folder (the demo LMS's key) stays out of the checkout.
    application.instance_path = str(tmp)
    reset_database(application)
    with application.app_context():
        keys.ensure_keys()
        db.session.commit()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _clean(app: Any) -> None:
    with app.app_context():
        db.session.remove()
        for table in reversed(db.metadata.sorted_tables):
            if table.name != "tool_keys":
                db.session.execute(table.delete())
        db.session.commit()
        if REDIS_URL:
            import redis

            redis.Redis.from_url(REDIS_URL).flushdb()
        from lti_tool import security
        from lti_tool.lti import platform_keys

        platform_keys._parsed.clear()
        security._origins_cache.clear()


@pytest.fixture
def clean_app(app: Any) -> Iterator[Any]:
    _clean(app)
    yield app


@pytest.fixture(scope="session")
def tool_server(app: Any) -> Iterator[str]:
    server = ServerThread(app)
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


def add_registration(
    app: Any,
    lms: FakeLms,
    *,
    deployments: tuple[str, ...] | None = None,
    platform: PlatformKind = PlatformKind.OTHER,
) -> int:
    with app.app_context():
        reg = Registration(
            issuer=lms.issuer,
            client_id=lms.client_id,
            name=f"LMS {lms.client_id}",
            platform=platform,
            auth_login_url=lms.url + "/auth",
            auth_token_url=lms.url + "/token",
            key_set_url=lms.url + "/jwks",
        )
        db.session.add(reg)
        db.session.flush()
        for dep in deployments if deployments is not None else (lms.deployment_id,):
            db.session.add(
                Deployment(
                    registration_id=reg.id,
                    deployment_id=dep,
                    status=DeploymentStatus.ACTIVE,
                    approved_at=utcnow(),
                )
            )
        db.session.commit()
        return reg.id


@pytest.fixture
def lms(clean_app: Any, tool_server: str) -> Iterator[FakeLms]:
    platform = FakeLms()
    platform.connect(tool_server)
    platform.registration_id = add_registration(clean_app, platform)  # type: ignore[attr-defined]
    yield platform
    platform.server.stop()


@dataclass
class DemoSite:
    """Wayfinder with the development launcher and the demo data, served on loopback: the
    launcher (the pretend LMS) on `lms`, Wayfinder on `tool` (another site, as in an LMS)."""

    app: Any
    tool: str
    lms: str


@contextmanager
def demo_site(database_url: str, tmp: Path, **config: Any) -> Iterator[DemoSite]:
    """A second app on the tests' database (after _clean) with DEV_LAUNCHER and the demo seeded."""
    from lti_tool.devlauncher import demo

    site_app = create_app(
        {**overrides(tmp), "DATABASE_URL": database_url, "DEV_LAUNCHER": True, **config}
    )
    site_app.instance_path = str(tmp)
    server = ServerThread(site_app)
    tool, lms = f"http://127.0.0.1:{server.port}", f"http://localhost:{server.port}"
    site_app.config.update(DEV_TOOL_URL=tool, DEV_LMS_URL=lms)
    with site_app.app_context():
        demo.seed(tool, lms)
        db.session.commit()
    try:
        yield DemoSite(site_app, tool, lms)
    finally:
        server.stop()
        with site_app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def browser() -> Browser:
    return Browser()
