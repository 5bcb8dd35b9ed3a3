"""The insights pages in Spanish: the dashboards with their charts' titles and month names, the
KPI page and an import's problems, and an impact report worded again in the reader's language
while its stored words stay English."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from babel.dates import format_skeleton
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.insights import kpi
from lti_tool.insights.models import ImpactReport
from lti_tool.lti.models import utcnow
from lti_tool.roles.models import PersonRole, Source
from lti_tool.tenancy import tenant_scope
from tests.harness import FakeLms, lang_of
from tests.insights.conftest import world
from tests.insights.test_pages import agents, chloe, upload  # noqa: F401 (a fixture)
from tests.roles.test_pages import Session, text


def spanish(who: Session) -> Session:
    who.browser.session.headers["Accept-Language"] = "es"
    return who


@pytest.mark.usefixtures("agents")  # Ana, whom the KPI file names
def test_dashboards_and_kpis_in_spanish(lms: FakeLms) -> None:
    who = spanish(chloe(lms))
    page = who.get("/insights/")
    assert page.status_code == 200 and lang_of(page) == "es"
    words = text(page)
    assert "Paneles de aprendizaje" in words
    assert "No se registró aprendizaje en los últimos 12 meses." in words
    assert "Horas de aprendizaje por mes (pasos completados)" in words
    # The months in the tables and the charts are named in Spanish.
    month = format_skeleton("MMMy", utcnow().date(), locale="es")
    assert f'<th scope="row">{month}</th>' in page.text
    assert '<title id="chart-hours-t">Horas de aprendizaje por mes</title>' in page.text
    kpis = who.get("/insights/kpis")
    assert "KPI e importación" in text(kpis) and "Ver la vista previa de la importación" in text(
        kpis
    )
    assert "email,date,metric,value" in kpis.text  # the example file's columns stay
    preview = who.follow(
        upload(who, "email,date,metric,value\nana@example.com,2026-03-02,CSAT,86.5\n")
    )
    assert 'class="num">86,5</td>' in preview.text  # the value read, as Spanish writes it
    bad = who.follow(upload(who, "email,metric,value\nana@example.com,CSAT,80\n"))
    assert lang_of(bad) == "es"
    assert "Línea 1: el encabezado necesita una columna date" in text(bad)
    empty = upload(who, "")
    assert empty.status_code == 400
    assert "El archivo está vacío." in text(empty)


def test_an_impact_report_in_spanish(lms: FakeLms, clean_app: Any) -> None:
    reg = lms.registration_id  # type: ignore[attr-defined]
    with clean_app.app_context(), tenant_scope(db.session, reg):
        kpi.ensure_standard_metrics(reg)
        w = world(reg, treated=14, control=16, effect=3.0)
        for pid in w.holders:
            db.session.add(
                PersonRole(
                    registration_id=reg,
                    person_id=pid,
                    role_id=w.role.id,
                    role_name=w.role.name,
                    source=Source.HR_CSV.value,
                )
            )
        path_id, csat = w.path.id, kpi.lookup()["csat"].id
        db.session.commit()
    who = spanish(chloe(lms))
    bad = who.post("/insights/impact", {"what": "", "metric": str(csat), "window": "28"})
    assert bad.status_code == 400 and lang_of(bad) == "es"
    assert "Elige una ruta o uno de sus pasos." in text(bad)
    ran = who.follow(
        who.post("/insights/impact", {"what": f"p:{path_id}", "metric": str(csat), "window": "28"})
    )
    assert lang_of(ran) == "es"
    words = text(ran)
    assert "Impacto en CSAT: “Tier 1 basics”" in words
    assert "Una mejora clara" in words
    assert "Las personas que completaron “Tier 1 basics” mejoraron CSAT" in words
    assert "14 frente a 16 personas" in words
    # CSAT's unit and description, as Wayfinder made them, in Spanish too.
    assert "puntos" in words and " points" not in words
    kpis = text(who.get("/insights/kpis"))
    assert "Puntuación de satisfacción del cliente" in kpis and "segundos" in kpis
    assert "Customer satisfaction score" not in kpis and "seconds" not in kpis
    assert "Esto compara grupos" in words
    assert "Antes</text>" in ran.text and "Después</text>" in ran.text  # the slope chart
    # Its numbers with Spanish's decimal comma, in words, tables and the charts' labels...
    ci = re.search(r"IC del 95% de (\S+) a (\S+); t de Welch, p (?:=|<) (\S+)\)", words)
    assert ci and all(re.fullmatch(r"\d+,\d+", n) for n in ci.groups()), words
    assert re.search(r'data-label="Promedio antes" class="num">\d+,\d</td>', ran.text)
    assert not re.search(r"\d\.\d", words)
    board = who.get("/insights/")
    assert re.search(r'data-label="Mejor por" class="num">\d+,\d</td>', board.text)
    assert "CSAT (puntos)" in text(board) and "(points)" not in text(board)
    # ...and the point in what spreadsheets read.
    exported = list(csv.reader(io.StringIO(who.get("/insights/export/impact.csv").text)))
    assert re.fullmatch(r"\d+\.\d", exported[1][5]), exported
    # The stored words stay English (the CSV, other readers); each page words them again.
    with clean_app.app_context(), tenant_scope(db.session, reg):
        stored = db.session.scalars(select(ImpactReport)).one()
        assert stored.result["sentence"].startswith("People who completed “Tier 1 basics”")
    who.browser.session.headers["Accept-Language"] = "en"
    assert "People who completed “Tier 1 basics” improved CSAT" in text(
        who.get(ran.url.split(who.base, 1)[1])
    )
