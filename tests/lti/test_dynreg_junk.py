"""Dynamic registration with junk in the JSON Wayfinder reads: the platform's OpenID
configuration and its answer to the registration. Forms and query strings come without NUL
characters (lti_tool/request_input.py); this JSON comes from the LMS's own server, over HTTP.
Each value alone is junk: a NUL character, text longer than the column it lands in, an address
that is no address ("http://["), a number, a list or an object where text goes, text or a number
where a list goes. Every attempt ends on the confirmation page, the "registered" page or a
page naming the problem, never on "Something went wrong": PostgreSQL (run with
WAYFINDER_TEST_DATABASE_URL) refuses NUL characters and over-long text that SQLite keeps."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urljoin

from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.lti.dynreg import CANVAS_ACCOUNT_NAME, PLATFORM_CONFIGURATION, TOOL_CONFIGURATION
from lti_tool.lti.models import Deployment, Registration
from tests.harness import Browser, form_fields, problem_code
from tests.lti.test_dynreg import SpecPlatform, canvas, moodle, platforms
from tests.test_wrong_input import NUL

__all__ = ["canvas", "moodle", "platforms"]  # the fixtures, imported for this module's tests

LONG = "x" * 600  # past every column a registration keeps (issuer 255, addresses 500)
NOT_TEXT: tuple[Any, ...] = (5, ["x"], {"x": 1}, None)
NOT_A_LIST: tuple[Any, ...] = (5, "abc", {"x": 1}, True)


def config_junk(platform: SpecPlatform) -> list[tuple[str, dict[str, Any]]]:
    """(what, the configuration's values to replace), one value at a time."""
    url, config = platform.url, platform.configuration()
    block = config[PLATFORM_CONFIGURATION]
    cases: list[tuple[str, dict[str, Any]]] = []
    for value in (f"{url}/{NUL}", f"{url}/{LONG}", "http://[", f"{url}/ñ…", *NOT_TEXT):
        cases.append((f"issuer={value!r}", {"issuer": value}))
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint"):
        good = config[name]
        for value in (good + NUL, f"{good}/{LONG}", "http://[", "http://a]b/", *NOT_TEXT):
            cases.append((f"{name}={value!r}", {name: value}))
    for name in ("product_family_code", "version", CANVAS_ACCOUNT_NAME):
        for value in (f"moodle{NUL}", NUL, LONG * 20, *NOT_TEXT):
            cases.append((f"{name}={value!r}", {PLATFORM_CONFIGURATION: {**block, name: value}}))
    for messages in (
        [{"type": ["LtiDeepLinkingRequest"]}],
        [{"type": {"x": 1}}],
        [{"type": "LtiDeepLinkingRequest", "placements": 5}],
        [{"type": "LtiDeepLinkingRequest", "placements": [NUL, ["x"]]}],
        [{"type": f"LtiDeepLinkingRequest{NUL}"}],
        [5, "abc", None],
        *NOT_A_LIST,
    ):
        cases.append(
            (
                f"messages_supported={messages!r}",
                {PLATFORM_CONFIGURATION: {**block, "messages_supported": messages}},
            )
        )
    for value in (*NOT_A_LIST, [], "abc"):
        cases.append((f"the LTI block={value!r}", {PLATFORM_CONFIGURATION: value}))
    for name in ("scopes_supported", "token_endpoint_auth_methods_supported"):
        for value in ([NUL], [["x"]], [{"x": 1}], *NOT_A_LIST):
            cases.append((f"{name}={value!r}", {name: value}))
    return cases


def answer_junk() -> list[tuple[str, Callable[[dict[str, Any]], Any]]]:
    """(what, a change to the platform's answer), one value at a time."""

    def top(name: str, value: Any) -> Callable[[dict[str, Any]], Any]:
        return lambda answer: {**answer, name: value}

    def tool(name: str, value: Any) -> Callable[[dict[str, Any]], Any]:
        return lambda answer: {
            **answer,
            TOOL_CONFIGURATION: {**answer[TOOL_CONFIGURATION], name: value},
        }

    cases: list[tuple[str, Callable[[dict[str, Any]], Any]]] = []
    for value in (f"client{NUL}", NUL, LONG, "", "   ", *NOT_TEXT):
        cases.append((f"client_id={value!r}", top("client_id", value)))
    for value in (f"dep{NUL}", NUL, LONG, *NOT_TEXT):
        cases.append((f"deployment_id={value!r}", tool("deployment_id", value)))
    for value in (f"openid{NUL}", LONG * 20, *NOT_TEXT):
        cases.append((f"scope={value!r}", top("scope", value)))
    for name in ("claims", "messages"):
        for value in (
            [NUL],
            [["x"]],
            [{"type": NUL, "placements": [NUL]}],
            [{"type": ["x"]}],
            [{"type": "LtiDeepLinkingRequest", "placements": 5}],
            *NOT_A_LIST,
        ):
            cases.append((f"{name}={value!r}", tool(name, value)))
    for value in (*NOT_A_LIST, []):
        cases.append((f"the tool block={value!r}", top(TOOL_CONFIGURATION, value)))
    for value in ([], "abc", 5, None):
        cases.append((f"the answer={value!r}", lambda _answer, value=value: value))
    return cases


def changed(
    answer: Callable[[dict[str, Any]], Any], change: Callable[[dict[str, Any]], Any]
) -> Callable[[dict[str, Any]], Any]:
    """The platform's answer to a registration, with one change."""
    return lambda body: change(answer(body))


def broken(response: Any) -> bool:
    """A 5xx that is not a named registration problem (502: the LMS's registration service
    failed), or a traceback."""
    return (response.status_code >= 500 and not problem_code(response)) or any(
        words in response.text for words in ("Traceback", "Something went wrong")
    )


def register(tool_server: str, platform: SpecPlatform) -> tuple[Any, Any]:
    browser = Browser()
    page = browser.get(platform.register_url(tool_server))
    if page.status_code != 200:
        return page, None
    action, fields = form_fields(page.text)
    return page, browser.post(urljoin(tool_server + "/", action), data=fields)


def no_nul_kept(app: Any) -> None:
    """What was registered holds no NUL character (SQLite would have kept one)."""
    with app.app_context():
        for reg in db.session.scalars(select(Registration)):
            kept = json.dumps(
                [
                    *(reg.issuer, reg.client_id, reg.name, reg.platform_version),
                    *(reg.auth_login_url, reg.auth_token_url, reg.key_set_url, reg.granted),
                ]
            )
            assert "\\u0000" not in kept, kept
        for dep in db.session.scalars(select(Deployment)):
            assert NUL not in dep.deployment_id


def test_junk_in_the_platforms_configuration(
    moodle: SpecPlatform, canvas: SpecPlatform, tool_server: str, clean_app: Any
) -> None:
    failures = []
    for platform in (moodle, canvas):
        for n, (what, override) in enumerate(config_junk(platform)):
            platform.config_override = override
            platform.lms.client_id = f"{platform.kind}-client-{n}"  # type: ignore[union-attr]
            page, done = register(tool_server, platform)
            for response in (page, done):
                if response is not None and broken(response):
                    failures.append(f"{platform.kind} {what:.100} -> {response.status_code}")
    for address in ("http://[", "http://a]b/x", f"http://127.0.0.1/{NUL}", LONG):
        page = Browser().get(
            tool_server + "/lti/register?" + urlencode({"openid_configuration": address})
        )
        if broken(page):
            failures.append(f"openid_configuration={address!r:.40} -> {page.status_code}")
    assert not failures, f"{len(failures)} answers of 5xx:\n" + "\n".join(failures)
    no_nul_kept(clean_app)


def test_junk_in_the_platforms_answer(
    moodle: SpecPlatform, canvas: SpecPlatform, tool_server: str, clean_app: Any
) -> None:
    failures = []
    registered = 0
    for platform in (moodle, canvas):
        spec_answer = platform.answer
        for n, (what, change) in enumerate(answer_junk()):
            assert platform.lms is not None
            platform.lms.client_id = f"{platform.kind}-client-{n}"
            platform.answer = changed(spec_answer, change)  # type: ignore[method-assign]
            page, done = register(tool_server, platform)
            assert page.status_code == 200, (what, page.status_code)
            if broken(done):
                failures.append(f"{platform.kind} {what:.100} -> {done.status_code}")
            registered += done.status_code == 200
    assert not failures, f"{len(failures)} answers of 5xx:\n" + "\n".join(failures)
    assert registered > 10, registered  # junk Wayfinder can live with (it keeps no NUL)
    no_nul_kept(clean_app)
