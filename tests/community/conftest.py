"""Community test helpers: people launched through the pretend LMS (real LTI launches), and a
browser session that carries the launch token and the CSRF token as the pages do."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from lti_tool import create_app
from lti_tool.devlauncher import demo
from lti_tool.devlauncher.platform import LaunchSpec, LaunchUser
from lti_tool.extensions import db
from lti_tool.lti.context import LAUNCH_PRESENTATION
from lti_tool.roles.models import Skill
from tests.conftest import overrides
from tests.harness import (
    ADMIN,
    INSTRUCTOR,
    LEARNER,
    MANAGER,
    Browser,
    FakeLms,
    ServerThread,
    form_fields,
    launch,
)


@dataclass
class Session:
    """One person's browser after a launch."""

    browser: Browser
    base: str
    token: str
    name: str

    def url(self, path: str) -> str:
        return f"{self.base}{path}{'&' if '?' in path else '?'}lt={self.token}"

    def get(self, path: str) -> Any:
        return self.browser.get(self.url(path))

    def csrf(self) -> str:
        page = self.get("/me/edit").text
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match
        return match.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None) -> Any:
        return self.browser.post(
            self.url(path),
            data={"csrf_token": self.csrf(), **(data or {})},
            allow_redirects=False,
        )

    def follow(self, response: Any) -> Any:
        assert response.status_code == 303, (response.status_code, response.text[:800])
        return self.browser.get(self.base + response.headers["Location"])

    def share(self, kind: str, title: str, body: str, skills: list[int], **extra: Any) -> int:
        """Post a tip or a question through the form; its id."""
        response = self.post(
            f"/community/new/{kind}", {"title": title, "body": body, "skills": skills, **extra}
        )
        assert response.status_code == 303, (response.status_code, text(response)[:800])
        match = re.search(r"/community/p/(\d+)", response.headers["Location"])
        assert match
        return int(match.group(1))

    def answer(self, post_id: int, body: str) -> int:
        response = self.post(f"/community/p/{post_id}/answers", {"body": body})
        assert response.status_code == 303, (response.status_code, text(response)[:800])
        match = re.search(r"#answer-(\d+)", response.headers["Location"])
        assert match
        return int(match.group(1))


def login(
    lms: FakeLms,
    sub: str,
    roles: list[str],
    name: str,
    email: str,
    job_role: str = "",
    locale: str = "",
    timezone: str = "",
) -> Session:
    """A launch into course-1; ``locale``: the language the LMS says the person uses;
    ``timezone``: the zone it fills $Person.address.timezone with."""
    lms.spec = LaunchSpec(
        user=LaunchUser(sub, roles, name, email),
        context_id="course-1",
        context_title="Billing basics",
        custom={
            key: value for key, value in (("job_role", job_role), ("timezone", timezone)) if value
        },
        extra_claims={LAUNCH_PRESENTATION: {"locale": locale}} if locale else {},
    )
    browser = Browser()
    attempt = launch(browser, lms)
    assert attempt.launch is not None and attempt.launch.status_code == 200
    token = re.search(r"lt=([\w.\-]+)", attempt.launch.headers["Content-Location"])
    assert token
    return Session(browser, lms.tool_url, token.group(1), name)


def text(response: Any) -> str:
    """The page's visible words, tags removed and spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


FORBIDDEN = "This page is not for your role"


@pytest.fixture
def chloe(lms: FakeLms) -> Session:
    """Trainer (Instructor); imports the starter set of roles and skills."""
    session = login(lms, "chloe", [INSTRUCTOR], "Chloe Chen", "chloe@example.com", "Trainer")
    session.follow(session.post("/roles/starter"))
    return session


@pytest.fixture
def ana(lms: FakeLms, chloe: Session) -> Session:
    return login(lms, "ana", [LEARNER], "Ana Alvarez", "ana@example.com", "Tier 1 agent")


@pytest.fixture
def sam(lms: FakeLms, chloe: Session) -> Session:
    return login(lms, "sam", [LEARNER], "Sam Smith", "sam@example.com", "Tier 1 agent")


@pytest.fixture
def ben(lms: FakeLms, chloe: Session) -> Session:
    """Team lead: the role's target in De-escalation is 5, so he is an expert in it."""
    return login(lms, "ben", [MANAGER, LEARNER], "Ben Brooks", "ben@example.com", "Team lead")


@pytest.fixture
def dev(lms: FakeLms, chloe: Session) -> Session:
    return login(lms, "dev", [ADMIN], "Dev Desai", "dev@example.com")


def skill_ids(app: Any) -> dict[str, int]:
    with app.app_context():
        return {s.name: s.id for s in db.session.scalars(select(Skill))}


@pytest.fixture
def launcher(clean_app: Any, tmp_path: Any) -> Iterator[tuple[Any, str]]:
    app = create_app(
        {
            **overrides(tmp_path),
            "DATABASE_URL": clean_app.config["DATABASE_URL"],
            "DEV_LAUNCHER": True,
        }
    )
    app.instance_path = str(tmp_path)
    server = ServerThread(app)
    tool, lms = f"http://127.0.0.1:{server.port}", f"http://localhost:{server.port}"
    app.config.update(DEV_TOOL_URL=tool, DEV_LMS_URL=lms)
    with app.app_context():
        demo.seed(tool, lms)
        db.session.commit()
        demo.seed(tool, lms)  # seeding again adds nothing
        db.session.commit()
    yield app, tool
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def persona(tool: str, key: str, lang: str = "en", message: str = "") -> Session:
    """A launch from the development launcher, as the LMS would send it for ``key``, with the
    language the launcher sends (``lang``: "en", "es-419" or "" for none); ``message``:
    "deep_link" for the demo LMS's "add an activity" screen (a deep-linking launch)."""
    browser = Browser()
    query = f"persona={key}&storage=none&lang={lang}" + (f"&message={message}" if message else "")
    page = browser.get(f"{tool}/dev/?{query}".replace("127.0.0.1", "localhost"))
    login_url = re.search(r'src="([^"]+/lti/login[^"]*)"', page.text)
    assert login_url, page.text[:500]
    login = browser.get(login_url.group(1).replace("&amp;", "&"))
    auth = browser.get(login.headers["Location"])
    action, fields = form_fields(auth.text)
    landed = browser.post(action, data=fields)
    assert landed.status_code == 200
    token = re.search(r"lt=([\w.\-]+)", landed.headers["Content-Location"])
    assert token
    return Session(browser, tool, token.group(1), key)
