"""Learning events as xAPI statements through the durable job queue, to a fake LRS served on
loopback: sent once each, in the xAPI shape, kept while the LRS is down and sent once it is up."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask, Response, request
from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.insights import events, xapi
from lti_tool.insights.models import Verb, XapiOutbox
from lti_tool.jobs.models import Job
from lti_tool.tenancy import tenant_scope
from tests.harness import ServerThread
from tests.insights.conftest import new_registration, people
from tests.jobs.util import drain


class FakeLrs:
    def __init__(self) -> None:
        self.statements: list[dict[str, Any]] = []
        self.down = False
        self.headers: list[dict[str, str]] = []
        app = Flask("fake-lrs")

        @app.post("/xapi/statements")
        def statements() -> Response:
            self.headers.append(dict(request.headers))
            if self.down:
                return Response("maintenance", status=503)
            expected = "Basic " + base64.b64encode(b"key:secret").decode()
            if request.headers.get("Authorization") != expected:
                return Response("who are you", status=401)
            body = request.get_json()
            known = {s["id"] for s in self.statements}
            self.statements.extend(s for s in body if s["id"] not in known)
            return Response("[]", status=200, mimetype="application/json")

        self.server = ServerThread(app)
        self.url = f"http://127.0.0.1:{self.server.port}/xapi/"


@pytest.fixture
def lrs(clean_app: Any) -> Iterator[FakeLrs]:
    fake = FakeLrs()
    backoff = clean_app.config["JOB_BACKOFF_SECONDS"]
    clean_app.config.update(
        XAPI_ENDPOINT=fake.url, XAPI_USERNAME="key", XAPI_PASSWORD="secret", JOB_BACKOFF_SECONDS=0
    )
    yield fake
    clean_app.config.update(
        XAPI_ENDPOINT="", XAPI_USERNAME="", XAPI_PASSWORD="", JOB_BACKOFF_SECONDS=backoff
    )
    fake.server.stop()


def waiting(app: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(XapiOutbox)) or 0


def test_events_reach_the_lrs_once_even_when_it_was_down(clean_app: Any, lrs: FakeLrs) -> None:
    with clean_app.app_context():
        reg = new_registration()
        with tenant_scope(db.session, reg):
            (ana,) = people(reg, 1, "ana")
            when = datetime(2026, 3, 5, 9, 30)
            events.record_event(
                reg,
                ana.id,
                Verb.COMPLETED,
                "step",
                "3:k1",
                title="Refunds",
                minutes=20,
                occurred_at=when,
            )
            events.record_event(reg, ana.id, Verb.RATED, "tip", 9, score=4, occurred_at=when)
            events.record_event(reg, ana.id, Verb.RATED, "tip", 9, score=4)  # once only
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Job)) == 1  # one per tenant
        xapi.dispatch_pending(reg)
        db.session.commit()
    lrs.down = True
    drain(clean_app)
    assert lrs.statements == [] and waiting(clean_app) == 2  # kept for the retry
    with clean_app.app_context():
        job = db.session.scalar(select(Job))
        assert job is not None and "503" in job.message
    lrs.down = False
    with clean_app.app_context():
        from lti_tool.jobs import services as jobs

        job = db.session.scalar(select(Job))
        assert job is not None
        jobs.retry(job)
        db.session.commit()
        jobs.dispatch(job)
    drain(clean_app)
    assert waiting(clean_app) == 0
    assert len(lrs.statements) == 2
    done, rated = lrs.statements
    assert lrs.headers[-1]["X-Experience-Api-Version"] == "1.0.3"
    assert done["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert done["actor"]["account"] == {"homePage": "https://lms-c1.example.com", "name": "ana0"}
    assert done["object"]["id"] == f"urn:wayfinder:{reg}:step:3:k1"
    assert done["object"]["definition"]["name"] == {"en-US": "Refunds"}
    assert done["result"] == {"completion": True, "duration": "PT20M"}
    assert done["timestamp"] == "2026-03-05T09:30:00.000Z"
    assert rated["verb"]["id"] == "http://id.tincanapi.com/verb/rated"
    assert rated["result"] == {"score": {"raw": 4.0}}


def test_without_an_endpoint_nothing_waits(clean_app: Any) -> None:
    with clean_app.app_context():
        reg = new_registration()
        with tenant_scope(db.session, reg):
            (ana,) = people(reg, 1, "ana")
            events.record_event(reg, ana.id, Verb.SHARED, "tip", 1)
        db.session.commit()
    assert waiting(clean_app) == 0
    with clean_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0
