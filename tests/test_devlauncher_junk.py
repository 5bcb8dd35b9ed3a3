"""The development launcher's pretend-LMS endpoints answer junk JSON with their own "invalid
request" answer (or ignore it), never a crash: a list, a number, or a wrong type where an
object goes. Development only, but the launcher is what a newcomer tries things against."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from adapters.http import HttpClient
from lti_tool.devlauncher import demo
from lti_tool.devlauncher.views import _registration_tokens
from lti_tool.lti.service_tokens import PlatformAccount, ServiceTokens
from lti_tool.lti.toolinfo import SCOPE_LINEITEM, SCOPE_SCORE
from tests.conftest import DemoSite, demo_site

JUNK: list[Any] = [[1, 2], 42, "text", None]
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
SCORE = "application/vnd.ims.lis.v1.score+json"


@pytest.fixture
def site(clean_app: Any, tmp_path: Any) -> Iterator[DemoSite]:
    with demo_site(clean_app.config["DATABASE_URL"], tmp_path) as served:
        yield served


def test_dynamic_registration_endpoint_takes_junk(site: DemoSite) -> None:
    with site.app.app_context():
        token = _registration_tokens().dumps({"r": 1})
    for body in [*JUNK, {"https://purl.imsglobal.org/spec/lti-tool-configuration": "text"}]:
        answer = requests.post(
            f"{site.tool}/dev/platform/register",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        assert answer.status_code == 200, (body, answer.text[:300])
        tool = answer.json()["https://purl.imsglobal.org/spec/lti-tool-configuration"]
        assert tool == {"deployment_id": "demo-dynamic-deployment"}


def test_line_item_and_score_endpoints_refuse_junk_as_invalid_requests(site: DemoSite) -> None:
    with site.app.app_context():
        reg = demo.demo_registration()
        assert reg is not None
        token = ServiceTokens(HttpClient(timeout=5)).get(
            PlatformAccount.of(reg), [SCOPE_LINEITEM, SCOPE_SCORE]
        )
    lineitems = demo.demo_lineitems_url(site.tool)
    scores = lineitems.replace("/lineitems?", "/lineitems/1/lineitem/scores?", 1)
    headers = {"Authorization": f"Bearer {token}"}
    made = requests.post(
        lineitems,
        json={"label": "Practice", "scoreMaximum": 10},
        headers={**headers, "Content-Type": LINEITEM},
        timeout=5,
    )
    assert made.status_code == 201, made.text[:300]
    for body in JUNK:
        for url, media in ((lineitems, LINEITEM), (scores, SCORE)):
            answer = requests.post(
                url, json=body, headers={**headers, "Content-Type": media}, timeout=5
            )
            assert answer.status_code == 400, (url, body, answer.text[:300])
            assert answer.json()["error"] == "invalid_request"
