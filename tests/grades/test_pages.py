"""Grades through real launches: the course's gradebook endpoint remembered from the launch, the
admin's Grade sync tab (own tenant only, retry with CSRF, pages, learners refused), the practice
page end to end, and `flask grades`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import event, select

from lti_tool.devlauncher.ags_platform import AgsPlatform
from lti_tool.devlauncher.platform import LaunchSpec, LaunchUser
from lti_tool.extensions import db
from lti_tool.grades import services
from lti_tool.grades.models import ScoreSend, SendState
from lti_tool.jobs.models import Job
from lti_tool.lti.context import AGS
from lti_tool.lti.models import Registration, utcnow
from lti_tool.people.models import Course, Person
from tests.grades.conftest import CONTEXT, add_tenant
from tests.harness import (
    ADMIN,
    INSTRUCTOR,
    LEARNER,
    SYSADMIN,
    Browser,
    FakeLms,
    ServerThread,
    launch,
)
from tests.jobs.util import drain


@dataclass
class Site:
    lms: FakeLms
    platform: AgsPlatform


@pytest.fixture
def site(lms: FakeLms, clean_app: Any) -> Iterator[Site]:
    holder: dict[str, str] = {}
    platform = AgsPlatform(
        client_id=lms.client_id,
        token_url=lambda: holder["url"] + "/token",
        tool_jwks=lambda: requests.get(lms.tool_url + "/lti/jwks", timeout=5).json(),
        secret="grades-pages-secret",
    )
    server = ServerThread(platform.app())
    holder["url"] = platform.base_url = f"http://127.0.0.1:{server.port}"
    with clean_app.app_context():
        reg = db.session.get(Registration, lms.registration_id)  # type: ignore[attr-defined]
        assert reg is not None
        reg.auth_token_url = holder["url"] + "/token"
        db.session.commit()
    yield Site(lms, platform)
    server.stop()


def launched(site: Site, roles: list[str], sub: str, name: str) -> tuple[Browser, str]:
    site.lms.spec = LaunchSpec(
        user=LaunchUser(sub, roles, name, f"{sub}@example.com"),
        context_id=CONTEXT,
        context_title="Billing basics",
        extra_claims={AGS: site.platform.ags_claim(CONTEXT)},
    )
    browser = Browser()
    attempt = launch(browser, site.lms)
    assert attempt.launch is not None and attempt.launch.status_code == 200, attempt.final.text
    token = re.search(r"lt=([\w.\-]+)", attempt.launch.headers["Content-Location"])
    assert token
    return browser, token.group(1)


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:300]
    return found.group(1)


def add_send(
    registration_id: int,
    course_id: int,
    sub: str,
    name: str,
    state: SendState,
    *,
    error: str = "",
    item_key: str = "path-1",
) -> int:
    person = db.session.scalar(
        select(Person).where(Person.registration_id == registration_id, Person.sub == sub)
    )
    if person is None:
        person = Person(registration_id=registration_id, sub=sub, name=name)
        db.session.add(person)
        db.session.flush()
    item = services.ensure_line_item(
        db.session, registration_id, course_id, item_key, label=f"Path {item_key}"
    )
    assert item is not None
    now = utcnow()
    row = ScoreSend(
        registration_id=registration_id,
        line_item_id=item.id,
        person_id=person.id,
        user_id=sub,
        score_given=75.0,
        score_maximum=100.0,
        activity_progress="Completed",
        grading_progress="FullyGraded",
        state=state,
        recorded_at=now,
        attempts=1 if state is SendState.FAILED else 0,
        next_try_at=now + timedelta(minutes=5) if state is SendState.PENDING else None,
        last_error=error,
    )
    db.session.add(row)
    db.session.flush()
    return row.id


def tool_course(app: Any, registration_id: int) -> int:
    with app.app_context():
        course_id = db.session.scalar(
            select(Course.id).where(
                Course.registration_id == registration_id, Course.context_id == CONTEXT
            )
        )
        assert course_id is not None
        return course_id


def test_a_launch_keeps_the_course_gradebook_on_its_row_at_no_extra_query(
    site: Site, clean_app: Any
) -> None:
    launched(site, [LEARNER], "lee", "Lee Learner")
    with clean_app.app_context():
        course = db.session.scalar(select(Course).where(Course.context_id == CONTEXT))
        assert course is not None
        assert course.ags_lineitems_url == site.platform.lineitems_url(CONTEXT)
        assert course.ags_scopes == sorted(site.platform.ags_claim(CONTEXT)["scope"])
        engine = db.engine
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        launched(site, [LEARNER], "lee", "Lee Learner")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    # The repeat launch reads the gradebook endpoint with the person and course, in the one
    # query it makes anyway, and writes nothing to the course.
    reads = [s for s in statements if "lineitems_url" in s]
    assert len(reads) == 1 and "people" in reads[0]
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE COURSES")]


def test_admin_sees_own_unsent_scores_and_retries_them(site: Site, clean_app: Any) -> None:
    reg_id = site.lms.registration_id  # type: ignore[attr-defined]
    browser, token = launched(site, [ADMIN, SYSADMIN], "dee", "Dee Admin")
    course_id = tool_course(clean_app, reg_id)
    with clean_app.app_context():
        failed = add_send(
            reg_id,
            course_id,
            "lee",
            "Lee Learner",
            SendState.FAILED,
            error="POST …/scores answered HTTP 400: BAD REQUEST — user not enrolled",
        )
        add_send(reg_id, course_id, "max", "Max Pending", SendState.PENDING, item_key="path-2")
        add_send(reg_id, course_id, "sol", "Sol Sent", SendState.SENT, item_key="path-3")
        other_reg, other_course, _ = add_tenant("http://127.0.0.1:9", "other-client", [])
        services.remember_endpoint(
            db.session, other_reg, other_course, "http://127.0.0.1:9/lineitems", []
        )
        foreign = add_send(
            other_reg, other_course, "zed", "Zed Othertenant", SendState.FAILED, error="HTTP 400"
        )
        db.session.commit()

    page = browser.get(f"{site.lms.tool_url}/admin/grades?lt={token}")
    assert page.status_code == 200
    assert "Grade sync" in page.text and 'aria-current="page"' in page.text
    assert "Lee Learner" in page.text and "user not enrolled" in page.text
    assert "Max Pending" in page.text and "Waiting" in page.text
    assert "Sol Sent" not in page.text  # sent: nothing to do
    assert "Zed Othertenant" not in page.text  # another tenant's
    assert page.text.index("Lee Learner") < page.text.index("Max Pending")  # failed first
    assert "Retry the failed score" in page.text

    no_csrf = browser.post(f"{site.lms.tool_url}/admin/grades/{failed}/retry?lt={token}")
    assert no_csrf.status_code == 400
    other = browser.post(
        f"{site.lms.tool_url}/admin/grades/{foreign}/retry?lt={token}",
        data={"csrf_token": csrf(page.text)},
    )
    assert other.status_code == 303
    retried = browser.post(
        f"{site.lms.tool_url}/admin/grades/{failed}/retry?lt={token}",
        data={"csrf_token": csrf(page.text)},
    )
    assert retried.status_code == 303
    with clean_app.app_context():
        assert db.session.get(ScoreSend, foreign).state is SendState.FAILED  # type: ignore[union-attr]
        row = db.session.get(ScoreSend, failed)
        assert row is not None and row.state is SendState.PENDING and row.attempts == 0
        assert db.session.scalar(select(Job.kind)) == "grade_sync"
    drain(clean_app)
    with clean_app.app_context():
        row = db.session.get(ScoreSend, failed)
        assert row is not None and row.state is SendState.SENT, row.last_error
    assert [b["userId"] for _, b in site.platform.scores] == ["lee"]
    after = browser.get(f"{site.lms.tool_url}/admin/grades?lt={token}")
    assert "Lee Learner" not in after.text and "Max Pending" in after.text


def test_retry_all_pages_and_empty_state(site: Site, clean_app: Any) -> None:
    reg_id = site.lms.registration_id  # type: ignore[attr-defined]
    browser, token = launched(site, [ADMIN], "dee", "Dee Admin")
    empty = browser.get(f"{site.lms.tool_url}/admin/grades?lt={token}")
    assert "Nothing waiting" in empty.text and "Retry the" not in empty.text
    course_id = tool_course(clean_app, reg_id)
    with clean_app.app_context():
        for i in range(30):
            add_send(
                reg_id,
                course_id,
                f"p{i:02}",
                f"Person {i:02}",
                SendState.FAILED,
                error="HTTP 403",
                item_key=f"path-{i}",
            )
        db.session.commit()
    first = browser.get(f"{site.lms.tool_url}/admin/grades?lt={token}")
    assert "Page 1 of 2" in first.text and first.text.count(">Retry<span") == 25
    second = browser.get(f"{site.lms.tool_url}/admin/grades?page=2&lt={token}")
    assert second.text.count(">Retry<span") == 5
    assert browser.get(f"{site.lms.tool_url}/admin/grades?page=x&lt={token}").status_code == 200
    done = browser.post(
        f"{site.lms.tool_url}/admin/grades/retry-failed?lt={token}",
        data={"csrf_token": csrf(first.text)},
        allow_redirects=True,
    )
    assert "30 failed scores queued again." in done.text
    with clean_app.app_context():
        assert services.counts(reg_id) == {"pending": 30}


def test_learners_are_refused(site: Site, clean_app: Any) -> None:
    browser, token = launched(site, [LEARNER], "lee", "Lee Learner")
    page = browser.get(f"{site.lms.tool_url}/admin/grades?lt={token}")
    assert page.status_code == 403
    home = browser.get(f"{site.lms.tool_url}/me/edit?lt={token}")
    retry = browser.post(
        f"{site.lms.tool_url}/admin/grades/retry-failed?lt={token}",
        data={"csrf_token": csrf(home.text)},
    )
    assert retry.status_code == 403


def test_practice_page_sends_a_score_to_the_gradebook(
    site: Site, clean_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser, token = launched(site, [LEARNER], "lee", "Lee Learner")
    assert browser.get(f"{site.lms.tool_url}/grades/practice?lt={token}").status_code == 404
    monkeypatch.setitem(clean_app.config, "GRADES_PRACTICE_PAGE", True)
    home = browser.get(f"{site.lms.tool_url}/?lt={token}")
    assert "/grades/practice" in home.text
    page = browser.get(f"{site.lms.tool_url}/grades/practice?lt={token}")
    assert page.status_code == 200 and "Nothing sent yet" in page.text
    sent = browser.post(
        f"{site.lms.tool_url}/grades/practice?lt={token}",
        data={"csrf_token": csrf(page.text), "level": "done"},
    )
    assert sent.status_code == 303
    drain(clean_app)
    assert len(site.platform.line_items) == 1
    ((number, body),) = site.platform.scores
    assert body["userId"] == "lee" and body["scoreGiven"] == 100.0
    assert body["activityProgress"] == "Completed" and body["gradingProgress"] == "FullyGraded"
    assert site.platform.line_items[number]["label"] == "Wayfinder orientation (practice)"
    after = browser.get(f"{site.lms.tool_url}/grades/practice?lt={token}")
    assert "in the gradebook" in after.text
    bad = browser.post(
        f"{site.lms.tool_url}/grades/practice?lt={token}",
        data={"csrf_token": csrf(page.text), "level": "cheat"},
        allow_redirects=True,
    )
    assert "Choose one of the options" in bad.text


REFUSAL = (
    "POST http://lms.example/api/lti/courses/1/line_items/7/scores answered HTTP 400: "
    'BAD REQUEST — {"error": "invalid_request", "error_description": "the gradebook is locked"}'
)


def test_a_refused_score_is_explained_to_the_learner_without_the_lms_internals(
    site: Site, clean_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(clean_app.config, "GRADES_PRACTICE_PAGE", True)
    browser, token = launched(site, [LEARNER], "lee", "Lee Learner")
    page = browser.get(f"{site.lms.tool_url}/grades/practice?lt={token}")
    browser.post(
        f"{site.lms.tool_url}/grades/practice?lt={token}",
        data={"csrf_token": csrf(page.text), "level": "half"},
    )
    staff, staff_token = launched(site, [INSTRUCTOR], "ines", "Ines Instructor")
    form = staff.get(f"{site.lms.tool_url}/grades/practice?lt={staff_token}")
    staff.post(
        f"{site.lms.tool_url}/grades/practice?lt={staff_token}",
        data={"csrf_token": csrf(form.text), "level": "half"},
    )
    with clean_app.app_context():  # as the sender records a refusal (lti_tool/grades/sender.py)
        rows = db.session.scalars(select(ScoreSend)).all()
        assert len(rows) == 2
        for row in rows:
            row.state, row.last_status, row.last_error = SendState.FAILED, 400, REFUSAL
        db.session.commit()
    after = browser.get(f"{site.lms.tool_url}/grades/practice?lt={token}").text
    assert 'refused by the LMS</strong> <span class="muted">(the gradebook is locked)' in after
    assert "http://lms.example" not in after and "invalid_request" not in after
    assert "can see the details under Administration, Grade sync" in after
    # A trainer trying the page sees what the LMS answered, as on the admin's Grade sync tab.
    seen = staff.get(f"{site.lms.tool_url}/grades/practice?lt={staff_token}").text
    assert "http://lms.example/api/lti/courses/1/line_items/7/scores" in seen
    assert "can see the details under" not in seen


def test_plain_reason_keeps_the_lms_words_and_drops_its_internals() -> None:
    assert services.plain_reason(REFUSAL) == "the gradebook is locked"
    assert services.plain_reason('POST https://x answered HTTP 401 — {"error": "no_token"}') == (
        "no_token"
    )
    assert services.plain_reason("POST https://x answered HTTP 502 — <html>") == (
        "your LMS did not take it"
    )
    assert services.plain_reason("Replaced by a newer score before it was sent.") == (
        "Replaced by a newer score before it was sent."
    )


def test_cli_lists_and_retries(site: Site, clean_app: Any) -> None:
    reg_id = site.lms.registration_id  # type: ignore[attr-defined]
    launched(site, [LEARNER], "lee", "Lee Learner")
    course_id = tool_course(clean_app, reg_id)
    with clean_app.app_context():
        failed = add_send(reg_id, course_id, "lee", "Lee", SendState.FAILED, error="HTTP 400: no")
        db.session.commit()
    runner = clean_app.test_cli_runner()
    listed = runner.invoke(args=["grades", "list"])
    assert listed.exit_code == 0 and "failed 1" in listed.output and "HTTP 400: no" in listed.output
    assert runner.invoke(args=["grades", "retry"]).exit_code != 0
    assert "No score send 999999" in runner.invoke(args=["grades", "retry", "999999"]).output
    done = runner.invoke(args=["grades", "retry", str(failed)])
    assert done.exit_code == 0 and "1 score send(s) queued again." in done.output
    again = runner.invoke(args=["grades", "retry", str(failed)])
    assert again.exit_code != 0 and "is pending" in again.output


def test_practice_page_speaks_spanish(
    site: Site, clean_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asked in Spanish, the practice page, its flashed messages and the states of what was
    sent are in Spanish; the gradebook column keeps its name."""
    monkeypatch.setitem(clean_app.config, "GRADES_PRACTICE_PAGE", True)
    browser, token = launched(site, [LEARNER], "lee", "Lee Learner")
    browser.session.headers["Accept-Language"] = "es"
    page = browser.get(f"{site.lms.tool_url}/grades/practice?lt={token}")
    assert page.status_code == 200 and '<html lang="es">' in page.text
    assert "Práctica: tu avance en el libro de calificaciones" in page.text
    assert "Enviar a mi libro de calificaciones</button>" in page.text
    assert "Empecé la orientación" in page.text and "Todavía no se envió nada." in page.text
    sent = browser.post(
        f"{site.lms.tool_url}/grades/practice?lt={token}",
        data={"csrf_token": csrf(page.text), "level": "done"},
    )
    after = browser.get(f"{site.lms.tool_url}/grades/practice?lt={token}")
    assert sent.status_code == 303
    assert "Registrado. Va en camino al libro de calificaciones de tu LMS" in after.text
    drain(clean_app)
    done = browser.get(f"{site.lms.tool_url}/grades/practice?lt={token}").text
    assert "<strong>en el libro de calificaciones</strong>" in done
    bad = browser.post(
        f"{site.lms.tool_url}/grades/practice?lt={token}",
        data={"csrf_token": csrf(page.text), "level": "cheat"},
        allow_redirects=True,
    )
    assert "Elige una de las opciones de abajo." in bad.text
    ((number, _body),) = site.platform.scores
    assert site.platform.line_items[number]["label"] == "Wayfinder orientation (practice)"
