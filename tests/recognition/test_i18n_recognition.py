"""Recognition in Spanish: badges, their rules in words, thanks and the flashed messages for a
person whose browser asks for Spanish; the colleague they thank, in English, reads English."""

from __future__ import annotations

import re
from typing import Any

from tests.community.conftest import Session, skill_ids, text
from tests.harness import lang_of


def in_spanish(session: Session) -> Session:
    session.browser.session.headers["Accept-Language"] = "es"
    return session


def test_badges_and_thanks_in_spanish(
    clean_app: Any, chloe: Session, ana: Session, ben: Session
) -> None:
    in_spanish(chloe)
    form = chloe.get("/recognition/badges/new")
    assert lang_of(form) == "es"
    assert "Nueva insignia" in text(form) and "Estrella dorada" in text(form)
    refused = chloe.post("/recognition/badges/new", {"criterion": "verified_tips", "count": "0"})
    assert refused.status_code == 400
    assert "Ponle un nombre a la insignia." in text(refused)
    assert "Escribe un número entre 1 y" in text(refused)
    saved = chloe.post(
        "/recognition/badges/new",
        {"name": "Trusted tipster", "description": "Tips colleagues rely on.",
         "criteria_text": "Three verified tips.", "design": "star",
         "criterion": "verified_tips", "count": "3"},
    )  # fmt: skip
    badge = chloe.follow(saved)
    page = text(badge)
    assert "La insignia “Trusted tipster” se guardó." in page
    assert "3 consejos verificados por un experto" in page and "Cómo obtenerla" in page
    badges = text(chloe.get("/recognition/badges"))
    assert "Insignias" in badges and "0 personas la tienen" in badges

    in_spanish(ana)
    mine = ana.get("/recognition/")
    assert lang_of(mine) == "es"
    assert "Mi reconocimiento" in text(mine) and "Insignias que puedes obtener" in text(mine)
    skills = skill_ids(clean_app)
    qid = ben.share("tip", "Summarise before closing", "Say it back.", [skills["Empathy"]])
    ben_id = re.findall(r"person=(\d+)", ana.get(f"/community/p/{qid}").text)[0]
    thanks = ana.get(f"/recognition/thanks?person={ben_id}&post={qid}")
    assert "Agradecer a Ben Brooks" in text(thanks)
    assert "Por “Summarise before closing”" in text(thanks)
    sent = ana.follow(
        ana.post("/recognition/thanks", {"person": ben_id, "post": qid, "message": "¡Gracias!"})
    )
    assert "Tu agradecimiento le llegó a Ben Brooks." in text(sent)
    assert "Ana Alvarez thanked you" in text(ben.get("/community/notifications"))
    in_spanish(ben)
    assert "Ana Alvarez te agradeció" in text(ben.get("/community/notifications"))


def test_award_evidence_is_said_again_in_the_page_language(app: Any) -> None:
    from lti_tool.recognition.criteria import evidence_text

    completed = (
        "Completed the learning path “Tier 1 agent: your first 90 days” on 05 December 2026."
    )
    tips = "Shared 1 tip that experts verified (the badge asks for 1)."
    with app.test_request_context():
        assert evidence_text(completed) == completed
        assert evidence_text(tips) == tips
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert evidence_text(completed) == (
            "Completó la ruta de aprendizaje “Tier 1 agent: your first 90 days” "
            "el 5 de diciembre de 2026."
        )
        assert evidence_text(tips) == (
            "Compartió 1 consejo que los expertos verificaron (la insignia pide 1)."
        )
        assert evidence_text("Gave 3 coaching sessions (the badge asks for 3).") == (
            "Dio 3 sesiones de coaching (la insignia pide 3)."
        )
        # Words Wayfinder did not write stay as they are.
        assert evidence_text("Helped the night shift.") == "Helped the night shift."
