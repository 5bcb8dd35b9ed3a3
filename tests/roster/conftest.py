"""A served platform for roster sync: token endpoint checking the client assertion against
Wayfinder's JWKS (fetched over HTTP), NRPS endpoint checking Accept and Bearer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from lti_tool.devlauncher.roster_platform import RosterPlatform
from lti_tool.extensions import db
from lti_tool.lti.models import Deployment, DeploymentStatus, Registration, utcnow
from lti_tool.people.models import Course
from tests.harness import ServerThread

CONTEXT = "course-1"


@dataclass
class ServedPlatform:
    platform: RosterPlatform
    url: str
    members: dict[str, list[dict[str, Any]]]
    registration_id: int = 0
    course_id: int = 0

    @property
    def roster_url(self) -> str:
        return f"{self.url}/nrps/{CONTEXT}"


@pytest.fixture
def served(clean_app: Any, tool_server: str) -> Iterator[ServedPlatform]:
    members: dict[str, list[dict[str, Any]]] = {CONTEXT: []}
    holder: dict[str, str] = {}
    platform = RosterPlatform(
        client_id="roster-client",
        token_url=lambda: holder["url"] + "/token",
        tool_jwks=lambda: requests.get(tool_server + "/lti/jwks", timeout=5).json(),
        members_for=members.get,
        secret="roster-platform-test-secret",
    )
    server = ServerThread(platform.app())
    holder["url"] = f"http://127.0.0.1:{server.port}"
    served = ServedPlatform(platform, holder["url"], members)
    with clean_app.app_context():
        reg = Registration(
            issuer=served.url,
            client_id="roster-client",
            name="Roster LMS",
            auth_login_url=served.url + "/auth",
            auth_token_url=served.url + "/token",
            key_set_url=served.url + "/jwks",
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
        course = Course(
            registration_id=reg.id,
            context_id=CONTEXT,
            title="Billing basics",
            roster_url=served.roster_url,
        )
        db.session.add(course)
        db.session.commit()
        served.registration_id, served.course_id = reg.id, course.id
    yield served
    server.stop()
