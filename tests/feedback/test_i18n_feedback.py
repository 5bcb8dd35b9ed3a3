"""Feedback speaks the person's LMS language: a learner launched in Spanish rates a step (the
form, the error, the thank-you and the waiting list in Spanish, dates with Spanish month names),
and a trainer whose browser asks for Spanish reads the report and an item's comments in it."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from babel.dates import format_skeleton

from lti_tool.devlauncher.platform import LaunchSpec, LaunchUser
from lti_tool.lti.models import utcnow
from tests.community.conftest import Session, text
from tests.feedback.test_rating import _assignment
from tests.feedback.test_report import THIS_MONTH, seed
from tests.harness import LEARNER, Browser, FakeLms, lang_of, launch
from tests.paths.placing import published_path

PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"


def spanish_learner(lms: FakeLms) -> Session:
    """Ana, launched from a Moodle that speaks Mexican Spanish (its es_mx locale)."""
    lms.spec = LaunchSpec(
        user=LaunchUser("ana", [LEARNER], "Ana Alvarez", "ana@example.com"),
        context_id="course-1",
        context_title="Billing basics",
        custom={"job_role": "Tier 1 agent"},
        extra_claims={PRESENTATION: {"locale": "es_mx"}},
    )
    browser = Browser()
    attempt = launch(browser, lms)
    assert attempt.launch is not None and attempt.launch.status_code == 200
    token = re.search(r"lt=([\w.\-]+)", attempt.launch.headers["Content-Location"])
    assert token
    return Session(browser, lms.tool_url, token.group(1), "Ana Alvarez")


def test_a_learner_rates_a_step_in_spanish(app: Any, lms: FakeLms, chloe: Session) -> None:
    reg = lms.registration_id  # type: ignore[attr-defined]
    pid, keys = published_path(app, reg, ("Welcome call", "Billing basics"))
    ana = spanish_learner(lms)
    step = f"/paths/a/{_assignment(app, reg)}/{keys[0]}"
    subject = f"{pid}:{keys[0]}"

    early = ana.post("/feedback/rate", {"kind": "step", "subject": subject, "stars": "4"})
    assert early.status_code == 400 and lang_of(early) == "es"
    assert "Puedes valorar un paso cuando lo hayas completado." in text(early)
    assert "<h1>Tu valoración</h1>" in early.text

    done = ana.follow(ana.post(step, {"action": "done"}))
    assert lang_of(done) == "es"
    assert "¿Qué tal estuvo “Welcome call”?" in text(done)
    assert "Enviar mi valoración" in text(done)
    home = text(ana.get("/"))
    day = format_skeleton("dMMM", utcnow(), locale="es")
    assert "Esperando tu valoración" in home
    assert f"Valorar “Welcome call” (paso de ruta, {day})" in home

    bad = ana.post("/feedback/rate", {"kind": "step", "subject": subject, "stars": "7"})
    assert bad.status_code == 400 and "Elige de 1 a 5 estrellas." in text(bad)
    saved = ana.post(
        "/feedback/rate", {"kind": "step", "subject": subject, "stars": "4", "back": step}
    )
    page = ana.browser.get(ana.base + saved.headers["Location"])
    words = text(page)
    assert "Gracias: tu valoración de “Welcome call” está guardada." in words
    assert "Tu valoración: ★★★★ 4 de 5 estrellas · cámbiala" in words
    assert "Cambiar mi valoración" in words


def test_a_trainer_reads_the_report_in_spanish(app: Any, lms: FakeLms, chloe: Session) -> None:
    seed(app, lms.registration_id, extra_comments=12)  # type: ignore[attr-defined]
    # Spain's Spanish: a decimal comma (Latin America's, es-419, writes a point).
    chloe.browser.session.headers["Accept-Language"] = "es-ES,es;q=0.9"
    page = chloe.get("/feedback/")
    assert page.status_code == 200 and lang_of(page) == "es"
    words = text(page)
    assert "Opiniones sobre la capacitación" in words
    assert "Peor valorados" in words and "Todos los elementos valorados" in words
    # Averages with a decimal comma, as Spanish writes them; the CSV keeps the point.
    assert "CRM tour (paso de ruta) : 2,0 ★ de 3 valoraciones" in words
    assert 'data-label="Promedio de estrellas">3,5</td>' in page.text  # Hard calls
    assert "3.5" not in words
    exported = list(csv.reader(io.StringIO(chloe.get("/feedback/export.csv?months=12").text)))
    assert [row[2:4] for row in exported if row[0] == "Hard calls"] == [["4", "3.5"]]
    assert ">Pasos de ruta</option>" in page.text and "Últimos 12 meses" in words
    assert "Descargar “Valoraciones por elemento” en CSV" in words
    assert 'data-label="Promedio de estrellas"' in page.text

    item = chloe.get("/feedback/i/catalog_item/9")
    assert lang_of(item) == "es"
    words = text(item)
    assert "3,0 de 5 según 12 valoraciones, 12 con comentario." in words
    assert format_skeleton("dMMMMy", THIS_MONTH, locale="es") in words  # "1 de diciembre de 2026"
    assert "Más antiguos →" in words
    # English is untouched for a browser that does not ask for Spanish.
    chloe.browser.session.headers.pop("Accept-Language")
    english = text(chloe.get("/feedback/i/catalog_item/9"))
    assert "3.0 out of 5 from 12 ratings, 12 with a comment." in english
    assert THIS_MONTH.strftime("%d %B %Y") in english
