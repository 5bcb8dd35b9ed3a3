"""The roster page, its flashed messages and the sync status its script shows, in Spanish."""

from __future__ import annotations

from typing import Any

from lti_tool.devlauncher.roster_platform import RosterPlatform
from lti_tool.jobs import wording
from tests.harness import INSTRUCTOR, Browser, FakeLms, form_fields
from tests.jobs.util import drain
from tests.roster.test_views import launched_as, platform  # noqa: F401  (the fixture)


def test_the_roster_speaks_spanish_page_flash_and_status(
    lms: FakeLms,
    browser: Browser,
    platform: RosterPlatform,  # noqa: F811
    clean_app: Any,
) -> None:
    token = launched_as(browser, lms, [INSTRUCTOR], platform.url + "/nrps/course-1")  # type: ignore[attr-defined]
    browser.session.headers["Accept-Language"] = "es"
    page = browser.get(f"{lms.tool_url}/roster/?lt={token}")
    assert page.status_code == 200 and '<html lang="es">' in page.text
    assert "<h1>Lista de participantes del curso</h1>" in page.text
    assert "Sincronizar participantes ahora</button>" in page.text
    assert 'Miembros <span class="muted">(1)</span>' in page.text
    assert 'data-label="Puesto"' in page.text and ">Instructor</td>" in page.text

    action, fields = form_fields(page.text)
    started = browser.post(lms.tool_url + action, data=fields)
    waiting = browser.get(lms.tool_url + started.headers["Location"])
    assert "Sincronización de participantes iniciada. Esta página muestra su avance." in (
        waiting.text
    )
    assert "Esperando para empezar" in waiting.text
    assert "Esperando un proceso de trabajo." in waiting.text  # the job's stored message

    drain(clean_app)
    status = browser.get(f"{lms.tool_url}/roster/status?lt={token}").json()
    assert status["message"].startswith("Se sincronizaron 61 miembros: 60 nuevos")
    done = browser.get(f"{lms.tool_url}/roster/?lt={token}")
    assert "La última sincronización terminó" in done.text
    assert "iniciada por Ines Instructor" in done.text
    assert "Página 1 de 2" in done.text and ">Activo</td>" in done.text
    # In English (no Accept-Language), the same status reads as the job stored it.
    del browser.session.headers["Accept-Language"]
    english = browser.get(f"{lms.tool_url}/roster/status?lt={token}").json()
    assert english["message"].startswith("Synced 61 members: 60 new")


def test_job_messages_are_read_sentence_by_sentence(app: Any) -> None:
    stored = (
        "The LMS did not hand over the roster: HTTP 503 from https://lms.example/nrps. "
        "Attempt 2 of 5; retrying at 10:15:00 UTC."
    )
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert wording.shown(stored) == (
            "El LMS no entregó la lista de participantes: HTTP 503 from "
            "https://lms.example/nrps. Intento 2 de 5; se reintentará a las 10:15:00 UTC."
        )
        assert wording.shown("Something the LMS said. Gave up.") == (
            "Something the LMS said. Se abandonó."
        )
        assert wording.shown("") == ""
    with app.test_request_context():
        assert wording.shown(stored) == stored


def test_a_count_in_a_job_message_takes_the_right_form(app: Any) -> None:
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert wording.shown("1 job role changed from the LMS's values.") == (
            "1 puesto cambió según los valores del LMS."
        )
        assert wording.shown("Running. 3 job roles changed from the LMS's values.") == (
            "En curso. 3 puestos cambiaron según los valores del LMS."
        )
