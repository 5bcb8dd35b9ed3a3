"""The development launcher plays the LMS's token and NRPS endpoints, so the demo instructor's
"Sync roster now" works with nothing else running."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from lti_tool.devlauncher import demo
from lti_tool.extensions import db
from lti_tool.people.models import Course, Membership, Person
from tests.conftest import demo_site
from tests.harness import Browser, form_fields


@pytest.fixture
def launcher(clean_app: Any, tmp_path: Any) -> Iterator[tuple[Any, str]]:
    with demo_site(clean_app.config["DATABASE_URL"], tmp_path, JOBS_INLINE=True) as site:
        yield site.app, site.tool


def test_demo_instructor_syncs_the_demo_roster(launcher: tuple[Any, str]) -> None:
    app, tool = launcher
    browser = Browser()
    # Chloe the trainer launches from the launcher, as in `.ci/dev demo`.
    page = browser.get(f"{tool}/dev/?persona=chloe&storage=none".replace("127.0.0.1", "localhost"))
    login_url = re.search(r'src="([^"]+/lti/login[^"]*)"', page.text)
    assert login_url, page.text[:500]
    login = browser.get(login_url.group(1).replace("&amp;", "&"))
    auth = browser.get(login.headers["Location"])
    action, fields = form_fields(auth.text)
    landed = browser.post(action, data=fields)
    assert landed.status_code == 200
    token = re.search(r"lt=([\w.\-]+)", landed.headers["Content-Location"]).group(1)  # type: ignore[union-attr]

    roster = browser.get(f"{tool}/roster/?lt={token}")
    assert "Customer Service Foundations" in roster.text and "No sync yet" in roster.text
    action, fields = form_fields(roster.text)
    started = browser.post(tool + action, data=fields)
    done = browser.get(tool + started.headers["Location"])
    assert "Last sync finished" in done.text, done.text[-3000:]
    assert "Synced 18 members: 13 new, 1 inactive in the LMS" in done.text
    assert "Carmen Diaz" in done.text and "Tier 2 agent" in done.text
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.context_id == demo.DEMO_COURSE[0]))
        assert course is not None
        inactive = db.session.scalars(
            select(Person.name)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.course_id == course.id, Membership.active.is_(False))
        )
        assert list(inactive) == ["Marco Rossi"]
