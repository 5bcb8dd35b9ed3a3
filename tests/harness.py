"""Real parts for the tests: Wayfinder and a pretend LMS each served over HTTP on loopback, the LMS
built on lti1p3platform (a third-party LTI 1.3 platform implementation), and a requests-based
browser that follows the OIDC flow the way a browser in the LMS iframe would."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

from lti_tool.devlauncher.platform import (
    DeepLinkingResponseInvalid,
    DeepLinkingResult,
    DevPlatform,
    LaunchSpec,
    LaunchUser,
    generate_private_pem,
)

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
LEARNER = LIS + "membership#Learner"
INSTRUCTOR = LIS + "membership#Instructor"
MANAGER = LIS + "membership#Manager"
ADMIN = LIS + "institution/person#Administrator"
SYSADMIN = LIS + "system/person#Administrator"


class ServerThread:
    """A WSGI app served by werkzeug in a thread on 127.0.0.1 and a free port."""

    def __init__(self, app: Any, host: str = "127.0.0.1") -> None:
        self.server = make_server(host, 0, app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()


@dataclass
class TokenMutation:
    """How a test LMS bends a launch: claims to change or drop, header fields, signing."""

    claims: dict[str, Any] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    header: dict[str, Any] = field(default_factory=dict)
    drop_kid: bool = False
    sign: Callable[[dict[str, Any], dict[str, Any]], str] | None = None
    tamper: bool = False
    expiration: int = 60


class FakeLms:
    """A pretend LMS: login initiation URLs, an OIDC auth endpoint and a JWKS endpoint."""

    def __init__(
        self,
        issuer_base: str | None = None,
        client_id: str = "client-1",
        deployment_id: str = "dep-1",
    ) -> None:
        self.private_pem = generate_private_pem()
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.spec = LaunchSpec(
            user=LaunchUser("user-1", [LEARNER], "Lee Learner", "lee@example.com")
        )
        self.mutation = TokenMutation()
        self.jwks_hits = 0
        self.jwks_broken = False
        self.extra_keys: list[dict[str, Any]] = []
        # Deep linking: what came back to the return URL, validated as this platform would.
        self.dl_expected_data: Any = None
        self.dl_results: list[DeepLinkingResult] = []
        self.dl_errors: list[str] = []
        self.app = self._build_app()
        self.server = ServerThread(self.app)
        self.url = f"http://127.0.0.1:{self.server.port}"
        self.issuer = issuer_base or self.url
        self.platform: DevPlatform | None = None

    def connect(self, tool_url: str) -> None:
        self.tool_url = tool_url
        self.platform = DevPlatform(
            issuer=self.issuer,
            client_id=self.client_id,
            deployment_id=self.deployment_id,
            private_pem=self.private_pem,
            tool_login_url=tool_url + "/lti/login",
            tool_launch_url=tool_url + "/lti/launch",
        )

    def _build_app(self) -> Flask:
        app = Flask("test_lms")

        @app.get("/auth")
        def auth() -> Response:
            assert self.platform is not None
            params = request.args.to_dict()
            claims, redirect_uri = self.platform.launch_message(params, self.spec)
            token = self.make_token(claims)
            body = f'<form action="{html.escape(redirect_uri)}" method="post">'
            body += f'<input name="id_token" value="{html.escape(token)}">'
            body += f'<input name="state" value="{html.escape(params.get("state", ""))}"></form>'
            return Response(body)

        @app.post("/dl-return")
        def deep_link_return() -> Response:
            """The deep_link_return_url: validate the tool's response with lti1p3platform
            (fetching the tool's JWKS over HTTP) and list what the LMS would create."""
            assert self.platform is not None
            try:
                result = self.platform.deep_linking_response(
                    request.form.to_dict(),
                    tool_jwks_url=self.tool_url + "/lti/jwks",
                    expected_data=self.dl_expected_data,
                )
            except DeepLinkingResponseInvalid as exc:
                self.dl_errors.append(str(exc))
                return Response(f"Refused: {html.escape(str(exc))}", status=400)
            self.dl_results.append(result)
            titles = "".join(f"<li>{html.escape(i.get('title', ''))}</li>" for i in result.items)
            return Response(f"<h1>Created {len(result.items)} items</h1><ul>{titles}</ul>")

        @app.get("/jwks")
        def jwks() -> Response:
            assert self.platform is not None
            self.jwks_hits += 1
            if self.jwks_broken:
                return Response("<html>Maintenance</html>", mimetype="text/html")
            keys = self.platform.jwks()["keys"] + self.extra_keys
            return jsonify({"keys": keys})

        return app

    def make_token(self, claims: dict[str, Any]) -> str:
        assert self.platform is not None
        m = self.mutation
        import time

        claims = dict(claims)
        now = int(time.time())
        claims.setdefault("iat", now)
        claims.setdefault("exp", now + m.expiration)
        claims.update(m.claims)
        for name in m.drop:
            claims.pop(name, None)
        header = {"kid": self.platform.kid, **m.header}
        if m.drop_kid:
            header.pop("kid", None)
        if m.sign:
            token = m.sign(claims, header)
        else:
            token = jwt.encode(claims, self.private_pem, algorithm="RS256", headers=header)
        if m.tamper:
            head, body, sig = token.split(".")
            token = ".".join(
                [head, body, sig[:-6] + ("AAAAAA" if not sig.endswith("AAAAAA") else "BBBBBB")]
            )
        return token

    def login_url(self, storage_target: str | None = None, **overrides: str) -> str:
        params = {
            "iss": self.issuer,
            "login_hint": self.spec.user.sub,
            "target_link_uri": self.tool_url + "/lti/launch",
            "lti_message_hint": "hint-1",
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }
        if storage_target:
            params["lti_storage_target"] = storage_target
        params.update(overrides)
        return (
            self.tool_url
            + "/lti/login?"
            + urlencode({k: v for k, v in params.items() if v is not None})
        )


class Browser:
    """requests with a cookie jar that, like a browser on loopback, sends Secure cookies over http."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.session.hooks["response"].append(self._loopback_is_secure)

    def _loopback_is_secure(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        for cookie in self.session.cookies:
            cookie.secure = False

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        return self.session.get(url, timeout=10, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        return self.session.post(url, timeout=10, **kwargs)

    def clear_cookies(self) -> None:
        self.session.cookies.clear()


def form_fields(page: str) -> tuple[str, dict[str, str]]:
    action = html.unescape(re.search(r'action="([^"]*)"', page).group(1))  # type: ignore[union-attr]
    fields = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)
    }
    return action, fields


@dataclass
class LaunchAttempt:
    login: requests.Response
    auth: requests.Response | None
    launch: requests.Response | None
    action: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def final(self) -> requests.Response:
        for response in (self.launch, self.auth):
            if response is not None:  # a 4xx Response is falsy
                return response
        return self.login


def launch(
    browser: Browser, lms: FakeLms, storage_target: str | None = None, **login_overrides: str
) -> LaunchAttempt:
    """Login initiation -> auth endpoint -> POST id_token, as the LMS iframe would."""
    login = browser.get(lms.login_url(storage_target, **login_overrides))
    if login.status_code != 302:
        return LaunchAttempt(login, None, None)
    auth = browser.get(login.headers["Location"])
    if auth.status_code != 200:
        return LaunchAttempt(login, auth, None)
    action, fields = form_fields(auth.text)
    result = browser.post(action, data=fields)
    return LaunchAttempt(login, auth, result, action, fields)


def page_title(response: requests.Response) -> str:
    match = re.search(r"<h1[^>]*>([^<]+)</h1>", response.text)
    return html.unescape(match.group(1)).strip() if match else ""


def lang_of(response: Any) -> str:
    """The page's language, as its <html lang> says."""
    match = re.search(r'<html lang="([^"]+)"', response.text)
    assert match, response.text[:300]
    return match.group(1)


def problem_code(response: requests.Response) -> str:
    match = re.search(r"<dt>Problem code</dt><dd><code>([^<]+)</code>", response.text)
    return match.group(1) if match else ""
