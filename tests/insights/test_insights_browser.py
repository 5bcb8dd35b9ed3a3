"""The dashboards and an impact report in a real browser, as Chloe (trainer) from the demo:
inside the launcher's iframe, then top level at 360 px and 1280 px. The charts are SVG drawn by
the server: they must show (with their accessible names), fit the narrow screen, and come with
data tables. Screenshots go to /tmp/shots-impact/ and test-artifacts/ (insights-*.png)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright

from lti_tool.devlauncher import demo
from lti_tool.extensions import db
from tests.conftest import overrides
from tests.harness import ServerThread
from tests.test_browser import ARGS, ARTIFACTS, CHROMIUM, TIMEOUT, launch_in_frame

pytestmark = pytest.mark.browser
SHOTS = Path(tempfile.gettempdir()) / "shots-impact"


@pytest.fixture
def site(clean_app: Any, tmp_path: Any) -> Iterator[tuple[str, str]]:
    from lti_tool import create_app

    app = create_app(
        {
            **overrides(tmp_path),
            "DATABASE_URL": clean_app.config["DATABASE_URL"],
            "DEV_LAUNCHER": True,
        }
    )
    app.instance_path = str(tmp_path)
    server = ServerThread(app)
    tool, lms = f"http://127.0.0.1:{server.port}", f"http://localhost:{server.port}"
    app.config.update(DEV_TOOL_URL=tool, DEV_LMS_URL=lms)
    with app.app_context():
        demo.seed(tool, lms)
        db.session.commit()
    yield tool, lms
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def shoot(page: Page, name: str) -> None:
    for folder in (SHOTS, ARTIFACTS):
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"insights-{name}.png"), full_page=True)


def test_chloe_reads_the_dashboards_and_the_impact_report(site: tuple[str, str]) -> None:
    _tool, lms = site
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            frame = launch_in_frame(page, lms, persona="chloe")
            frame.get_by_role("link", name="Learning dashboards").click()
            frame.wait_for_selector("h1:has-text('Learning dashboards')", timeout=TIMEOUT)
            # Inside the LMS iframe the charts are drawn (no script, no third-party cookie).
            chart = frame.locator("svg#chart-completion")
            assert chart.is_visible()
            assert chart.get_attribute("role") == "img"
            assert frame.locator("#chart-completion-t").text_content() == (
                "Paths completed per month by job role"
            )
            assert frame.locator("svg#chart-completion polyline").count() >= 1
            assert frame.locator("svg#chart-hours rect").count() == 12
            assert frame.locator("svg#chart-impact-1").is_visible()
            shoot(page, "dashboard-iframe-1280")

            page.goto(frame.url)  # top level, desktop width
            page.wait_for_selector("h1:has-text('Learning dashboards')", timeout=TIMEOUT)
            box = page.locator("svg#chart-completion").bounding_box()
            assert box is not None and box["width"] > 400 and box["height"] > 150
            page.get_by_text("Data table").first.click()
            assert page.locator("#table-completion").is_visible()
            shoot(page, "dashboard-1280")

            small = browser.new_context(viewport={"width": 360, "height": 800}).new_page()
            small.goto(frame.url)
            small.wait_for_selector("h1:has-text('Learning dashboards')", timeout=TIMEOUT)
            assert fits(small)
            narrow = small.locator("svg#chart-hours").bounding_box()
            assert narrow is not None and 250 < narrow["width"] <= 360
            shoot(small, "dashboard-360")
            for chart in ("chart-completion", "chart-hours", "chart-impact-1"):
                small.locator(f"svg#{chart}").screenshot(
                    path=str(SHOTS / f"insights-{chart}-360.png")
                )

            # The impact report: the sentence, the slope chart, the numbers.
            small.get_by_role("link", name="Impact reports").first.click()
            small.wait_for_selector("h1:has-text('Impact reports')", timeout=TIMEOUT)
            small.get_by_role("link", name="CSAT:").first.click()
            small.wait_for_selector("h1:has-text('Impact on CSAT')", timeout=TIMEOUT)
            assert small.get_by_text("improved CSAT by").is_visible()
            assert small.locator("svg#chart-report circle").count() == 4
            assert fits(small)
            shoot(small, "report-360")
            page.goto(small.url)
            page.wait_for_selector("h1:has-text('Impact on CSAT')", timeout=TIMEOUT)
            shoot(page, "report-1280")

            # The KPI page and its import history, at 360 px.
            small.get_by_role("link", name="KPIs and import").click()
            small.wait_for_selector("h1:has-text('KPIs and import')", timeout=TIMEOUT)
            assert small.get_by_text("kpis-from-the-contact-center.csv").is_visible()
            assert fits(small)
            shoot(small, "kpis-360")
        finally:
            browser.close()
