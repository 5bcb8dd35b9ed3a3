"""The community space in Spanish: a person whose browser asks for Spanish (no LMS locale in
these launches) reads the pages, the flashed messages, the form errors, the counts, the dates
and the notifications in Spanish; English stays the default for everyone else."""

from __future__ import annotations

import re
from typing import Any

from babel.dates import format_skeleton

from lti_tool.lti.models import utcnow
from tests.community.conftest import Session, skill_ids, text
from tests.harness import lang_of


def in_spanish(session: Session) -> Session:
    session.browser.session.headers["Accept-Language"] = "es"
    return session


def test_tips_and_questions_in_spanish(
    clean_app: Any, chloe: Session, ana: Session, ben: Session
) -> None:
    skills = skill_ids(clean_app)
    in_spanish(ana)
    empty = ana.get("/community/")
    assert lang_of(empty) == "es"
    page = text(empty)
    assert "De tus compañeros" in page and "Todavía no se ha compartido nada" in page
    assert "Compartir un consejo" in page and "Hacer una pregunta" in page
    assert "Consejos y preguntas" in page and "From your peers" not in page

    # A form sent with nothing in it: every error, and the count of them, in Spanish.
    refused = ana.post("/community/new/question", {"title": "", "body": ""})
    assert refused.status_code == 400
    errors = text(refused)
    assert "Corrige los 3 problemas que aparecen abajo." in errors
    assert "Di qué quieres saber." in errors and "Elige al menos una habilidad" in errors

    response = ana.post(
        "/community/new/question",
        {"title": "¿Reembolso después de 30 días?", "body": "¿Qué ofrezco?",
         "skills": [skills["Empathy"]]},
    )  # fmt: skip
    shown = ana.follow(response)
    assert lang_of(shown) == "es"
    page = text(shown)
    assert "Tu pregunta está publicada." in page
    today = format_skeleton("dMMMy", utcnow().date(), locale="es")
    assert f"Preguntado por Ana Alvarez el {today}" in page
    assert "0 respuestas" in page and "Publicar tu respuesta" in page

    # Ben answers in English; Ana reads about it in Spanish, with the question's title.
    qid = int(re.findall(r"/community/p/(\d+)", response.headers["Location"])[0])
    ben.answer(qid, "Offer a goodwill credit.")
    assert "1 answer" in text(ben.get(f"/community/p/{qid}"))
    assert "1 respuesta" in text(ana.get(f"/community/p/{qid}"))
    notes = text(ana.get("/community/notifications"))
    assert "Ben Brooks respondió tu pregunta “¿Reembolso después de 30 días?”" in notes
    assert "Marcar todas como leídas" in notes
    read = ana.follow(ana.post("/community/notifications/read"))
    assert "Todas las notificaciones están marcadas como leídas." in text(read)
