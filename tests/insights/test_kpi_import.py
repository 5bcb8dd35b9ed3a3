"""The KPI CSV import: people matched as the HR import matches them, every bad row reported
by line, a preview that writes nothing, all or nothing, idempotent, later values replace."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.insights import kpi
from lti_tool.insights.models import KpiValue
from tests.insights.conftest import TODAY, metric, people


def values() -> dict[tuple[str, str, date], float]:
    rows = db.session.execute(
        select(KpiValue.person_id, KpiValue.metric_id, KpiValue.day, KpiValue.value)
    )
    names = {m.id: m.key for m in kpi.metrics()}
    from lti_tool.people.models import Person

    subs = {p.id: p.sub for p in db.session.scalars(select(Person))}
    return {(subs[p], names[m], d): v for p, m, d, v in rows}


def imported(tenant: int, text: str) -> kpi.KpiPlan:
    row = kpi.store_upload(tenant, "kpis.csv", text, "Chloe")
    return kpi.apply(row, TODAY)


GOOD = """email,date,metric,value
ana0@example.com,2026-03-02,CSAT,86.5
ana0@example.com,2026-03-02,AHT,412
ana1@example.com,2026-03-02,qa score,91
"""


def test_preview_counts_and_writes_nothing(tenant: int) -> None:
    people(tenant, 2, "ana")
    plan = kpi.plan(GOOD, TODAY)
    assert plan.errors == []
    assert (plan.rows, plan.values, plan.added, plan.people) == (3, 3, 3, 2)
    assert plan.by_metric == {"AHT": 1, "CSAT": 1, "QA score": 1}
    assert [(s.line, s.metric, s.value, s.status) for s in plan.sample] == [
        (2, "CSAT", 86.5, "new"),
        (3, "AHT", 412.0, "new"),
        (4, "QA score", 91.0, "new"),
    ]
    assert values() == {}


def test_every_bad_row_is_reported_by_line(tenant: int) -> None:
    people(tenant, 2, "ana")
    text = (
        "external_id,email,date,metric,value\n"
        "ana0,,2026-03-02,CSAT,86\n"  # 2 fine
        "nobody,,2026-03-02,CSAT,86\n"  # 3
        ",ana1@example.com,31/02/2026,CSAT,86\n"  # 4
        ",ana1@example.com,2026-03-02,Happiness,86\n"  # 5
        ",ana1@example.com,2026-03-02,AHT,fast\n"  # 6
        ",ana1@example.com,2099-01-01,AHT,300\n"  # 7
        ',ana1@example.com,2026-03-02,FCR,"71,5"\n'  # 8
        "ana0,,2026-03-02,CSAT,90\n"  # 9: another value for line 2's point
        "ana0,,2026-03-02,CSAT,86\n"  # 10: the same value again: fine
        "ana0,ana1@example.com,2026-03-03,CSAT,80\n"  # 11
        ",,2026-03-03,CSAT,80\n"  # 12
    )
    plan = kpi.plan(text, TODAY)
    lines = dict(plan.errors)
    assert sorted(lines) == [3, 4, 5, 6, 7, 8, 9, 11, 12]
    assert "no one with external id “nobody”" in lines[3]
    assert "“31/02/2026” is not a date" in lines[4] and "YYYY-MM-DD" in lines[4]
    assert "no metric is called “Happiness”" in lines[5] and "CSAT" in lines[5]
    assert lines[6] == "“fast” is not a number"
    assert lines[7] == "2099-01-01 is in the future"
    assert "decimal comma: write 71.5" in lines[8]
    assert "line 2 gives Ana 0 another CSAT for 2026-03-02 (86)" in lines[9]
    assert "two different people" in lines[11]
    assert lines[12] == "give an external id or an email"
    assert not plan.ok
    row = kpi.store_upload(tenant, "bad.csv", text, "Chloe")
    with pytest.raises(kpi.NotApplicable):
        kpi.apply(row, TODAY)
    assert values() == {}  # the good row 2 was not applied either: all or nothing


def test_header_problems_name_what_is_missing(tenant: int) -> None:
    assert kpi.plan("name,when,csat\nx,2026-01-01,3\n", TODAY).errors[0] == (
        1,
        "the header needs an external_id or an email column to find people",
    )
    assert "needs a date column" in kpi.plan("email,csat\na@x,3\n", TODAY).errors[0][1]
    assert "both a metric and a value" in kpi.plan("email,date,metric\n", TODAY).errors[0][1]
    errors = kpi.plan("email,date,csat,mood\n", TODAY).errors
    assert "the column “mood” is no metric" in errors[0][1]
    assert kpi.plan("email,date,metric,value\n", TODAY).errors == [
        (2, "the file has a header but no rows")
    ]


def test_a_comma_decimal_region_s_export_reads_with_its_decimal_commas(tenant: int) -> None:
    """Where the decimal mark is a comma, spreadsheets separate fields with semicolons (or tabs,
    in Excel's "Unicode text"), so "86,5" is unambiguous there."""
    people(tenant, 2, "ana")
    for separator in (";", "\t"):
        text = GOOD.replace(",", separator).replace("86.5", "86,5")
        plan = kpi.plan(text, TODAY)
        assert plan.errors == []
        assert [(s.metric, s.value) for s in plan.sample] == [
            ("CSAT", 86.5),
            ("AHT", 412.0),
            ("QA score", 91.0),
        ]
    # Only a plain decimal: "1.234,5" (a thousands mark too) is still no number.
    refused = kpi.plan("email;date;metric;value\nana0@example.com;2026-03-02;AHT;1.234,5\n", TODAY)
    assert refused.errors == [(2, "“1.234,5” is not a number")]


def test_one_column_per_metric(tenant: int) -> None:
    people(tenant, 1, "ana")
    plan = imported(tenant, "email,date,CSAT,AHT,FCR\nana0@example.com,2026-03-02,88,,75%\n")
    assert (plan.added, plan.rows) == (2, 1)
    assert values() == {
        ("ana0", "csat", date(2026, 3, 2)): 88.0,
        ("ana0", "fcr", date(2026, 3, 2)): 75.0,
    }


def test_importing_again_changes_nothing_and_later_values_replace(tenant: int) -> None:
    people(tenant, 2, "ana")
    first = imported(tenant, GOOD)
    assert (first.added, first.replaced, first.unchanged) == (3, 0, 0)
    before = values()
    again = imported(tenant, GOOD)
    assert (again.added, again.replaced, again.unchanged, again.writes) == (0, 0, 3, [])
    assert values() == before
    later = imported(tenant, GOOD.replace("86.5", "90"))
    assert (later.added, later.replaced, later.unchanged) == (0, 1, 2)
    assert values()[("ana0", "csat", date(2026, 3, 2))] == 90.0
    assert db.session.scalar(select(func.count()).select_from(KpiValue)) == 3


def test_an_upload_is_applied_once(tenant: int) -> None:
    people(tenant, 2, "ana")
    row = kpi.store_upload(tenant, "kpis.csv", GOOD, "Chloe")
    kpi.apply(row, TODAY)
    with pytest.raises(kpi.NotApplicable, match="imported already"):
        kpi.apply(row, TODAY)


def test_metrics_can_be_added_with_their_direction(tenant: int) -> None:
    people(tenant, 1, "ana")
    row, errors = kpi.save_metric(tenant, None, {"name": "Sales per hour", "direction": ""})
    assert row is None and "higher or a lower" in errors["direction"]
    row, errors = kpi.save_metric(tenant, None, {"name": "CSAT", "direction": "higher"})
    assert "already uses that name" in errors["key"]
    row, errors = kpi.save_metric(
        tenant, None, {"name": "Sales per hour", "direction": "lower", "unit": "sales"}
    )
    assert row is not None and row.key == "sales_per_hour" and not row.higher_is_better
    plan = imported(
        tenant, "email,date,metric,value\nana0@example.com,2026-03-02,sales per hour,4\n"
    )
    assert plan.added == 1
    assert metric("sales_per_hour").name == "Sales per hour"
    assert kpi.ensure_standard_metrics(tenant) == 0


def test_deleting_a_metric_deletes_its_values(tenant: int) -> None:
    people(tenant, 2, "ana")
    imported(tenant, GOOD)
    kpi.delete_metric(metric("csat"))
    assert sorted(k[1] for k in values()) == ["aht", "qa_score"]
    assert "csat" not in kpi.lookup()
