"""Coaching in Spanish: a learner whose browser asks for Spanish books a slot an English-speaking
coach offered. Her pages, flashed messages, form errors and dates are in Spanish; the coach's
stay in English, and each reads the bell's notification in their own language."""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_skeleton

from lti_tool.coaching.models import CoachingSession
from lti_tool.extensions import db
from tests.coaching.conftest import started
from tests.coaching.test_pages import add_slot, book, make_offer, tomorrow
from tests.community.conftest import Session, login, skill_ids, text
from tests.harness import LEARNER, FakeLms, lang_of


def test_a_learner_books_coaching_in_spanish(
    clean_app: Any, chloe: Session, ana: Session, ben: Session
) -> None:
    offer = make_offer(ben, skill_ids(clean_app)["De-escalation"])
    slot = add_slot(ben, offer, at="10:00")
    ana.browser.session.headers["Accept-Language"] = "es"

    listing = ana.get("/coaching/")
    assert lang_of(listing) == "es"
    page = text(listing)
    assert "<h1>Coaching y acompañamiento en puesto</h1>" in listing.text
    assert "Ofertas de compañeros" in page and "1 horario libre" in page
    assert "Offers from colleagues" not in page

    offer_page = ana.get(f"/coaching/offers/{offer}")
    words = text(offer_page)
    assert "Horarios libres" in words and "Solicitar este horario" in offer_page.text
    day = format_skeleton("EdMMMy", date.fromisoformat(tomorrow()), locale="es")
    assert f"{day}, 10:00" in words  # the slot's local time, with Spanish day and month names
    assert "30 min" in words

    too_long = ana.post(f"/coaching/slots/{slot}/book", {"note": "x" * 5000})
    assert too_long.status_code == 400
    assert "No se envió nada." in text(too_long)
    assert "Usa como máximo 4000 caracteres en la nota." in text(too_long)

    session = book(ana, slot, note="El cliente que grita")
    mine = ana.browser.get(f"{ana.base}/coaching/s/{session}?lt={ana.token}")
    assert lang_of(mine) == "es"
    words = text(mine)
    assert "Solicitud enviada: el coach la confirma o la rechaza, y se te avisa." in words
    assert "esperando al coach" in words and "Cancelar la sesión" in words
    no_reason = ana.post(f"/coaching/s/{session}/cancel", {"reason": ""})
    assert no_reason.status_code == 400
    assert "Di por qué cancelas: la otra persona lo ve." in text(no_reason)

    # The coach's browser sends no language: his pages stay English.
    coach_view = ben.get(f"/coaching/s/{session}")
    assert lang_of(coach_view) == "en" and "Confirm the session" in coach_view.text
    assert "Ana Alvarez asks to book your session" in text(ben.get("/community/notifications"))
    ben.browser.session.headers["Accept-Language"] = "es"
    assert "Ana Alvarez pide reservar tu sesión" in text(ben.get("/community/notifications"))


def test_what_one_side_writes_for_the_other_reads_in_the_readers_language(
    clean_app: Any, lms: FakeLms, chloe: Session, ben: Session
) -> None:
    """Ana's LMS speaks Spanish; Ben, her coach, works in English. What Wayfinder writes when
    he signs off last (what the session counted for) or marks her a no-show without a note is
    stored once and each of them reads it in their own language."""
    ana = login(lms, "ana", [LEARNER], "Ana Alvarez", "ana@example.com", "Tier 1 agent", "es-419")
    offer = make_offer(ben, skill_ids(clean_app)["De-escalation"], booking="direct")
    held = book(ana, add_slot(ben, offer, at="09:00"))
    started(clean_app, held)
    ana.follow(ana.post(f"/coaching/s/{held}/signoff", {"note": "Muy útil"}))
    done = ben.follow(ben.post(f"/coaching/s/{held}/signoff", {"note": "Well done"}))
    assert "it counts for the skill De-escalation" in text(done)
    hers = ana.get(f"/coaching/s/{held}")
    assert lang_of(hers) == "es"
    assert "la habilidad De-escalation" in text(hers)
    assert "the skill De-escalation" not in text(hers)
    assert "the skill De-escalation" in text(ben.get(f"/coaching/s/{held}"))

    missed = book(ana, add_slot(ben, offer, at="11:00"))
    started(clean_app, missed)
    ben.follow(ben.post(f"/coaching/s/{missed}/noshow", {"note": ""}))
    assert "“Did not come.”" in text(ben.get(f"/coaching/s/{missed}"))
    hers = text(ana.get(f"/coaching/s/{missed}"))
    assert "“No asistió.”" in hers and "Did not come" not in hers
    with clean_app.app_context():
        row = db.session.get(CoachingSession, missed)
        assert row is not None and row.end_reason == "Did not come."  # stored as written
