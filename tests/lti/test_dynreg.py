"""LTI Dynamic Registration against served platforms that follow the spec: one shaped like Moodle
4.1 (mod/lti/openid-configuration.php and openid-registration.php), one like Canvas
(/api/lti/security/openid-configuration, /api/lti/registrations, Bearer token on both), each
followed by a real launch through the registration it created."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from flask import Flask, Response, jsonify, redirect, request
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.lti import toolinfo
from lti_tool.lti.models import Deployment, DeploymentStatus, PlatformKind, Registration
from tests.harness import Browser, FakeLms, ServerThread, form_fields, launch, page_title

TOKEN = "reg-token-0123456789"
MOODLE_SCOPES = [
    toolinfo.SCOPE_LINEITEM,
    toolinfo.SCOPE_LINEITEM_READONLY,
    toolinfo.SCOPE_RESULT_READONLY,
    toolinfo.SCOPE_SCORE,
    toolinfo.SCOPE_NRPS,
    "https://purl.imsglobal.org/spec/lti-ts/scope/toolsetting",
    "https://purl.imsglobal.org/spec/lti-bo/scope/basicoutcome",
    "openid",
]
CANVAS_PLACEMENTS_RL = ["account_navigation", "course_navigation", "user_navigation"]
CANVAS_PLACEMENTS_DL = ["assignment_selection", "link_selection", "editor_button"]


@dataclass
class SpecPlatform:
    """A platform's dynamic registration side; launches go through the FakeLms `lms`."""

    kind: str
    lms: FakeLms | None = None
    answer_deployment: bool = True
    grant_scopes: list[str] | None = None  # None: grant what was asked
    grant_claims: list[str] | None = None
    fail_registration: tuple[int, Any] | None = None
    config_override: dict[str, Any] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    received: list[dict[str, Any]] = field(default_factory=list)
    config_auth: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.server = ServerThread(self._app())
        self.url = f"http://127.0.0.1:{self.server.port}"

    @property
    def config_path(self) -> str:
        if self.kind == "moodle":
            return "/mod/lti/openid-configuration.php"
        return "/api/lti/security/openid-configuration"

    def register_url(self, tool: str, token: str = TOKEN) -> str:
        config_url = self.url + self.config_path
        if self.kind == "canvas":  # Canvas puts the token in the configuration URL too
            config_url += "?" + urlencode({"registration_token": token})
        return (
            tool
            + "/lti/register?"
            + urlencode({"openid_configuration": config_url, "registration_token": token})
        )

    def configuration(self) -> dict[str, Any]:
        assert self.lms is not None
        if self.kind == "moodle":
            config: dict[str, Any] = {
                "issuer": self.url,
                "token_endpoint": self.url + "/mod/lti/token.php",
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
                "jwks_uri": self.lms.url + "/jwks",
                "authorization_endpoint": self.lms.url + "/auth",
                "registration_endpoint": self.url + "/mod/lti/openid-registration.php",
                "scopes_supported": MOODLE_SCOPES,
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public", "pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
                "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                    "product_family_code": "moodle",
                    "version": "4.1.2 (Build: 20230313)",
                    "messages_supported": [
                        {"type": "LtiResourceLinkRequest"},
                        {"type": "LtiDeepLinkingRequest", "placements": ["ContentArea"]},
                    ],
                    "variables": ["basic-lti-launch-request", "Context.id", "Person.email.primary"],
                },
            }
        else:
            config = {
                "issuer": self.url,
                "authorization_endpoint": self.lms.url + "/auth",
                "registration_endpoint": self.url + "/api/lti/registrations",
                "jwks_uri": self.lms.url + "/jwks",
                "token_endpoint": self.url + "/login/oauth2/token",
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
                "scopes_supported": [*toolinfo.SCOPES, "openid"],
                "response_types_supported": ["id_token"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "claims_supported": ["sub", "picture", "email", "name", "locale"],
                "subject_types_supported": ["public"],
                "authorization_server": "canvas.instructure.com",
                "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                    "product_family_code": "canvas",
                    "version": "vCloud",
                    "messages_supported": [
                        {"type": "LtiResourceLinkRequest", "placements": CANVAS_PLACEMENTS_RL},
                        {"type": "LtiDeepLinkingRequest", "placements": CANVAS_PLACEMENTS_DL},
                    ],
                    "variables": ["Canvas.user.id", "Canvas.course.id"],
                    "https://canvas.instructure.com/lti/account_name": "Acme Contact Center",
                },
            }
        config.update(self.config_override)
        for name in self.drop:
            config.pop(name, None)
        return config

    def _app(self) -> Flask:
        app = Flask(f"spec_{self.kind}")

        @app.get("/mod/lti/openid-configuration.php")
        @app.get("/api/lti/security/openid-configuration")
        def openid_configuration() -> Any:
            self.config_auth.append(request.headers.get("Authorization", ""))
            if self.kind == "canvas" and request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return jsonify({"errors": [{"message": "Invalid access token"}]}), 401
            return jsonify(self.configuration())

        @app.post("/mod/lti/openid-registration.php")
        @app.post("/api/lti/registrations")
        def registration() -> Any:
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return jsonify({"error": "token_already_used"}), 401
            body = request.get_json()
            self.received.append(body)
            problem = self.check(body)
            if problem:
                return jsonify(
                    {"error": "invalid_client_metadata", "error_description": problem}
                ), 400
            if self.fail_registration:
                status, payload = self.fail_registration
                return Response(json.dumps(payload), status=status, mimetype="application/json")
            return jsonify(self.answer(body))

        return app

    def check(self, body: dict[str, Any]) -> str:
        """What both platforms refuse (Moodle's registration_helper, Canvas's Registration)."""
        tool = body.get("https://purl.imsglobal.org/spec/lti-tool-configuration") or {}
        if "id_token" not in body.get("response_types", []):
            return "invalid_response_types"
        if body.get("token_endpoint_auth_method") != "private_key_jwt":
            return "invalid_token_endpoint_auth_method"
        if body.get("application_type") != "web":
            return "invalid_application_type"
        if not isinstance(body.get("redirect_uris"), list):
            return "invalid_redirect_uris"
        for name in ("initiate_login_uri", "client_name", "jwks_uri"):
            if not body.get(name):
                return f"missing required attribute {name}"
        if not tool.get("domain") or not tool.get("target_link_uri"):
            return "missing domain or target_link_uri"
        if tool["domain"] != urlsplit(tool["target_link_uri"]).netloc:
            return "domain does not match target_link_uri"
        if self.kind == "canvas":
            if sorted(body.get("grant_types", [])) != ["client_credentials", "implicit"]:
                return "grant_types"
            invalid = set(body.get("scope", "").split()) - set(toolinfo.SCOPES)
            if invalid:
                return f"Invalid scopes: {invalid}"
        return ""

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        assert self.lms is not None
        tool = body["https://purl.imsglobal.org/spec/lti-tool-configuration"]
        scopes = self.grant_scopes if self.grant_scopes is not None else body["scope"].split()
        claims = self.grant_claims if self.grant_claims is not None else tool["claims"]
        if self.kind == "moodle":  # registration_helper::config_to_registration
            deep = [m for m in tool["messages"] if m["type"] == "LtiDeepLinkingRequest"]
            answer_tool: dict[str, Any] = {
                "deployment_id": self.lms.deployment_id,
                "target_link_uri": tool["target_link_uri"],
                "domain": tool["domain"],
                "description": tool.get("description", ""),
                "claims": claims,
            }
            if deep:
                answer_tool["messages"] = [
                    {"type": "LtiDeepLinkingRequest", "target_link_uri": deep[0]["target_link_uri"]}
                ]
            return {
                "client_id": self.lms.client_id,
                "token_endpoint_auth_method": "private_key_jwt",
                "response_types": ["id_token"],
                "jwks_uri": body["jwks_uri"],
                "initiate_login_uri": body["initiate_login_uri"],
                "grant_types": ["client_credentials", "implicit"],
                "redirect_uris": body["redirect_uris"],
                "application_type": ["web"],
                "client_name": body["client_name"],
                "logo_uri": "",
                "scope": " ".join(scopes),
                "https://purl.imsglobal.org/spec/lti-tool-configuration": answer_tool,
            }
        answer_tool = dict(tool, claims=claims)
        answer_tool["https://canvas.instructure.com/lti/registration_config_url"] = (
            self.url + "/api/lti/registrations/1/view"
        )
        if self.answer_deployment:
            answer_tool["deployment_id"] = self.lms.deployment_id
        return {
            **body,
            "client_id": self.lms.client_id,
            "scope": " ".join(scopes),
            "https://purl.imsglobal.org/spec/lti-tool-configuration": answer_tool,
        }

    def stop(self) -> None:
        self.server.stop()


def make_platform(tool_server: str, kind: str, client_id: str, **options: Any) -> SpecPlatform:
    platform = SpecPlatform(kind, **options)
    lms = FakeLms(issuer_base=platform.url, client_id=client_id, deployment_id=f"{kind}-dep-7")
    lms.connect(tool_server)
    platform.lms = lms
    return platform


@pytest.fixture
def platforms(clean_app: Any, tool_server: str) -> Iterator[list[SpecPlatform]]:
    made: list[SpecPlatform] = []
    yield made
    for platform in made:
        platform.stop()
        if platform.lms:
            platform.lms.server.stop()


@pytest.fixture
def moodle(platforms: list[SpecPlatform], tool_server: str) -> SpecPlatform:
    platforms.append(make_platform(tool_server, "moodle", "moodle-client-1"))
    return platforms[-1]


@pytest.fixture
def canvas(platforms: list[SpecPlatform], tool_server: str) -> SpecPlatform:
    platforms.append(make_platform(tool_server, "canvas", "10000000000042"))
    return platforms[-1]


def open_and_confirm(browser: Browser, tool_server: str, platform: SpecPlatform) -> tuple[Any, Any]:
    page = browser.get(platform.register_url(tool_server))
    if page.status_code != 200:
        return page, None
    action, fields = form_fields(page.text)
    done = browser.post(urljoin(tool_server + "/", action), data=fields)
    return page, done


def registrations(app: Any) -> list[Registration]:
    with app.app_context():
        rows = list(db.session.scalars(select(Registration).order_by(Registration.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def deployments(app: Any, registration_id: int) -> list[tuple[str, DeploymentStatus]]:
    with app.app_context():
        return [
            (d.deployment_id, d.status)
            for d in db.session.scalars(
                select(Deployment).where(Deployment.registration_id == registration_id)
            )
        ]


def test_moodle_round_trip_then_a_launch(
    moodle: SpecPlatform, tool_server: str, clean_app: Any
) -> None:
    browser = Browser()
    page, done = open_and_confirm(browser, tool_server, moodle)

    assert page.status_code == 200
    assert "Register Wayfinder with Moodle at 127.0.0.1" in page_title(page)
    assert "Send progress as scores (AGS scores)" in page.text
    assert TOKEN not in page.text  # the registration token stays server-side
    assert "Content-Security-Policy" in page.headers
    assert "frame-ancestors *" in page.headers["Content-Security-Policy"]

    sent = moodle.received[0]
    tool = sent["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert tool["domain"] == urlsplit(tool_server).netloc
    assert sent["initiate_login_uri"] == tool_server + "/lti/login"
    assert sent["redirect_uris"] == [tool_server + "/lti/launch"]
    assert sent["jwks_uri"] == tool_server + "/lti/jwks"
    # Moodle names no Canvas placements; its deep linking placement is ContentArea.
    assert {m["type"]: m.get("placements") for m in tool["messages"]} == {
        "LtiResourceLinkRequest": None,
        "LtiDeepLinkingRequest": ["ContentArea"],
    }
    assert "canvas_user_id" not in tool["custom_parameters"]
    assert "job_role" in tool["custom_parameters"]
    # A standard LTI variable: Moodle fills it with the person's zone, or "99" for the site's.
    assert tool["custom_parameters"]["timezone"] == "$Person.address.timezone"

    assert done.status_code == 200
    assert "Wayfinder is registered" in page_title(done)
    assert "moodle-client-1" in done.text
    assert "Pending" in done.text  # Moodle's own activation step is explained
    assert 'data-autoclose="1"' in done.text  # nothing missing: the dialog closes by itself
    assert "lti-close.js" in done.text

    [reg] = registrations(clean_app)
    assert (reg.issuer, reg.client_id, reg.platform) == (
        moodle.url,
        "moodle-client-1",
        PlatformKind.MOODLE,
    )
    assert reg.auth_login_url == moodle.lms.url + "/auth"  # type: ignore[union-attr]
    assert reg.auth_token_url == moodle.url + "/mod/lti/token.php"
    assert reg.registered_via == "dynamic"
    assert reg.platform_version.startswith("4.1.2")
    assert reg.granted is not None
    assert set(toolinfo.SCOPES) <= set(reg.granted["scopes"])
    assert deployments(clean_app, reg.id) == [("moodle-dep-7", DeploymentStatus.ACTIVE)]

    assert moodle.lms is not None
    attempt = launch(Browser(), moodle.lms)
    assert attempt.final.status_code == 200
    home = Browser().get(urljoin(tool_server, attempt.final.headers["Content-Location"]))
    assert home.status_code == 200


def test_canvas_round_trip_then_a_launch(
    canvas: SpecPlatform, tool_server: str, clean_app: Any
) -> None:
    browser = Browser()
    page, done = open_and_confirm(browser, tool_server, canvas)

    assert page.status_code == 200
    assert "Acme Contact Center (Canvas)" in page_title(page)
    assert canvas.config_auth == [f"Bearer {TOKEN}"]  # Canvas requires the token here too

    sent = canvas.received[0]
    tool = sent["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert tool["https://canvas.instructure.com/lti/privacy_level"] == "public"
    assert tool["https://canvas.instructure.com/lti/tool_id"] == "wayfinder"
    assert {m["type"]: m["placements"] for m in tool["messages"]} == {
        "LtiResourceLinkRequest": ["course_navigation", "account_navigation"],
        "LtiDeepLinkingRequest": ["link_selection", "assignment_selection"],
    }
    assert tool["custom_parameters"]["canvas_user_id"] == "$Canvas.user.id"
    assert tool["custom_parameters"]["canvas_course_id"] == "$Canvas.course.id"
    assert tool["custom_parameters"]["timezone"] == "$Person.address.timezone"

    assert done.status_code == 200
    assert "Everything Wayfinder needs was granted" in done.text
    [reg] = registrations(clean_app)
    assert (reg.client_id, reg.platform, reg.name) == (
        "10000000000042",
        PlatformKind.CANVAS,
        "Acme Contact Center (Canvas)",
    )
    assert deployments(clean_app, reg.id) == [("canvas-dep-7", DeploymentStatus.ACTIVE)]
    assert {m["type"] for m in reg.granted["messages"]} == {  # type: ignore[index]
        "LtiResourceLinkRequest",
        "LtiDeepLinkingRequest",
    }

    assert canvas.lms is not None
    attempt = launch(Browser(), canvas.lms)
    assert attempt.final.status_code == 200


def test_canvas_without_deployment_id_explains_the_approval(
    platforms: list[SpecPlatform], tool_server: str, clean_app: Any
) -> None:
    platforms.append(
        make_platform(tool_server, "canvas", "10000000000043", answer_deployment=False)
    )
    _, done = open_and_confirm(Browser(), tool_server, platforms[-1])
    assert done.status_code == 200
    assert "not sent by the LMS" in done.text
    [reg] = registrations(clean_app)
    assert "deployments approve " + str(reg.id) in done.text
    assert deployments(clean_app, reg.id) == []


def test_what_was_not_granted_is_named(
    platforms: list[SpecPlatform], tool_server: str, clean_app: Any
) -> None:
    platforms.append(
        make_platform(
            tool_server,
            "moodle",
            "moodle-client-9",
            grant_scopes=[toolinfo.SCOPE_LINEITEM_READONLY],
            grant_claims=["sub", "iss"],
            config_override={
                "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                    "product_family_code": "moodle",
                    "version": "4.1",
                    "messages_supported": [{"type": "LtiResourceLinkRequest"}],
                }
            },
        )
    )
    _, done = open_and_confirm(Browser(), tool_server, platforms[-1])
    assert done.status_code == 200
    assert 'data-autoclose="0"' in done.text  # the admin reads the warnings first
    for words in (
        "Progress made in Wayfinder cannot reach the LMS gradebook",
        "Roster sync cannot run",
        "will not share people&#39;s names or email addresses",
        "No content selection (Deep Linking)",
        "IMS LTI Assignment and Grade Services",
    ):
        assert words in done.text
    [reg] = registrations(clean_app)
    assert reg.granted == {
        "scopes": [toolinfo.SCOPE_LINEITEM_READONLY],
        "messages": [],
        "claims": ["sub", "iss"],
    }


def test_same_issuer_new_client_id_makes_a_new_registration(
    platforms: list[SpecPlatform], tool_server: str, clean_app: Any
) -> None:
    first = make_platform(tool_server, "moodle", "moodle-client-1")
    platforms.append(first)
    open_and_confirm(Browser(), tool_server, first)
    assert first.lms is not None
    first.lms.client_id, first.lms.deployment_id = "moodle-client-2", "moodle-dep-8"
    _, done = open_and_confirm(Browser(), tool_server, first)
    assert done.status_code == 200
    regs = registrations(clean_app)
    assert [(r.issuer, r.client_id) for r in regs] == [
        (first.url, "moodle-client-1"),
        (first.url, "moodle-client-2"),
    ]
    # An answer naming a client_id Wayfinder already knows is refused, never applied: otherwise
    # whoever answers could repoint (or re-enable) an existing registration's keys.
    with clean_app.app_context():
        reg = db.session.scalar(
            select(Registration).where(Registration.client_id == "moodle-client-2")
        )
        reg.enabled = False
        db.session.commit()
    _, again = open_and_confirm(Browser(), tool_server, first)
    assert again.status_code == 409 and problem_code(again) == "already_registered"
    regs = registrations(clean_app)
    assert len(regs) == 2 and not regs[1].enabled
    assert regs[1].key_set_url == first.lms.url + "/jwks"


def problem_code(response: Any) -> str:
    import re

    match = re.search(r"<dt>Problem code</dt><dd><code>([^<]+)</code>", response.text)
    return match.group(1) if match else ""


def test_a_confirmation_works_once(moodle: SpecPlatform, tool_server: str, clean_app: Any) -> None:
    browser = Browser()
    page = browser.get(moodle.register_url(tool_server))
    action, fields = form_fields(page.text)
    assert browser.post(urljoin(tool_server, action), data=fields).status_code == 200
    again = browser.post(urljoin(tool_server, action), data=fields)
    assert again.status_code == 400 and problem_code(again) == "registration_expired"
    forged = browser.post(urljoin(tool_server, action), data={"registration": "x.y.z"})
    assert forged.status_code == 400 and problem_code(forged) == "registration_expired"
    assert len(registrations(clean_app)) == 1


def test_confirmation_posted_from_another_site_is_refused(
    moodle: SpecPlatform, tool_server: str, clean_app: Any
) -> None:
    browser = Browser()
    page = browser.get(moodle.register_url(tool_server))
    action, fields = form_fields(page.text)
    response = browser.post(
        urljoin(tool_server, action), data=fields, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 400
    assert registrations(clean_app) == []
    assert moodle.received == []


def test_a_bad_registration_token_gets_a_clear_page(
    moodle: SpecPlatform, canvas: SpecPlatform, tool_server: str, clean_app: Any
) -> None:
    page = Browser().get(canvas.register_url(tool_server, token="stale"))
    assert page.status_code == 400
    assert problem_code(page) == "configuration_refused"
    assert "expired" in page.text

    browser = Browser()
    page = browser.get(moodle.register_url(tool_server, token="stale"))
    assert page.status_code == 200  # Moodle's configuration is public; its registration is not
    action, fields = form_fields(page.text)
    done = browser.post(urljoin(tool_server, action), data=fields)
    assert done.status_code == 403
    assert problem_code(done) == "registration_refused"
    assert "Start the registration again from your LMS" in done.text
    assert "stale" not in done.text
    assert registrations(clean_app) == []


@pytest.mark.parametrize(
    ("status", "payload", "code", "shown"),
    [
        (422, {"errors": ["scopes cannot contain openid"]}, "registration_rejected", 400),
        (500, {"error": "server_error"}, "registration_failed", 502),
    ],
)
def test_the_platform_refusing_the_registration(
    platforms: list[SpecPlatform],
    tool_server: str,
    clean_app: Any,
    status: int,
    payload: Any,
    code: str,
    shown: int,
) -> None:
    platforms.append(
        make_platform(tool_server, "canvas", "c-1", fail_registration=(status, payload))
    )
    _, done = open_and_confirm(Browser(), tool_server, platforms[-1])
    assert done.status_code == shown
    assert problem_code(done) == code
    if status == 422:
        assert "scopes cannot contain openid" in done.text  # the LMS's own words
    assert registrations(clean_app) == []


def test_unreachable_configuration(tool_server: str, clean_app: Any) -> None:
    url = (
        tool_server
        + "/lti/register?"
        + urlencode({"openid_configuration": "http://127.0.0.1:1/mod/lti/openid-configuration.php"})
    )
    page = Browser().get(url)
    assert page.status_code == 400
    assert problem_code(page) == "configuration_unreachable"
    assert "firewall" in page.text


@pytest.mark.parametrize(
    ("options", "code", "detail"),
    [
        ({"drop": ("registration_endpoint",)}, "configuration_invalid", "registration_endpoint"),
        ({"drop": ("jwks_uri",)}, "configuration_invalid", "jwks_uri"),
        ({"drop": ("authorization_endpoint",)}, "configuration_invalid", "authorization_endpoint"),
        ({"drop": ("token_endpoint",)}, "configuration_invalid", "token_endpoint"),
        (
            {"drop": ("https://purl.imsglobal.org/spec/lti-platform-configuration",)},
            "configuration_invalid",
            "lti-platform-configuration",
        ),
        ({"config_override": {"issuer": "not a url"}}, "configuration_invalid", "issuer"),
        (
            {"config_override": {"token_endpoint_auth_methods_supported": ["client_secret_basic"]}},
            "configuration_invalid",
            "private_key_jwt",
        ),
        (
            {"config_override": {"issuer": "http://localhost:9"}},
            "issuer_mismatch",
            "http://localhost:9",
        ),
    ],
)
def test_malformed_configurations(
    platforms: list[SpecPlatform],
    tool_server: str,
    clean_app: Any,
    options: dict[str, Any],
    code: str,
    detail: str,
) -> None:
    platforms.append(make_platform(tool_server, "moodle", "m-1", **options))
    page = Browser().get(platforms[-1].register_url(tool_server))
    assert page.status_code == 400
    assert problem_code(page) == code
    assert detail in page.text
    assert platforms[-1].received == []


@pytest.mark.parametrize(
    ("options", "detail"),
    [
        (
            {"config_override": {"token_endpoint_auth_methods_supported": ["client_secret_basic"]}},
            "El token_endpoint_auth_methods_supported del LMS no incluye private_key_jwt, la "
            "única forma en que Wayfinder inicia sesión.",
        ),
        (
            {"config_override": {"issuer": "http://localhost:9"}},
            "El emisor es http://localhost:9, pero la configuración se leyó de http://127.0.0.1:",
        ),
    ],
)
def test_configuration_details_in_spanish(
    platforms: list[SpecPlatform],
    tool_server: str,
    clean_app: Any,
    options: dict[str, Any],
    detail: str,
) -> None:
    """The detail under a refused configuration is a whole sentence in the admin's language."""
    platforms.append(make_platform(tool_server, "moodle", "m-1", **options))
    browser = Browser()
    browser.session.headers["Accept-Language"] = "es-MX,es;q=0.9"
    page = browser.get(platforms[-1].register_url(tool_server))
    assert page.status_code == 400 and '<html lang="es">' in page.text
    assert detail in html.unescape(page.text)


def test_configuration_that_is_not_json(tool_server: str, clean_app: Any) -> None:
    app = Flask("login_page")
    app.add_url_rule("/config", "c", lambda: "<html>Please log in</html>")
    server = ServerThread(app)
    try:
        url = (
            tool_server
            + "/lti/register?"
            + urlencode({"openid_configuration": f"http://127.0.0.1:{server.port}/config"})
        )
        page = Browser().get(url)
    finally:
        server.stop()
    assert page.status_code == 400
    assert problem_code(page) == "configuration_malformed"
    assert "login page" in page.text


def test_opened_without_an_lms(tool_server: str, clean_app: Any) -> None:
    page = Browser().get(tool_server + "/lti/register")
    assert page.status_code == 400
    assert problem_code(page) == "not_from_lms"
    assert tool_server + "/lti/register" in page.text
    assert "Manage tools" in page.text


def test_https_is_required_outside_development() -> None:
    from lti_tool.lti import dynreg

    with pytest.raises(dynreg.RegistrationProblem) as caught:
        dynreg.fetch_platform_config(
            "http://moodle.example.com/mod/lti/openid-configuration.php",
            "",
            None,  # type: ignore[arg-type]  # refused before any request
            allow_http=False,
        )
    assert caught.value.code == "bad_configuration_url"


def test_invitation_mode_needs_a_one_time_link(
    moodle: SpecPlatform, tool_server: str, clean_app: Any
) -> None:
    clean_app.config["DYNAMIC_REGISTRATION"] = "invite"
    try:
        browser = Browser()
        without = browser.get(moodle.register_url(tool_server))
        assert without.status_code == 403 and problem_code(without) == "invite_required"
        made_up = browser.get(moodle.register_url(tool_server).replace("?", "?invite=guess&", 1))
        assert made_up.status_code == 403 and problem_code(made_up) == "invite_used"

        result = clean_app.test_cli_runner().invoke(
            args=["registrations", "invite", "--base-url", tool_server, "--note", "Acme Moodle"]
        )
        assert result.exit_code == 0, result.output
        link = result.output.splitlines()[0]
        assert link.startswith(tool_server + "/lti/register?invite=")
        # The LMS appends its own parameters to the pasted address.
        opened = moodle.register_url(tool_server).replace(
            tool_server + "/lti/register?", link + "&", 1
        )
        page = browser.get(opened)
        assert page.status_code == 200, page.text[:500]
        action, fields = form_fields(page.text)
        assert browser.post(urljoin(tool_server, action), data=fields).status_code == 200
        assert [r.client_id for r in registrations(clean_app)] == ["moodle-client-1"]

        again = browser.get(opened)  # the invitation registered one LMS and is used up
        assert again.status_code == 403 and problem_code(again) == "invite_used"
    finally:
        clean_app.config["DYNAMIC_REGISTRATION"] = "open"


def test_dynamic_registration_setting_is_checked_at_start() -> None:
    from lti_tool.config import ConfigError, validate

    with pytest.raises(ConfigError, match="DYNAMIC_REGISTRATION"):
        validate({"SECRET_KEY": "x" * 40, "ENV": "production", "DYNAMIC_REGISTRATION": "yes"})


def test_in_production_no_lms_address_points_into_wayfinders_own_network() -> None:
    from lti_tool.lti.dynreg import address_problem

    assert address_problem("127.0.0.1", allow_private=True) == (
        "This address leads to 127.0.0.1, which Wayfinder never calls. Give the address of the "
        "LMS itself."
    )
    assert "never calls" in address_problem("localhost", allow_private=True)
    assert "never calls" in address_problem("169.254.169.254", allow_private=True)  # metadata
    assert address_problem("10.1.2.3", allow_private=False) == (
        "This address leads to a private network address (10.1.2.3). Set "
        "ALLOW_PRIVATE_LMS_ADDRESSES = true in Wayfinder's settings if your LMS is on your own "
        "network."
    )
    assert address_problem("10.1.2.3", allow_private=True) == ""  # an LMS on the company network
    assert address_problem("93.184.216.34", allow_private=False) == ""
    assert address_problem("no-such-host.invalid", allow_private=False) == (
        "The host of this address cannot be found (no-such-host.invalid). Check the address "
        "for typing mistakes."
    )


def test_a_configuration_problem_is_detailed_in_the_admins_language(
    platforms: list[SpecPlatform], tool_server: str, clean_app: Any
) -> None:
    platforms.append(
        make_platform(tool_server, "moodle", "m-1", config_override={"issuer": "not a url"})
    )
    browser = Browser()
    browser.session.headers["Accept-Language"] = "es-MX,es;q=0.9"
    page = browser.get(platforms[-1].register_url(tool_server))
    assert page.status_code == 400 and '<html lang="es">' in page.text
    assert "issuer: Esta no es una dirección web completa (&#39;not a url&#39;)." in page.text
    english = Browser().get(platforms[-1].register_url(tool_server))
    assert "issuer: This is not a full web address (&#39;not a url&#39;)." in english.text


def test_a_redirected_configuration_is_not_followed(tool_server: str, clean_app: Any) -> None:
    """The issuer check must hold for the address actually read: a redirect elsewhere stops it."""
    target = SpecPlatform("moodle")
    hop = Flask("redirector")
    hop.add_url_rule("/cfg", "cfg", lambda: redirect(target.url + target.config_path))
    server = ServerThread(hop)
    try:
        page = Browser().get(
            tool_server
            + "/lti/register?"
            + urlencode({"openid_configuration": f"http://127.0.0.1:{server.port}/cfg"})
        )
        assert page.status_code >= 400 and problem_code(page) == "configuration_unreachable"
        assert "not followed" in page.text
        assert registrations(clean_app) == []
    finally:
        server.stop()
        target.stop()


def test_registration_pages_speak_spanish(moodle: SpecPlatform, tool_server: str) -> None:
    """An LMS admin whose browser asks for Spanish reads the registration in Spanish; the
    endpoints, codes and commands stay as they are."""
    browser = Browser()
    browser.session.headers["Accept-Language"] = "es-MX,es;q=0.9"
    page, done = open_and_confirm(browser, tool_server, moodle)
    assert page.status_code == 200 and '<html lang="es">' in page.text
    assert "Registrar Wayfinder en" in page.text and "Confirmar y registrar</button>" in page.text
    assert "Enviar el avance como calificaciones (calificaciones AGS)" in page.text
    assert done.status_code == 200 and '<html lang="es">' in done.text
    assert "Wayfinder está registrado en" in done.text
    assert 'data-returning="Volviendo a tu LMS…"' in done.text
    assert "Listo: volver a tu LMS</button>" in done.text
    lost = browser.get(tool_server + "/lti/register")
    assert lost.status_code == 400 and "Abre esta dirección desde tu LMS" in lost.text
    assert "<dt>Código del problema</dt><dd><code>not_from_lms</code>" in lost.text
