"""The learning-path pages in Spanish: an instructor whose browser asks for Spanish builds and
publishes a path; a learner whose LMS launch says es-419 follows it, with the why-next reason,
dates and flashed messages in Spanish."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from babel.dates import format_date
from sqlalchemy import select

from lti_tool.devlauncher.platform import LaunchSpec, LaunchUser
from lti_tool.extensions import db
from lti_tool.lti.models import utcnow
from lti_tool.paths.models import Assignment, PathNode
from tests.harness import LEARNER, Browser, FakeLms, launch
from tests.paths.test_pages import build_path, chloe, tier1_id  # noqa: F401 (a fixture)
from tests.roles.test_pages import Session, text

PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"


def lang_of(page: Any) -> str:
    match = re.search(r'<html lang="([^"]+)"', page.text)
    return match.group(1) if match else ""


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
    due = format_date(utcnow() + timedelta(days=7), "dd MMM", locale="es")
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
