"""The impact computation on synthetic data: it finds a known effect (and removes the change
everyone shares), does not claim one where there is none, reads the metric's direction, and
refuses to conclude with too few people."""

from __future__ import annotations

from lti_tool.insights import impact, kpi, stats
from tests.insights.conftest import TODAY, metric, world


def ask(w, metric_key: str = "csat", window: int = 28, min_group: int = 10):  # type: ignore[no-untyped-def]
    q = impact.Question(w.path, "", metric(metric_key), w.role, window, min_group)
    return impact.compute(q, w.holders, TODAY)


def test_t_quantiles_match_the_tables() -> None:
    for df, expected in ((1, 12.706), (5, 2.571), (10, 2.228), (30, 2.042), (1000, 1.962)):
        assert abs(stats.t_quantile(0.975, df) - expected) < 1e-3


def test_a_known_effect_is_found_with_an_interval_excluding_zero(tenant: int) -> None:
    w = world(tenant, treated=30, control=40, effect=3.0)
    r = ask(w)
    assert r["status"] == "ok"
    assert (r["n_treated"], r["n_control"]) == (30, 40)
    assert 2.0 < r["difference"] < 4.0
    assert r["low"] > 0 and r["conclusive"]
    # Both groups drift upwards a little: the comparison removes that part.
    assert r["control_change"] > -1.0
    assert r["sentence"].startswith("People who completed “Tier 1 basics” improved CSAT by ")
    assert "more than colleagues in the same role (Tier 1 agent) who had not" in r["sentence"]
    assert "(95% CI " in r["sentence"] and "; 30 vs 40 people)" in r["sentence"]


def test_no_effect_is_not_claimed(tenant: int) -> None:
    w = world(tenant, treated=30, control=40, effect=0.0, trend=4.0)
    r = ask(w)
    assert r["status"] == "ok"
    assert r["low"] < 0 < r["high"]
    assert not r["conclusive"]
    assert r["sentence"].startswith("No clear difference")
    assert "does not claim an effect" in r["sentence"]
    assert "improved" not in r["sentence"]


def test_lower_is_better_reads_a_drop_as_an_improvement(tenant: int) -> None:
    w = world(tenant, treated=25, control=25, effect=-30.0, metric_key="aht", base=420, noise=15)
    r = ask(w, "aht")
    assert r["difference"] < 0 < r["improvement"]
    assert r["improvement_low"] > 0
    assert r["sentence"].startswith("People who completed “Tier 1 basics” improved AHT (lower is")
    assert " seconds more than colleagues" in r["sentence"]


def test_a_worse_result_is_said_plainly(tenant: int) -> None:
    w = world(tenant, treated=25, control=25, effect=-4.0)
    r = ask(w)
    assert r["conclusive"] and r["improvement"] < 0
    assert "did worse on CSAT" in r["sentence"]


def test_too_small_groups_refuse_to_conclude(tenant: int) -> None:
    w = world(tenant, treated=6, control=40, effect=5.0)
    r = ask(w)
    assert r["status"] == "refused"
    assert "difference" not in r
    assert r["sentence"].startswith("Not enough people to conclude about “Tier 1 basics”")
    assert "only 6 people who completed it can be compared (at least 10 needed)" in r["sentence"]


def test_the_minimum_is_configurable(tenant: int) -> None:
    w = world(tenant, treated=6, control=8, effect=5.0)
    assert ask(w, min_group=5)["status"] == "ok"
    r = ask(w, min_group=10)
    assert "only 8 colleagues in the same role" in r["sentence"]


def test_recent_completers_wait_for_their_window(tenant: int) -> None:
    w = world(tenant, treated=12, control=20, effect=3.0)
    r = ask(w, window=90)  # completions 60-120 days ago: some windows are not over
    assert r["too_recent"] > 0
    assert r["n_treated"] == 12 - r["too_recent"]


def test_a_report_is_stored_and_listed(tenant: int) -> None:
    w = world(tenant, treated=12, control=12, effect=3.0)
    q = impact.Question(w.path, "", metric("csat"), w.role, 28, 10)
    row = impact.run(tenant, q, w.holders, "Chloe", TODAY)
    assert impact.latest_reports() == [row]
    assert row.result["n_treated"] == 12
    assert kpi.value_count(metric("csat").id) == 24 * 100


def test_the_impact_chart_draws_each_result_as_svg(app) -> None:  # type: ignore[no-untyped-def]
    """Each row's label, interval and mark are drawn (SVG elements), its tooltip's text escaped:
    a row must never come out as escaped text, leaving an empty chart."""
    from lti_tool.insights.charts import forest_plot

    with app.test_request_context():
        chart = str(
            forest_plot(
                "impact",
                "CSAT",
                "Impact",
                [("Path <A>", 4.2, 3.8, 4.7, True), ("Path B", 0.3, -1.0, 1.6, False)],
            )
        )
    assert chart.count('<line class="ci ') == 2 and chart.count('<rect class="est ') == 2
    assert "&lt;line" not in chart and "&lt;rect" not in chart
    assert ">Path &lt;A&gt;</text>" in chart and "<title>Path &lt;A&gt;: 4.2 (95% CI" in chart
