"""The voice pages in Spanish: a learner launched with a Spanish browser reads the suggestions
page, its form errors and its flash message in Spanish; a trainer gets Wayfinder's suggested
pulse questions in Spanish and the scheduled survey's dates with Spanish month names."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

from babel.dates import format_skeleton

from lti_tool.lti.models import utcnow
from tests.community.conftest import Session, text
from tests.harness import FakeLms, lang_of
from tests.voice.test_pulse import agent, role_id, schedule, set_dates


def spanish(who: Session) -> Session:
    who.browser.session.headers["Accept-Language"] = "es"
    return who


def test_suggestions_in_spanish(ana: Session) -> None:
    ana = spanish(ana)
    page = ana.get("/voice/")
    assert page.status_code == 200 and lang_of(page) == "es"
    words = text(page)
    assert "Sugerencias de capacitación" in words
    assert "Sugerir una capacitación" in words
    assert "Cualquier estado" in words and "Abierta (0)" in words
    empty = ana.post("/voice/new", {"title": ""})
    assert empty.status_code == 400 and lang_of(empty) == "es"
    assert "Corrige el problema que aparece abajo." in text(empty)
    assert "Di en pocas palabras qué te gustaría aprender." in text(empty)
    posted = ana.follow(
        ana.post("/voice/new", {"title": "Atender reclamos de facturación", "confirm": "1"})
    )
    words = text(posted)
    assert "Tu sugerencia está publicada." in words
    assert "0 votos" in words and "Tu sugerencia" in words
    mine = ana.get("/voice/mine")
    assert "Mis sugerencias y votos" in text(mine)
    assert "Esperando la respuesta de un capacitador." in text(mine)


def test_pulse_surveys_in_spanish(chloe: Session) -> None:
    chloe = spanish(chloe)
    form = chloe.get("/voice/pulse/new")
    assert form.status_code == 200 and lang_of(form) == "es"
    assert "Programar una encuesta de pulso" in text(form)
    # Wayfinder's own wording of the questions comes in the trainer's language.
    assert 'value="La capacitación que tuve este mes me ayuda en mis llamadas."' in form.text
    assert "¿Qué única cosa mejoraría el aprendizaje aquí?" in form.text
    today = utcnow().date()
    closes = today + timedelta(days=40)
    response = chloe.post(
        "/voice/pulse/new",
        {
            "title": "Pulso de aprendizaje",
            "audience": "everyone",
            "q1": "Sé qué aprender a continuación.",
            "opens_on": today.isoformat(),
            "closes_on": closes.isoformat(),
        },
    )
    results = chloe.follow(response)
    words = text(results)
    month = format_skeleton("dMMMy", closes, locale="es")
    assert "“Pulso de aprendizaje” está programada para Todos, del " in words
    assert f"al {month}." in words
    assert "Descargar los totales en CSV" in words
    assert "Los resultados se muestran cuando la encuesta cierre, el " in words


def test_pulse_averages_in_spanish_keep_a_point_in_the_csv(
    clean_app: Any, lms: FakeLms, chloe: Session, ana: Session
) -> None:
    """Averages read on the page take Spanish's decimal comma (the table, the chart's words);
    the CSV a spreadsheet reads, and the chart's drawing, keep the point."""
    pk = schedule(chloe, str(role_id(clean_app, "Tier 1 agent")), title="Monthly pulse")
    for i, who in enumerate([ana] + [agent(lms, f"agent{i}") for i in range(4)]):
        who.post(f"/voice/pulse/{pk}", {"q1": str(min(i + 2, 5)), "q2": "3"})  # q1: 3.8
    set_dates(clean_app, pk, -1)
    chloe = spanish(chloe)
    shown = chloe.get(f"/voice/pulse/{pk}/results")
    assert lang_of(shown) == "es"
    assert 'data-label="Promedio" class="num">3,8</td>' in shown.text
    chart = re.search(r'<svg class="chart" id="pulse-averages".*?</svg>', shown.text, re.S)
    assert chart and "P1 3,8; P2 3,0" in chart.group(0) and ">3,8</text>" in chart.group(0)
    assert re.search(r'width="\d+\.\d"', chart.group(0))  # SVG geometry keeps its point
    assert "3.8" not in text(shown)
    compare = chloe.get(f"/voice/pulse/{pk}/compare")
    assert 'class="num">3,8</td>' in compare.text
    rows = list(csv.reader(io.StringIO(chloe.get(f"/voice/pulse/{pk}/results.csv").text)))
    assert rows[1][7] == "3.80" and rows[2][7] == "3.00"
