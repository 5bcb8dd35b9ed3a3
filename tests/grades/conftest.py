"""A served platform with AGS (line items, scores) behind a token endpoint that checks the client
assertion against Wayfinder's JWKS over HTTP, a tenant with a course and learners, and a clock
that moves forward instead of sleeping (backoff and Retry-After cost no real time)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from lti_tool.devlauncher.ags_platform import AgsPlatform
from lti_tool.extensions import db
from lti_tool.grades import services
from lti_tool.grades.clock import SimulatedClock
from lti_tool.lti.models import Deployment, DeploymentStatus, Registration, utcnow
from lti_tool.people.models import Course, Membership, Person
from tests.harness import ServerThread

CONTEXT = "course-1"


@dataclass
class Gradebook:
    platform: AgsPlatform
    url: str
    clock: SimulatedClock
    registration_id: int = 0
    course_id: int = 0
    people: dict[str, int] = field(default_factory=dict)  # sub -> person id


def add_tenant(
    platform_url: str, client_id: str, subs: list[str]
) -> tuple[int, int, dict[str, int]]:
    reg = Registration(
        issuer=platform_url,
        client_id=client_id,
        name=f"AGS LMS {client_id}",
        auth_login_url=platform_url + "/auth",
        auth_token_url=platform_url + "/token",
        key_set_url=platform_url + "/jwks",
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
    course = Course(registration_id=reg.id, context_id=CONTEXT, title="Billing basics")
    db.session.add(course)
    db.session.flush()
    people = {}
    for sub in subs:
        person = Person(registration_id=reg.id, sub=sub, name=f"Agent {sub}")
        db.session.add(person)
        db.session.flush()
        db.session.add(
            Membership(
                registration_id=reg.id,
                course_id=course.id,
                person_id=person.id,
                roles=["learner"],
                lti_roles=[],
            )
        )
        people[sub] = person.id
    return reg.id, course.id, people


@pytest.fixture
def gradebook(
    clean_app: Any, tool_server: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Gradebook]:
    holder: dict[str, str] = {}
    platform = AgsPlatform(
        client_id="ags-client",
        token_url=lambda: holder["url"] + "/token",
        tool_jwks=lambda: requests.get(tool_server + "/lti/jwks", timeout=5).json(),
        secret="ags-platform-test-secret",
    )
    server = ServerThread(platform.app())
    holder["url"] = platform.base_url = f"http://127.0.0.1:{server.port}"
    clock = SimulatedClock()
    clean_app.extensions["grades_clock"] = clock
    monkeypatch.setitem(clean_app.config, "HTTP_TIMEOUT", 0.25)
    monkeypatch.setitem(clean_app.config, "GRADES_WAIT_IN_JOB_SECONDS", 3600)
    book = Gradebook(platform, holder["url"], clock)
    with clean_app.app_context():
        reg_id, course_id, people = add_tenant(book.url, "ags-client", ["101", "102", "103"])
        services.remember_endpoint(
            db.session,
            reg_id,
            course_id,
            platform.lineitems_url(CONTEXT),
            platform.ags_claim(CONTEXT)["scope"],
        )
        db.session.commit()
        book.registration_id, book.course_id, book.people = reg_id, course_id, people
    yield book
    clean_app.extensions.pop("grades_clock", None)
    server.stop()
