"""Error types and their pages. Every failure a person can meet has a code, a title in plain
words, what happened, and what the LMS administrator can do about it. No stack traces."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from lti_tool.extensions import db
from lti_tool.lti.keys import NoToolKey
from lti_tool.store import StoreUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    title: str
    explanation: str
    admin_fix: str
    status: int = 400


RELAUNCH = "Open Wayfinder again from your course or the LMS menu."

PROBLEMS: dict[str, Problem] = {
    "login_missing_param": Problem(
        "The LMS did not start the login properly",
        "The login request is missing a required value.",
        "Check that the tool's login URL in the LMS is Wayfinder's /lti/login and that the LMS "
        "sends iss, login_hint and target_link_uri.",
    ),
    "unknown_registration": Problem(
        "This LMS is not registered with Wayfinder",
        "Wayfinder has no registration for the platform and client ID this launch came from.",
        "Register the platform (issuer and client ID exactly as the LMS shows them) with "
        "`flask registrations add`, or install Wayfinder through dynamic registration.",
        403,
    ),
    "ambiguous_registration": Problem(
        "Wayfinder cannot tell which registration to use",
        "Several registrations share this platform and the LMS did not say which client ID it uses.",
        "Make the LMS send client_id with the login request, or disable the unused registrations.",
    ),
    "registration_disabled": Problem(
        "Wayfinder is switched off for this LMS",
        "The registration this launch came from has been disabled.",
        "Re-enable it with `flask registrations enable` if it was disabled by mistake.",
        403,
    ),
    "state_missing": Problem(
        "The launch is incomplete",
        "The LMS returned without the login state Wayfinder gave it.",
        "Check that the LMS returns the OIDC state parameter unchanged.",
    ),
    "state_unknown": Problem(
        "This launch has expired or was already used",
        "The login took too long, or this page was opened a second time. " + RELAUNCH,
        "If this happens for everyone, check that all Wayfinder processes share one database or "
        "Redis (launch state must be shared) and that clocks are right.",
    ),
    "cookies_blocked": Problem(
        "Your browser blocked Wayfinder inside the LMS page",
        "Your browser does not let Wayfinder keep its login state inside the LMS frame.",
        "Nothing is misconfigured: the browser blocks third-party cookies and the LMS does not offer "
        "LTI Platform Storage. People can open Wayfinder in a new window, or the tool can be set to "
        "open in a new window in the LMS.",
    ),
    "not_https": Problem(
        "Wayfinder is not being served over HTTPS",
        "The launch reached Wayfinder over plain http, so your browser dropped the secure cookie "
        "that ties the launch to you.",
        "Serve Wayfinder over HTTPS. Behind a TLS-terminating proxy, set PROXY_FIX to the number of "
        "proxies and make the proxy send X-Forwarded-Proto and X-Forwarded-Host.",
    ),
    "storage_mismatch": Problem(
        "The launch could not be confirmed",
        "The login state kept by the LMS page does not match this launch.",
        "Open Wayfinder again. If it persists, the LMS's LTI Platform Storage may be failing.",
    ),
    "token_missing": Problem(
        "The LMS did not send a launch token",
        "The launch arrived without an id_token.",
        "The tool's redirect URI in the LMS must be Wayfinder's /lti/launch.",
    ),
    "token_malformed": Problem(
        "The launch token is not readable",
        "The id_token sent by the LMS is not a well-formed signed token.",
        "Check for a proxy or plugin that alters the form the LMS posts.",
    ),
    "no_kid": Problem(
        "The launch token does not name its signing key",
        "The id_token header has no key ID (kid), so Wayfinder cannot check its signature.",
        "The platform must sign id_tokens with a key listed, with its kid, in its JWKS.",
    ),
    "unknown_kid": Problem(
        "The launch is signed with a key Wayfinder does not know",
        "The key that signed this launch is not in the platform's published keys (JWKS).",
        "Check the platform's public keyset URL in the registration; if the LMS rotated its keys, "
        "this resolves itself once its JWKS lists the new key.",
        401,
    ),
    "jwks_unreachable": Problem(
        "Wayfinder could not fetch the LMS's public keys",
        "The platform's public keyset URL did not answer.",
        "Check the keyset URL in the registration, and that Wayfinder's server can reach the LMS "
        "(DNS, firewall, proxy).",
        502,
    ),
    "jwks_malformed": Problem(
        "The LMS's public keys are unreadable",
        "The platform's public keyset URL answered with something that is not a JWKS.",
        "Open the keyset URL in a browser: it must return JSON with a `keys` list.",
        502,
    ),
    "bad_algorithm": Problem(
        "The launch token is signed in a way Wayfinder refuses",
        "LTI 1.3 launches must be signed with RSA (RS256); this one is not.",
        "Check the platform's signing configuration.",
        401,
    ),
    "bad_signature": Problem(
        "The launch token's signature is invalid",
        "The id_token was not signed by the platform's key, or was changed on the way.",
        "Check the platform's public keyset URL in the registration.",
        401,
    ),
    "token_expired": Problem(
        "The launch token has expired",
        "The id_token arrived after its expiry time. " + RELAUNCH,
        "If this happens often, the clocks of the LMS and Wayfinder servers differ: sync both with NTP.",
        401,
    ),
    "token_not_yet_valid": Problem(
        "The launch token is dated in the future",
        "The id_token says it was issued later than now.",
        "The clocks of the LMS and Wayfinder servers differ: sync both with NTP.",
        401,
    ),
    "wrong_issuer": Problem(
        "The launch came from a different platform than the login",
        "The id_token's issuer is not the platform that started the login.",
        "Check that the registration's issuer matches the LMS exactly.",
        401,
    ),
    "wrong_audience": Problem(
        "The launch token is meant for another tool",
        "The id_token's audience does not include Wayfinder's client ID.",
        "Check that the client ID in Wayfinder's registration is the one the LMS shows for this tool.",
        401,
    ),
    "azp_mismatch": Problem(
        "The launch token names another authorized party",
        "The id_token's azp claim is not Wayfinder's client ID.",
        "Check the client ID in the registration.",
        401,
    ),
    "nonce_mismatch": Problem(
        "The launch does not belong to this login",
        "The id_token's nonce is not the one Wayfinder issued for this login.",
        "Nothing to configure; open Wayfinder again from the LMS.",
        401,
    ),
    "replayed": Problem(
        "This launch was already used",
        "Each launch can be used once. " + RELAUNCH,
        "Nothing to configure. Repeated occurrences may mean someone is replaying launches.",
        401,
    ),
    "wrong_version": Problem(
        "The LMS spoke an LTI version Wayfinder does not support",
        "The launch is not LTI 1.3.0.",
        "Configure the tool as LTI 1.3 (LTI Advantage) in the LMS.",
    ),
    "wrong_message_type": Problem(
        "Wayfinder cannot handle this kind of launch",
        "The LMS sent a message type Wayfinder does not support.",
        "Place Wayfinder as a resource link or through deep linking (content selection).",
    ),
    "deep_linking_invalid": Problem(
        "The LMS asked for content in a way Wayfinder cannot answer",
        "The LMS opened Wayfinder to pick content to add to your course, but did not say where to "
        "send the choice back, or does not accept the kind of link Wayfinder makes. Nothing was "
        "added. Try adding the activity again; if it keeps happening, tell your LMS administrator.",
        "The deep-linking request must carry a deep_link_return_url on the LMS's own address "
        "(an origin registered for it) and accept ltiResourceLink items; the detail below says "
        "what was wrong. If the LMS answers on another address than its issuer, add that origin "
        "to the registration (`flask registrations add --frame-origin`).",
    ),
    "missing_claim": Problem(
        "The launch is missing required information",
        "The id_token lacks a value every LTI 1.3 launch must carry.",
        "Check the platform's LTI 1.3 configuration; the detail below names the missing value.",
    ),
    "unknown_deployment": Problem(
        "This deployment of Wayfinder is waiting for approval",
        "The LMS launched Wayfinder from a deployment Wayfinder has not seen before. It has been "
        "recorded and is waiting for a Wayfinder administrator to approve it.",
        "Approve it with `flask deployments approve`, using the registration and deployment ID shown "
        "below. Launches work as soon as it is approved.",
        403,
    ),
    "deployment_disabled": Problem(
        "This deployment of Wayfinder is switched off",
        "The deployment this launch came from has been disabled.",
        "Re-approve it with `flask deployments approve` if that was a mistake.",
        403,
    ),
    "target_link_uri_mismatch": Problem(
        "The launch points somewhere else",
        "The launch's target link is not the one the login asked for, or is not a Wayfinder address.",
        "The target link URI in the LMS must be this Wayfinder's address.",
    ),
    "launch_required": Problem(
        "Please open Wayfinder from your LMS",
        "Wayfinder is opened from inside your company's LMS, and this page has no launch behind it, "
        "or the launch has expired. " + RELAUNCH,
        "Nothing to configure.",
        401,
    ),
    "forbidden_role": Problem(
        "This page is not for your role",
        "Your role in this course does not give access to this page.",
        "Roles come from the LMS; check the person's role in the course.",
        403,
    ),
}


class LaunchError(Exception):
    """A login or launch problem with a code from PROBLEMS and an optional technical detail."""

    def __init__(self, code: str, detail: str = "", **context: Any) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        if code not in PROBLEMS:
            raise ValueError(f"unknown problem code {code}")
        self.code = code
        self.detail = detail
        self.context = context

    @property
    def problem(self) -> Problem:
        return PROBLEMS[self.code]


def render_problem(
    code: str, detail: str = "", status: int | None = None, **context: Any
) -> Response:
    problem = PROBLEMS[code]
    html = render_template(
        "errors/problem.html", code=code, problem=problem, detail=detail, **context
    )
    return Response(html, status=status or problem.status)


def problem_title(code: str) -> str:
    """A launch failure's code in words, for lists of recorded failures."""
    found = PROBLEMS.get(code)
    return found.title if found else code


def init_app(app: Flask) -> None:
    app.jinja_env.globals["problem_title"] = problem_title

    @app.errorhandler(LaunchError)
    def _launch_error(error: LaunchError) -> Response:
        db.session.rollback()
        if (request.endpoint or "").startswith("lti."):
            from lti_tool.lti.services import record_failure

            record_failure(error, stage=request.endpoint or "")
        return render_problem(error.code, error.detail, **error.context)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> tuple[str, int]:
        return _page(
            "This form has expired",
            "The page was open too long or was opened outside your launch. Go back, reload the "
            "page and submit again; what you typed is still in the form.",
            400,
        )

    @app.errorhandler(StoreUnavailable)
    def _store_unavailable(error: StoreUnavailable) -> tuple[str, int]:
        log.error("shared store unavailable: %s", error)
        return _page(
            "Wayfinder is briefly unavailable",
            "Wayfinder cannot reach its session store right now, so nothing was changed. Try "
            "again in a minute. Administrators: check that Redis (REDIS_URL) is running and "
            "reachable from Wayfinder's servers.",
            503,
        )

    @app.errorhandler(NoToolKey)
    def _no_tool_key(error: NoToolKey) -> tuple[str, int]:
        log.error("signing key unavailable: %s", error)
        return _page(
            "Wayfinder cannot sign right now",
            "Wayfinder needs its signing key to answer the LMS, and cannot use it, so nothing "
            f"was changed. Administrators: {error}",
            503,
        )

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        if error.code and error.code < 400:
            return error
        code = error.code or 500
        return _page(error.name, _HTTP_MESSAGES.get(code, error.description or ""), code)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[str, int]:
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return _page(
            "Something went wrong",
            "Wayfinder hit an unexpected problem and nothing was saved. Try again; if it keeps "
            "happening, tell your LMS administrator the time it happened.",
            500,
        )


def _page(title: str, message: str, status: int) -> tuple[str, int]:
    """A plain error page; the request's unsaved work is rolled back first."""
    db.session.rollback()
    return render_template("errors/http.html", title=title, message=message), status


_HTTP_MESSAGES = {
    400: "The request could not be understood. Go back and try again.",
    404: "There is nothing at this address. Use the navigation to find your way.",
    405: "This address does not accept that kind of request.",
    413: "What you sent is too large.",
}
