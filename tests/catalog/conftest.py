"""Catalog test helpers: the Moodle and Canvas fakes served on loopback, a tenant whose catalog
source points at one of them, and people launched through the pretend LMS (the community
tests' helpers, reused)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from lti_tool.catalog import access
from lti_tool.catalog.models import CatalogItem
from lti_tool.extensions import db
from lti_tool.jobs import services as jobs
from lti_tool.roles import services as roles
from lti_tool.tenancy import tenant_scope
from tests.community.conftest import (  # noqa: F401 (fixtures)
    FORBIDDEN,
    Session,
    ana,
    ben,
    chloe,
    dev,
    launcher,
    login,
    persona,
    sam,
    text,
)
from tests.fakes.canvas import FakeCanvas
from tests.fakes.moodle import FakeMoodle
from tests.harness import FakeLms, ServerThread


@dataclass
class Served:
    kind: str
    fake: Any
    url: str

    @property
    def token(self) -> str:
        return str(self.fake.service_token if self.kind == "moodle" else self.fake.admin_token)

    def course_id(self, key: str) -> str:
        return str(self.fake.course_ids[key])

    def user_id(self, key: str) -> str:
        return str(self.fake.user_ids[key])


@pytest.fixture(scope="session")
def moodle_server() -> Iterator[Served]:
    fake = FakeMoodle()
    server = ServerThread(fake.app())
    yield Served("moodle", fake, f"http://127.0.0.1:{server.port}")
    server.stop()


@pytest.fixture(scope="session")
def canvas_server() -> Iterator[Served]:
    fake = FakeCanvas()
    server = ServerThread(fake.app())
    yield Served("canvas", fake, f"http://127.0.0.1:{server.port}")
    server.stop()


def reset(served: Served) -> Served:
    from tests.fakes import catalog

    served.fake.courses = catalog.COURSES
    served.fake.reset()
    return served


@pytest.fixture
def moodle(moodle_server: Served) -> Served:
    return reset(moodle_server)


@pytest.fixture
def canvas(canvas_server: Served) -> Served:
    return reset(canvas_server)


@pytest.fixture(params=["moodle", "canvas"])
def served(request: pytest.FixtureRequest) -> Served:
    value = request.getfixturevalue(request.param)
    assert isinstance(value, Served)
    return value


def connect(app: Any, registration_id: int, served: Served, token: str | None = None) -> None:
    """Give the tenant REST access to the served fake, as an administrator would."""
    with app.app_context(), tenant_scope(db.session, registration_id):
        errors = access.save_access(
            registration_id,
            app.config["SECRET_KEY"],
            platform=served.kind,
            base_url=served.url,
            token=token if token is not None else served.token,
            account_id="1" if served.kind == "canvas" else "self",
            by="test",
        )
        assert errors == {}
        db.session.commit()


def run_sync(app: Any, registration_id: int) -> Any:
    from lti_tool.catalog import jobs as catalog_jobs

    with app.app_context():
        job, _created = catalog_jobs.start_sync(registration_id, started_by="test")
        db.session.commit()
        finished = jobs.run_job(job.id)
        assert finished is not None
        return finished.state.value, finished.message


def items(app: Any, registration_id: int) -> dict[str, CatalogItem]:
    with app.app_context(), tenant_scope(db.session, registration_id):
        rows = list(db.session.scalars(select(CatalogItem)))
        for row in rows:
            _ = row.skills
            db.session.expunge(row)
        return {row.title: row for row in rows}


def starter_skills(app: Any, registration_id: int) -> dict[str, int]:
    with app.app_context(), tenant_scope(db.session, registration_id):
        roles.import_starter_set(registration_id)
        db.session.commit()
        return {s.name: s.id for s in roles.skills()}


@pytest.fixture
def tenant(lms: FakeLms) -> int:
    return int(lms.registration_id)  # type: ignore[attr-defined]
