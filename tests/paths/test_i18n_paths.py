"""The learning-path pages in Spanish: an instructor whose browser asks for Spanish builds and
publishes a path; a learner whose LMS launch says es-419 follows it, with the why-next reason,
dates and flashed messages in Spanish; a team leader signs off (and declines) and reads the team
page in Spanish."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from babel.dates import format_skeleton
from sqlalchemy import select

from lti_tool.devlauncher.platform import LaunchSpec, LaunchUser
from lti_tool.extensions import db
from lti_tool.lti.models import utcnow
from lti_tool.paths.models import Assignment, PathNode
from lti_tool.roles import services as roles
from lti_tool.tenancy import tenant_scope
from tests.harness import LEARNER, MANAGER, Browser, FakeLms, lang_of, launch
from tests.paths.test_pages import build_path, chloe, tier1_id  # noqa: F401 (a fixture)
from tests.roles.test_pages import Session, login, text

PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"


def ana_in_spanish(lms: FakeLms) -> Session:
    """Ana's launch carries her LMS language, as Canvas writes it."""
    lms.spec = LaunchSpec(
        user=LaunchUser("ana", [LEARNER], "Ana Alvarez", "ana@example.com"),
        context_id="course-1",
        context_title="Atención al cliente",
        custom={"job_role": "Tier 1 agent"},
        extra_claims={PRESENTATION: {"locale": "es-419"}},
    )
    browser = Browser()
    attempt = launch(browser, lms)
    assert attempt.launch is not None and attempt.launch.status_code == 200
    token = re.search(r"lt=([\w.\-]+)", attempt.launch.headers["Content-Location"])
    assert token
    return Session(browser, lms.tool_url, token.group(1))


def test_a_path_is_built_and_followed_in_spanish(
    lms: FakeLms,
    chloe: Session,  # noqa: F811 (the fixture imported above)
    clean_app: Any,
) -> None:
    ana = ana_in_spanish(lms)
    empty = ana.get("/paths/")
    assert lang_of(empty) == "es"
    assert "Tier 1 agent ; todavía no hay ninguna ruta publicada para ese puesto" in text(empty)

    pk = build_path(chloe, tier1_id(clean_app, lms))
    chloe.browser.session.headers["Accept-Language"] = "es"  # no locale in her launch
    editor = chloe.get(f"/paths/manage/{pk}")
    assert lang_of(editor) == "es"
    page = text(editor)
    assert "Bloques y pasos" in page and "Publicar la v1" in page
    assert "Bloque: Week 1 — todos, en orden" in page
    assert "Enlace externo · 20 min · vence el día 7" in page
    bad = chloe.post(f"/paths/manage/{pk}/steps/new", {"title": "", "kind": "link"})
    assert bad.status_code == 400
    assert "Ponle un título al paso" in text(bad)
    assert "Indica la dirección que se abre, empezando con https://." in text(bad)
    published = text(chloe.follow(chloe.post(f"/paths/manage/{pk}/publish")))
    assert "La versión 1 está publicada. Se asignó a 1 persona con el puesto." in published
    assert "Empezar un nuevo borrador (v2)" in published

    mine = ana.get("/paths/")
    assert lang_of(mine) == "es"
    page = text(mine)
    assert "Mi ruta" in page and "0% completado · 0 de 2 pasos hechos" in page
    assert "Siguiente: Read the welcome guide" in page
    due = format_skeleton("dMMM", utcnow() + timedelta(days=7), locale="es")
    assert f"Es el siguiente paso de “Week 1”, que se hace en orden, y vence el {due}" in page
    assert "Vence pronto" in page and "Por qué este:" in page
    with clean_app.app_context():
        a = db.session.scalar(select(Assignment))
        welcome = db.session.scalar(
            select(PathNode.key).where(PathNode.title == "Read the welcome guide")
        )
    assert a is not None
    step = text(ana.get(f"/paths/a/{a.id}/{welcome}"))
    assert "Por qué importa" in step and "unos 20 minutos" in step and "Lectura" in step
    started = ana.follow(ana.post(f"/paths/a/{a.id}/{welcome}", {"action": "start"}))
    assert lang_of(started) == "es"
    assert "Iniciado. Vuelve aquí para marcarlo como hecho cuando termines." in text(started)
    assert "en curso" in text(started)
    done = ana.follow(ana.post(f"/paths/a/{a.id}/{welcome}", {"action": "done"}))
    assert "“Read the welcome guide” está hecho." in text(done)

    skills = ana.get("/paths/skills")
    assert lang_of(skills) == "es"
    assert "Mis habilidades" in text(skills) and "Valorar mis habilidades" in text(skills)


def test_a_team_leader_signs_off_and_reads_the_team_page_in_spanish(
    lms: FakeLms,
    chloe: Session,  # noqa: F811 (the fixture imported above)
    clean_app: Any,
) -> None:
    pk = build_path(chloe, tier1_id(clean_app, lms))
    chloe.follow(chloe.post(f"/paths/manage/{pk}/publish"))
    ana = ana_in_spanish(lms)
    ben = login(lms, "ben", [MANAGER, LEARNER], "Ben Brooks", "ben@example.com", "Team lead")
    ben.browser.session.headers["Accept-Language"] = "es-MX,es;q=0.9,en;q=0.5"
    with clean_app.app_context(), tenant_scope(db.session, lms.registration_id):  # type: ignore[attr-defined]
        team, _team_errors = roles.save_team(lms.registration_id, None, "Team A", "ben@example.com")  # type: ignore[attr-defined]
        assert team is not None
        roles.add_member(lms.registration_id, team, "ana@example.com")  # type: ignore[attr-defined]
        db.session.commit()
        team_id = team.id
        a = db.session.scalar(select(Assignment))
        assert a is not None
        keys = {n.title: n.key for n in db.session.scalars(select(PathNode))}
    ana.follow(ana.post(f"/paths/a/{a.id}/{keys['Read the welcome guide']}", {"action": "done"}))
    shadow = f"/paths/a/{a.id}/{keys['Shadow a senior agent']}"
    asked = text(ana.follow(ana.post(shadow, {"action": "signoff", "note": "Con Carmen"})))
    assert "Validación solicitada. Verás la respuesta aquí y en Mi ruta." in asked
    assert "esperando validación" in asked

    pending = ben.get("/paths/signoffs")
    assert lang_of(pending) == "es"
    page = text(pending)
    assert "Validaciones pendientes para ti" in page and "Nota para Ana Alvarez" in page
    assert "Validar" in page and "Rechazar" in page
    request_id = re.search(r"/paths/signoffs/(\d+)", pending.text).group(1)  # type: ignore[union-attr]
    empty_note = ben.post(f"/paths/signoffs/{request_id}", {"decision": "decline", "note": ""})
    assert empty_note.status_code == 400
    assert "Di qué falta, para que sepa qué hacer antes de volver a pedirla." in text(empty_note)
    declined = ben.follow(
        ben.post(f"/paths/signoffs/{request_id}", {"decision": "decline", "note": "Un turno"})
    )
    assert "Rechazaste “Shadow a senior agent” de Ana Alvarez; verá tu nota." in text(declined)
    step = text(ana.get(shadow))
    assert "Ben Brooks rechazó la validación el" in step and "“Un turno”" in step

    board = ben.get(f"/paths/team/{team_id}")
    assert lang_of(board) == "es"
    page = text(board)
    assert "1 persona, liderada por ti." in page
    assert "Avance por persona" in page and "Avance por ruta" in page
    assert 'data-label="Persona"' in board.text and "Valorar" in page
