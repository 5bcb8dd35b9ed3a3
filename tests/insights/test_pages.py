"""The insights pages through real launches: role checks, the KPI upload with its preview and
bad rows, an impact report run from the form, CSV exports, and another tenant's data."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.insights import kpi
from lti_tool.insights.models import KpiValue
from lti_tool.people.models import Person
from lti_tool.roles.models import PersonRole, Source
from lti_tool.tenancy import tenant_scope
from tests.conftest import add_registration
from tests.harness import ADMIN, INSTRUCTOR, LEARNER, FakeLms
from tests.insights.conftest import TODAY, world
from tests.roles.test_pages import Session, login, text

PAGES = (
    "/insights/",
    "/insights/kpis",
    "/insights/impact",
    "/insights/export/by_path.csv",
    "/insights/events.csv",
    "/insights/kpis/metrics/new",
)


def chloe(lms: FakeLms) -> Session:
    return login(lms, "chloe", [INSTRUCTOR], "Chloe Chen", "chloe@example.com")


def upload(who: Session, content: str, name: str = "kpis.csv", encoding: str = "utf-8") -> Any:
    return who.browser.post(
        who.url("/insights/kpis"),
        data={"csrf_token": who.csrf()},
        files={"file": (name, content.encode(encoding), "text/csv")},
    )


def apply(who: Session, preview: Any) -> Any:
    """Press the preview's Import button; the page it leads to."""
    action = re.search(r'action="([^"]+/apply[^"]*)"', preview.text)
    assert action
    return who.follow(
        who.browser.post(
            who.base + action.group(1).replace("&amp;", "&"), data={"csrf_token": who.csrf()}
        )
    )


def kpi_count(app: Any, registration_id: int) -> int:
    with app.app_context(), tenant_scope(db.session, registration_id):
        return db.session.scalar(select(func.count()).select_from(KpiValue)) or 0


@pytest.fixture
def agents(lms: FakeLms, clean_app: Any) -> Iterator[int]:
    """Two people of the tenant the KPI files name."""
    reg = lms.registration_id  # type: ignore[attr-defined]
    with clean_app.app_context(), tenant_scope(db.session, reg):
        for sub in ("ana", "ben"):
            db.session.add(
                Person(registration_id=reg, sub=sub, email=f"{sub}@example.com", name=sub.title())
            )
        db.session.commit()
    yield reg


def test_learners_and_leaders_are_kept_out(lms: FakeLms) -> None:
    ana = login(lms, "ana", [LEARNER], "Ana", "ana@example.com")
    for path in PAGES:
        response = ana.get(path)
        assert response.status_code == 403, path
        assert "This page is not for your role" in text(response)
    home = text(ana.get("/"))
    assert "Learning dashboards" not in home


def test_instructors_and_admins_reach_it_from_home(lms: FakeLms) -> None:
    for who in (chloe(lms), login(lms, "dev", [ADMIN], "Dev", "dev@example.com")):
        home = who.get("/").text
        assert "/insights/?lt=" in home
        page = who.get("/insights/")
        assert page.status_code == 200
        assert "No learning recorded in the last 12 months" in text(page)
        for path in PAGES:
            assert who.get(path).status_code == 200, path


def test_kpi_upload_preview_and_apply(lms: FakeLms, agents: int, clean_app: Any) -> None:
    who = chloe(lms)
    content = "email,date,metric,value\nana@example.com,2026-03-02,CSAT,86.5\nben@example.com,2026-03-02,AHT,400\n"
    preview = who.follow(upload(who, content))
    page = text(preview)
    assert "Preview: 2 rows read" in page
    assert "Values 2: 2 new , 0 replace an earlier value, 0 already there" in page
    assert "2 Ana 2026-03-02 CSAT 86.5 new" in page
    assert kpi_count(clean_app, agents) == 0  # the preview writes nothing
    done = apply(who, preview)
    assert "KPIs imported: 2 new values, 0 replaced, 0 already there." in text(done)
    assert "kpis.csv" in text(done)  # the import history
    assert kpi_count(clean_app, agents) == 2
    # The same file again: nothing changes.
    again = who.follow(upload(who, content))
    assert "importing it changes nothing" in text(again)


def test_excel_unicode_text_is_imported(lms: FakeLms, agents: int, clean_app: Any) -> None:
    """Excel's "Unicode text" export: UTF-16 with a byte order mark, tabs, decimal commas."""
    who = chloe(lms)
    content = "email\tdate\tmetric\tvalue\nana@example.com\t2026-03-02\tCSAT\t86,5\n"
    preview = who.follow(upload(who, content, "kpis.txt", "utf-16"))
    assert "Preview: 1 row read" in text(preview)
    done = apply(who, preview)
    assert "KPIs imported: 1 new value" in text(done)
    with clean_app.app_context(), tenant_scope(db.session, agents):
        assert db.session.scalar(select(KpiValue.value)) == 86.5


def test_bad_rows_are_listed_by_line_and_nothing_is_imported(
    lms: FakeLms, agents: int, clean_app: Any
) -> None:
    who = chloe(lms)
    content = (
        "email,date,metric,value\n"
        "ana@example.com,2026-03-02,CSAT,86.5\n"
        "zed@example.com,2026-03-02,CSAT,80\n"
        "ben@example.com,2026-13-02,AHT,400\n"
    )
    preview = who.follow(upload(who, content))
    page = text(preview)
    assert "2 problems need fixing. Nothing will be imported until the whole file is right." in page
    assert "Line 3: no one with email zed@example.com has opened Wayfinder in this LMS" in page
    assert "Line 4: “2026-13-02” is not a date" in page
    assert "/apply" not in preview.text
    pk = re.search(r"/insights/kpis/imports/(\d+)", preview.url)
    assert pk
    refused = who.browser.post(
        who.url(f"/insights/kpis/imports/{pk.group(1)}/apply"), data={"csrf_token": who.csrf()}
    )
    assert "The file has rows to fix; nothing was imported." in text(who.follow(refused))
    assert kpi_count(clean_app, agents) == 0
    problems = who.get(f"/insights/kpis/imports/{pk.group(1)}/problems.csv")
    assert problems.headers["Content-Type"].startswith("text/csv")
    assert [row[0] for row in csv.reader(io.StringIO(problems.text))] == ["line", "3", "4"]


def test_empty_or_missing_files_keep_the_page(lms: FakeLms) -> None:
    who = chloe(lms)
    response = who.post("/insights/kpis")
    assert response.status_code == 400 and "Choose a CSV file to import." in text(response)
    response = upload(who, "   ")
    assert response.status_code == 400 and "The file is empty." in text(response)
    # A spreadsheet saved as .xlsx (a zip: NUL bytes), which PostgreSQL cannot keep as text.
    response = upload(who, "PK\x03\x04\x14\x00\x06\x00date,email,csat", "kpis.xlsx")
    assert response.status_code == 400
    assert "The file is not a CSV text file." in text(response)


def test_impact_report_from_the_form_and_its_exports(lms: FakeLms, clean_app: Any) -> None:
    reg = lms.registration_id  # type: ignore[attr-defined]
    with clean_app.app_context(), tenant_scope(db.session, reg):
        kpi.ensure_standard_metrics(reg)
        w = world(reg, treated=14, control=16, effect=3.0)
        # The comparison needs role holders: everyone's role from the HR import.
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
    who = chloe(lms)
    bad = who.post("/insights/impact", {"what": "", "metric": str(csat), "window": "28"})
    assert bad.status_code == 400
    assert "Choose a path or one of its steps." in text(bad)
    assert 'value="28" selected' in bad.text  # what was chosen stays chosen
    ran = who.follow(
        who.post(
            "/insights/impact",
            {"what": f"p:{path_id}", "metric": str(csat), "window": "28", "role": ""},
        )
    )
    page = text(ran)
    # The synthetic data's dates are around 2026-06-30; today the after-windows are all over.
    assert "People who completed “Tier 1 basics” improved CSAT by" in page
    assert "14 vs 16 people" in page
    svg = re.search(r"<svg class=\"chart\".*?</svg>", ran.text, re.S)
    assert svg and "<title id=" in svg.group(0) and "<desc id=" in svg.group(0)
    assert "style=" not in ran.text
    pk = re.search(r"/insights/impact/(\d+)", ran.url)
    assert pk
    exported = who.get(f"/insights/impact/{pk.group(1)}.csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["Group", "People", "Mean before", "Mean after", "Mean change per person"]
    assert rows[1][:2] == ["Completed it", "14"]
    board = who.get("/insights/")
    assert "chart-impact" in board.text and "Latest impact results" in board.text
    impact_csv = list(csv.reader(io.StringIO(who.get("/insights/export/impact.csv").text)))
    assert impact_csv[1][0] == "“Tier 1 basics”" and impact_csv[1][-1] == "better"
    by_path = list(csv.reader(io.StringIO(who.get("/insights/export/by_path.csv?months=24").text)))
    assert by_path[0] == ["Job role", "Path", "Assigned", "Started", "Completed"]
    assert who.get("/insights/export/nothing.csv").status_code == 404
    # Delete asks first.
    confirm = who.get(f"/insights/impact/{pk.group(1)}/delete")
    assert "Delete this impact report?" in text(confirm)
    who.follow(who.post(f"/insights/impact/{pk.group(1)}/delete"))
    assert who.get(f"/insights/impact/{pk.group(1)}").status_code == 404


def test_another_tenants_data_stays_out(
    lms: FakeLms, clean_app: Any, tool_server: str, agents: int
) -> None:
    reg = lms.registration_id  # type: ignore[attr-defined]
    with clean_app.app_context(), tenant_scope(db.session, reg):
        kpi.ensure_standard_metrics(reg)
        w = world(reg, treated=12, control=12, effect=3.0)
        from lti_tool.insights import impact

        q = impact.Question(w.path, "", kpi.lookup()["csat"], w.role, 28, 10)
        report_id = impact.run(reg, q, w.holders, "Chloe", TODAY).id
        db.session.commit()
    other = FakeLms(client_id="client-2", deployment_id="dep-2")
    try:
        other.connect(tool_server)
        add_registration(clean_app, other)
        tia = login(other, "tia", [INSTRUCTOR], "Tia", "tia@example.com")
        assert tia.get(f"/insights/impact/{report_id}").status_code == 404
        assert tia.get(f"/insights/impact/{report_id}.csv").status_code == 404
        board = text(tia.get("/insights/?months=24"))
        assert "No learning recorded" in board and "Tier 1 basics" not in board
        assert tia.get("/insights/events.csv?months=24").text.strip().count("\n") == 0  # header
        mine = chloe(lms).get("/insights/events.csv?months=24").text.strip().splitlines()
        assert len(mine) == 13 and mine[1].split(",")[3] == "completed"
        assert "Tier 1 basics" not in tia.get("/insights/impact").text
        # People of the first tenant cannot be matched by the second's import.
        preview = tia.follow(
            upload(tia, "email,date,metric,value\nana@example.com,2026-03-02,CSAT,80\n")
        )
        assert "no one with email ana@example.com has opened Wayfinder in this LMS" in text(preview)
        # Nor its uploads opened.
        pk = re.search(r"/insights/kpis/imports/(\d+)", preview.url)
        assert pk
        chloe_session = chloe(lms)
        assert chloe_session.get(f"/insights/kpis/imports/{pk.group(1)}").status_code == 404
    finally:
        other.server.stop()


def test_a_metric_form_keeps_what_was_typed(lms: FakeLms) -> None:
    who = chloe(lms)
    assert "CSAT" in text(who.get("/insights/kpis"))  # the standard four exist
    wrong = who.post("/insights/kpis/metrics/new", {"name": "Sales per hour", "unit": "sales"})
    assert wrong.status_code == 400
    assert "Choose whether a higher or a lower value is better." in text(wrong)
    assert 'value="Sales per hour"' in wrong.text and 'value="sales"' in wrong.text
    done = who.follow(
        who.post(
            "/insights/kpis/metrics/new",
            {"name": "Sales per hour", "unit": "sales", "direction": "higher"},
        )
    )
    assert "Metric Sales per hour saved." in text(done)
    assert "sales_per_hour" in done.text
    pk = re.search(
        r"/insights/kpis/metrics/(\d+)/delete[^\"]*\"><?[^<]*Delete<span class=\"visually-hidden\"> Sales per hour",
        done.text,
    )
    assert pk
    confirm = who.get(f"/insights/kpis/metrics/{pk.group(1)}/delete")
    assert "Delete the metric Sales per hour?" in text(confirm)
    gone = who.follow(who.post(f"/insights/kpis/metrics/{pk.group(1)}/delete"))
    assert "Metric Sales per hour and its values deleted." in text(gone)
    assert "sales_per_hour" not in gone.text
