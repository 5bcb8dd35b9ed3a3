"""The job-role pages in Spanish: from the LMS's launch locale (an instructor) or the browser's
Accept-Language (a learner whose launch sends none); headings, buttons, counts, source labels,
dates and flashed messages are translated, and what people wrote stays as written."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from lti_tool.devlauncher.platform import LaunchSpec, LaunchUser
from lti_tool.extensions import db
from lti_tool.roles.models import JobRole
from tests.harness import ADMIN, INSTRUCTOR, LEARNER, Browser, FakeLms, lang_of, launch
from tests.roles.test_pages import Session, login, text

PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
SPANISH_MONTHS = (
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
)


def login_in(lms: FakeLms, sub: str, roles: list[str], name: str, locale: str) -> Session:
    """A launch whose LMS says the person uses ``locale`` (Canvas's "es-419", Moodle's "es_mx")."""
    lms.spec = LaunchSpec(
        user=LaunchUser(sub, roles, name, f"{sub}@example.com"),
        context_id="course-1",
        context_title="Atención al cliente",
        extra_claims={PRESENTATION: {"locale": locale}},
    )
    browser = Browser()
    attempt = launch(browser, lms)
    assert attempt.launch is not None and attempt.launch.status_code == 200
    token = re.search(r"lt=([\w.\-]+)", attempt.launch.headers["Content-Location"])
    assert token
    return Session(browser, lms.tool_url, token.group(1))


def test_an_instructor_sets_up_roles_in_spanish(lms: FakeLms, clean_app: Any) -> None:
    chloe = login_in(lms, "chloe", [INSTRUCTOR], "Chloe Chen", "es-419")
    empty = chloe.get("/roles/")
    assert empty.status_code == 200 and lang_of(empty) == "es"
    assert "<h1>Puestos y habilidades</h1>" in empty.text
    assert ">Importar el conjunto inicial</button>" in empty.text
    assert 'aria-label="Puestos y habilidades"' in empty.text  # the sub-navigation's name
    assert "Job roles" not in text(empty)

    done = chloe.follow(chloe.post("/roles/starter"))
    assert lang_of(done) == "es"
    # The flashed counts are translated and pluralized; the starter set's own names are content.
    assert re.search(r"Se agregaron 6 puestos, 8 habilidades y \d+ niveles objetivo\.", done.text)
    assert "Edítalos para que se ajusten a tu centro de contacto." in done.text
    assert "De-escalation" in text(done) and "Senior agent" in text(done)
    assert "Nivel 1:" in done.text and "Level 1" not in done.text

    matrix = chloe.get("/roles/matrix")
    assert "<h1>Niveles objetivo</h1>" in matrix.text
    assert ">Guardar niveles objetivo</button>" in matrix.text
    assert ">ninguno</option>" in matrix.text

    bad = chloe.post("/roles/new", {"name": " ", "description": "", "aliases": ""})
    assert bad.status_code == 400 and lang_of(bad) == "es"
    assert "Corrige esto:" in bad.text
    assert "Ponle un nombre al puesto, por ejemplo, Agente de nivel 1." in bad.text

    with clean_app.app_context():
        senior_id = db.session.scalar(select(JobRole.id).where(JobRole.name == "Senior agent"))
    confirm = chloe.get(f"/roles/{senior_id}/delete")
    assert '<h1 id="confirm-title">¿Eliminar el puesto Senior agent?</h1>' in confirm.text
    assert "Esto no se puede deshacer." in confirm.text
    deleted = chloe.follow(chloe.post(f"/roles/{senior_id}/delete"))
    assert "El puesto Senior agent se eliminó." in deleted.text


def test_a_learner_asks_for_a_role_in_her_browsers_language(lms: FakeLms, clean_app: Any) -> None:
    chloe = login(lms, "chloe", [INSTRUCTOR], "Chloe Chen", "chloe@example.com")
    chloe.follow(chloe.post("/roles/starter"))
    assert lang_of(chloe.get("/roles/")) == "en"  # no locale, no Accept-Language: English

    ana = login(lms, "ana", [LEARNER], "Ana Alvarez", "ana@example.com")
    ana.browser.session.headers["Accept-Language"] = "es-MX,es;q=0.9,en;q=0.5"
    mine = ana.get("/roles/me")
    assert mine.status_code == 200 and lang_of(mine) == "es"
    assert "<h1>Mi puesto</h1>" in mine.text
    assert "Aún no tienes puesto" in mine.text
    assert ">Enviar solicitud</button>" in mine.text

    with clean_app.app_context():
        senior_id = db.session.scalar(select(JobRole.id).where(JobRole.name == "Senior agent"))
    why = ana.post("/roles/me/request", {"role_id": str(senior_id), "reason": ""})
    assert why.status_code == 400
    assert "Explica en una o dos oraciones por qué, para tu líder de equipo." in why.text
    sent = ana.follow(
        ana.post(
            "/roles/me/request", {"role_id": str(senior_id), "reason": "Atiendo escalamientos"}
        )
    )
    page = text(sent)
    assert "Tu solicitud para el puesto Senior agent se envió." in page
    assert "Un capacitador decidirá." in page
    # The date names its month in Spanish, in Spanish order ("4 de diciembre de 2026").
    assert re.search(
        rf"Pediste el puesto Senior agent el \d{{1,2}} de ({SPANISH_MONTHS}) de \d{{4}}\.", page
    )
    withdrawn = text(ana.follow(ana.post("/roles/me/withdraw")))
    assert "Tu solicitud se retiró." in withdrawn
    assert "Senior agent : retirada" in withdrawn


def test_an_administrator_sees_where_a_role_comes_from_in_spanish(
    lms: FakeLms, clean_app: Any
) -> None:
    chloe = login(lms, "chloe", [INSTRUCTOR], "Chloe Chen", "chloe@example.com", "Trainer")
    chloe.follow(chloe.post("/roles/starter"))
    dev = login_in(lms, "dev", [ADMIN], "Dev Desai", "es_mx")
    people = dev.get("/roles/people?q=chloe")
    assert lang_of(people) == "es" and "<h1>Puestos de las personas</h1>" in people.text
    assert 'placeholder="Nombre o correo"' in people.text
    person = re.search(r'href="(/roles/people/\d+)\?', people.text)
    assert person
    page = text(dev.get(person.group(1)))
    assert "Chloe Chen: puesto" in page
    # "from the LMS" joins its preposition and article in Spanish: "del LMS".
    assert "Puesto Trainer , del LMS (acceso LTI)" in page
    assert "El LMS (acceso LTI)" in page and "vigente" in page
    # Who set it and why are stored in English and said again in Spanish, values kept.
    assert "acceso LTI · valor del LMS “Trainer”" in page
    assert "LTI launch" not in page and "LMS value" not in page


def test_history_notes_are_said_again_in_the_page_language(app: Any) -> None:
    from lti_tool.roles.wording import shown

    stored = "LMS value “Tier 1 agent” · ended: role deleted by Chloe Chen"
    with app.test_request_context():
        assert shown(stored) == stored
        assert shown("Dev Desai") == "Dev Desai"
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert (
            shown(stored) == "valor del LMS “Tier 1 agent” · terminó: Chloe Chen eliminó el puesto"
        )
        assert shown("HR import, line 12") == "importación de RR. HH., línea 12"
        assert shown("Dev Desai") == "Dev Desai"  # a name, not Wayfinder's words
        assert shown("") == ""


def test_a_person_known_only_by_email_is_listed_once_in_spanish(
    lms: FakeLms, clean_app: Any
) -> None:
    """Their email stands for their name; it is not repeated after it, in any language."""
    lms.spec = LaunchSpec(user=LaunchUser("nameless", [LEARNER], None, "nameless@example.com"))
    assert launch(Browser(), lms).launch is not None
    dev = login_in(lms, "dev", [ADMIN], "Dev Desai", "es-419")
    people = dev.get("/roles/people?q=nameless")
    assert lang_of(people) == "es"
    assert text(people).count("nameless@example.com") == 1, text(people)
