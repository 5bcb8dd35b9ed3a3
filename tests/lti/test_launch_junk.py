"""A launch whose id_token, signed by the LMS, carries junk in its claims: a NUL character,
text longer than the column keeping it, an address that is no address ("http://["), a list
where text goes. The launch goes through (NUL characters dropped, names cut to their column,
unusable service addresses left out) or is refused with a page naming the claim, never
"Something went wrong": PostgreSQL (run with WAYFINDER_TEST_DATABASE_URL) refuses NUL
characters and over-long text that SQLite keeps."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.people.models import Course, Person
from tests.deeplinking.test_deeplinking import deep_link_as, moodle_settings
from tests.harness import INSTRUCTOR, Browser, FakeLms, TokenMutation, launch, problem_code
from tests.test_wrong_input import NUL

C = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
LONG = "x" * 2000

# (claims to change, the problem code of a refusal, or "" when the launch goes through)
CASES: dict[str, tuple[dict[str, Any], str]] = {
    "NUL in the name": ({"name": f"Lee{NUL}", "given_name": NUL, "family_name": NUL}, ""),
    "NUL in the email": ({"email": f"lee{NUL}@example.com"}, ""),
    "NUL in the sub": ({"sub": f"user-1{NUL}"}, ""),
    "NUL in the deployment": ({C + "deployment_id": f"dep-1{NUL}"}, ""),
    "NUL in the context": (
        {C + "context": {"id": f"c-1{NUL}", "title": f"T{NUL}", "label": NUL}},
        "",
    ),
    "NUL in the resource link": ({C + "resource_link": {"id": f"r{NUL}", "title": NUL}}, ""),
    "NUL in a custom parameter": ({C + "custom": {f"job{NUL}_role": f"Tier 1{NUL}"}}, ""),
    "NUL in a role": (
        {C + "roles": [f"http://purl.imsglobal.org/vocab/lis/v2/membership#Learner{NUL}"]},
        "",
    ),
    "NUL in the locale": ({C + "launch_presentation": {"locale": f"es{NUL}"}}, ""),
    "NUL in the service addresses": (
        {
            AGS: {"scope": [NUL], "lineitems": f"http://127.0.0.1/li{NUL}"},
            NRPS: {"context_memberships_url": f"http://127.0.0.1/m{NUL}"},
        },
        "",
    ),
    "long names": ({"name": LONG, "given_name": LONG, "family_name": LONG, "email": LONG}, ""),
    "long context title": ({C + "context": {"id": "c-1", "title": LONG, "label": LONG}}, ""),
    "long service addresses": (
        {
            AGS: {"scope": [], "lineitems": f"http://127.0.0.1/{LONG}"},
            NRPS: {"context_memberships_url": f"http://127.0.0.1/{LONG}"},
        },
        "",
    ),
    "addresses that are none": (
        {
            AGS: {"scope": [], "lineitems": "http://["},
            NRPS: {"context_memberships_url": "http://["},
            C + "launch_presentation": {"return_url": "http://["},
        },
        "",
    ),
    "long sub": ({"sub": LONG}, "missing_claim"),
    "long context id": ({C + "context": {"id": LONG}}, "missing_claim"),
    "long resource link id": ({C + "resource_link": {"id": LONG}}, "missing_claim"),
    "long custom parameter": ({C + "custom": {"job_role": LONG}}, ""),
    "a list for the name": ({"name": ["Lee"], "email": {"a": 1}}, ""),
    "a list for the custom parameters": ({C + "custom": ["a"]}, ""),
    "text for the context": ({C + "context": "abc"}, ""),
}


def broken(response: Any) -> bool:
    return (response.status_code >= 500 and not problem_code(response)) or any(
        words in response.text for words in ("Traceback", "Something went wrong")
    )


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_junk_in_a_signed_launch(case: str, lms: FakeLms, browser: Browser, clean_app: Any) -> None:
    claims, refused = CASES[case]
    lms.mutation = TokenMutation(claims=claims)
    response = launch(browser, lms).final
    assert not broken(response), (response.status_code, response.text[:500])
    if refused:
        assert 400 <= response.status_code < 500 and problem_code(response) == refused
        assert "255" in response.text  # the detail names the limit
    else:
        assert response.status_code == 200, (response.status_code, problem_code(response))
    with clean_app.app_context():
        kept = [
            *db.session.execute(select(Person.sub, Person.name, Person.email, Person.job_role)),
            *db.session.execute(select(Course.context_id, Course.title, Course.roster_url)),
        ]
        assert not any(NUL in str(value) for row in kept for value in row), kept


@pytest.mark.parametrize("return_url", ["http://[", f"http://127.0.0.1/dl{NUL}", LONG])
def test_junk_deep_linking_return_address(return_url: str, lms: FakeLms, browser: Browser) -> None:
    settings = moodle_settings(lms)
    deep_link_as(lms, [INSTRUCTOR], {**settings, "deep_link_return_url": return_url})
    response = launch(browser, lms).final
    assert not broken(response), (response.status_code, response.text[:500])
