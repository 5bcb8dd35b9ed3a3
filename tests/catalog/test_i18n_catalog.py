"""The catalog in Spanish: a learner whose browser asks for Spanish searches, adds to their plan
and reads its dates, errors and flashed messages in Spanish; a trainer launched from an LMS in
Spanish (Moodle's es_mx) curates in Spanish; fit reasons and the LMS problem stored in English
read in the page's language."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from babel.dates import format_skeleton

from adapters.base import AdapterError, ErrorKind
from lti_tool.catalog import access, wording
from lti_tool.catalog.fit import Gap, explain
from lti_tool.catalog.models import CatalogItem, CatalogSource
from lti_tool.catalog.sync import SyncResult
from lti_tool.devlauncher.platform import LaunchSpec, LaunchUser
from lti_tool.extensions import db
from lti_tool.i18n_stored import written
from lti_tool.tenancy import tenant_scope
from tests.catalog.conftest import Served, Session, text
from tests.catalog.test_plan import SOON, People
from tests.harness import INSTRUCTOR, Browser, FakeLms, lang_of, launch

PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"


@pytest.fixture
def people(clean_app: Any, lms: FakeLms, moodle: Served) -> People:
    return People(clean_app, lms, moodle)


def in_spanish(who: Session) -> Session:
    who.browser.session.headers["Accept-Language"] = "es-MX,es;q=0.9,en;q=0.5"
    return who


def test_a_learner_browses_and_plans_in_spanish(people: People) -> None:
    ana = in_spanish(people.ana)
    catalog = ana.get("/catalog/")
    assert catalog.status_code == 200
    assert lang_of(catalog) == "es"
    assert "<h1>Catálogo</h1>" in catalog.text
    words = text(catalog)
    assert "Por qué te conviene:" in words and "Why this fits you" not in words
    assert "Cualquier habilidad" in words and "Ordenar por" in words
    assert re.search(r"\d+ elementos", words)

    pk = people.item_id("De-escalation basics")
    with people.app.app_context(), tenant_scope(db.session, people.tenant):
        db.session.get_one(CatalogItem, pk).duration_minutes = 90
        db.session.commit()
    # Spanish pages; numbers as Mexico writes them (Moodle's es_mx): a decimal point.
    assert "<li>1.5 h</li>" in ana.get(f"/catalog/i/{pk}").text
    bad = ana.post(
        f"/catalog/i/{pk}/plan", {"goal_kind": "career_goal", "target_date": "2020-01-01"}
    )
    assert bad.status_code == 400
    assert lang_of(bad) == "es"
    assert "Elige hoy o una fecha posterior." in text(bad)
    assert ">Agregar a mi plan</button>" in bad.text

    added = ana.post(f"/catalog/i/{pk}/plan", {"goal_kind": "career_goal", "target_date": SOON})
    assert added.status_code == 303
    plan = ana.follow(added)
    words = text(plan)
    assert lang_of(plan) == "es"
    assert "<h1>Mi plan</h1>" in plan.text
    # The flashed message, the status and the target date, month name and all, in Spanish.
    assert (
        "“De-escalation basics” está en tu plan. Inscríbete desde aquí cuando estés listo." in words
    )
    assert "Planeado" in words
    month = format_skeleton("dMMMMy", date.fromisoformat(SOON), locale="es")
    assert f"terminar para el {month}" in words
    assert ">Pedir aprobación (Ben Brooks)</summary>" in plan.text


def test_a_trainer_launched_in_spanish_curates_in_spanish(people: People) -> None:
    people.lms.spec = LaunchSpec(
        user=LaunchUser("carla", [INSTRUCTOR], "Carla Cruz", "carla@example.com"),
        context_id="course-1",
        context_title="Atención al cliente",
        extra_claims={PRESENTATION: {"locale": "es_mx"}},
    )
    browser = Browser()
    attempt = launch(browser, people.lms)
    assert attempt.launch is not None and attempt.launch.status_code == 200
    token = re.search(r"lt=([\w.\-]+)", attempt.launch.headers["Content-Location"])
    assert token
    carla = Session(browser, people.lms.tool_url, token.group(1), "Carla Cruz")
    manage = carla.get("/catalog/manage")
    assert lang_of(manage) == "es"
    assert "<h1>Curar y sincronizar el catálogo</h1>" in manage.text
    assert ">Sincronizar el catálogo ahora</button>" in manage.text
    pk = people.item_id("De-escalation basics")
    saved = carla.follow(carla.post(f"/catalog/manage/i/{pk}", {"level": "2"}))
    assert (
        "Se guardó “De-escalation basics”. La próxima sincronización conserva estas elecciones."
        in text(saved)
    )
    item = carla.get(f"/catalog/i/{pk}")
    assert "Nivel 2 · En desarrollo" in text(item)


def test_fit_reasons_and_stored_problems_read_in_the_page_language(app: Any) -> None:
    goal = Gap(2, "De-escalation", 4, "Senior agent", from_goal=True)
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert (
            explain([(2, "De-escalation")], 3, [goal]).reason
            == "Desarrolla De-escalation, que Senior agent (tu meta) requiere en nivel 4."
        )
        assert "Su nivel (Experto) está por encima de ese objetivo." in (
            explain([(2, "De-escalation")], 5, [goal]).reason
        )
        # A problem is stored in English (a job or another person's request records it)...
        stored = access.describe(
            AdapterError(ErrorKind.AUTH, "get courses", "nope", "invalidtoken")
        )
        assert stored.startswith("The LMS no longer accepts Wayfinder's token")
        row = CatalogSource(problem_kind=ErrorKind.AUTH.value, problem=stored)
        # ... and shown in the reader's language, with the LMS's own words as it said them.
        shown = access.problem_text(row)
        assert shown.startswith("El LMS ya no acepta el token de Wayfinder")
        assert shown.endswith("El LMS dijo: nope (invalidtoken)")
    with app.test_request_context():
        assert access.problem_text(row) == stored


def test_the_sync_jobs_messages_read_in_the_page_language(app: Any) -> None:
    """A catalog sync writes its message in English (the job list, logs and CLI read it); the
    curation page says it in the page's language, the LMS's own words as it said them."""
    result = SyncResult(added=2, updated=1, unchanged=1, gone=1, seen={"a", "b", "c", "d"})
    with app.app_context():
        stored = result.summary() + " " + written(wording.CHECKED_TOO, num=1, completed=1)
        failed = access.describe(AdapterError(ErrorKind.FORBIDDEN, "enrol", "nope", "403"))
    assert stored == (
        "4 courses from the LMS: 2 new, 1 changed, 1 unchanged. 1 no longer offered (marked, "
        "kept with their curation). Completion checked for 1 enrolment (1 newly complete)."
    )
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert wording.shown(stored) == (
            "4 cursos del LMS: 2 nuevos, 1 con cambios, 1 sin cambios. 1 ya no se ofrece "
            "(marcado, se conserva su curaduría). Se revisó la finalización de 1 inscripción "
            "(1 recién completadas)."
        )
        assert wording.shown(written(wording.READ, num=1)) == "Se leyó 1 curso del LMS."
        said = wording.shown(failed)
        assert said.startswith("El token funciona, pero no tiene permiso para esto.")
        assert said.endswith("El LMS dijo: nope (403)")
        assert wording.shown("Something the LMS wrote.") == "Something the LMS wrote."
    with app.test_request_context():
        assert wording.shown(stored) == stored and wording.shown(failed) == failed
