"""Error types and their pages. Every failure a person can meet has a code, a title in plain
words, what happened, and what the LMS administrator can do about it. No stack traces."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, TypeAlias

from flask import Flask, Response, render_template, request
from flask_babel.speaklater import LazyString
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from lti_tool.extensions import db
from lti_tool.i18n import _, _l
from lti_tool.lti.keys import NoToolKey
from lti_tool.store import StoreUnavailable

log = logging.getLogger(__name__)


Words: TypeAlias = "LazyString | tuple[LazyString, ...]"


def words(text: Words) -> str:
    """Marked text in the page's language; a tuple is sentences translated one by one."""
    if isinstance(text, tuple):
        return " ".join(str(sentence) for sentence in text)
    return str(text)


@dataclass(frozen=True)
class Problem:
    """A failure in plain words. The texts are marked (lazy): each reads in the page's language
    (English outside a request) through the properties."""

    title_words: Words
    explanation_words: Words
    admin_fix_words: Words
    status: int = 400

    @property
    def title(self) -> str:
        return words(self.title_words)

    @property
    def explanation(self) -> str:
        return words(self.explanation_words)

    @property
    def admin_fix(self) -> str:
        return words(self.admin_fix_words)


RELAUNCH = _l("Open Wayfinder again from your course or the LMS menu.")
SYNC_CLOCKS = _l("The clocks of the LMS and Wayfinder servers differ: sync both with NTP.")

PROBLEMS: dict[str, Problem] = {
    "login_missing_param": Problem(
        _l("The LMS did not start the login properly"),
        _l("The login request is missing a required value."),
        _l(
            "Check that the tool's login URL in the LMS is Wayfinder's /lti/login and that the "
            "LMS sends iss, login_hint and target_link_uri."
        ),
    ),
    "unknown_registration": Problem(
        _l("This LMS is not registered with Wayfinder"),
        _l("Wayfinder has no registration for the platform and client ID this launch came from."),
        _l(
            "Register the platform (issuer and client ID exactly as the LMS shows them) with "
            "`flask registrations add`, or install Wayfinder through dynamic registration."
        ),
        403,
    ),
    "ambiguous_registration": Problem(
        _l("Wayfinder cannot tell which registration to use"),
        _l(
            "Several registrations share this platform and the LMS did not say which client ID "
            "it uses."
        ),
        _l(
            "Make the LMS send client_id with the login request, or disable the unused "
            "registrations."
        ),
    ),
    "registration_disabled": Problem(
        _l("Wayfinder is switched off for this LMS"),
        _l("The registration this launch came from has been disabled."),
        _l("Re-enable it with `flask registrations enable` if it was disabled by mistake."),
        403,
    ),
    "state_missing": Problem(
        _l("The launch is incomplete"),
        _l("The LMS returned without the login state Wayfinder gave it."),
        _l("Check that the LMS returns the OIDC state parameter unchanged."),
    ),
    "state_unknown": Problem(
        _l("This launch has expired or was already used"),
        (_l("The login took too long, or this page was opened a second time."), RELAUNCH),
        _l(
            "If this happens for everyone, check that all Wayfinder processes share one database "
            "or Redis (launch state must be shared) and that clocks are right."
        ),
    ),
    "cookies_blocked": Problem(
        _l("Your browser blocked Wayfinder inside the LMS page"),
        _l("Your browser does not let Wayfinder keep its login state inside the LMS frame."),
        (
            _l(
                "Nothing is misconfigured: the browser blocks third-party cookies and the LMS "
                "does not offer LTI Platform Storage."
            ),
            _l(
                "People can open Wayfinder in a new window, or the tool can be set to open in a "
                "new window in the LMS."
            ),
        ),
    ),
    "not_https": Problem(
        _l("Wayfinder is not being served over HTTPS"),
        _l(
            "The launch reached Wayfinder over plain http, so your browser dropped the secure "
            "cookie that ties the launch to you."
        ),
        (
            _l("Serve Wayfinder over HTTPS."),
            _l(
                "Behind a TLS-terminating proxy, set PROXY_FIX to the number of proxies and make "
                "the proxy send X-Forwarded-Proto and X-Forwarded-Host."
            ),
        ),
    ),
    "storage_mismatch": Problem(
        _l("The launch could not be confirmed"),
        _l("The login state kept by the LMS page does not match this launch."),
        (
            _l("Open Wayfinder again."),
            _l("If it persists, the LMS's LTI Platform Storage may be failing."),
        ),
    ),
    "token_missing": Problem(
        _l("The LMS did not send a launch token"),
        _l("The launch arrived without an id_token."),
        _l("The tool's redirect URI in the LMS must be Wayfinder's /lti/launch."),
    ),
    "token_malformed": Problem(
        _l("The launch token is not readable"),
        _l("The id_token sent by the LMS is not a well-formed signed token."),
        _l("Check for a proxy or plugin that alters the form the LMS posts."),
    ),
    "no_kid": Problem(
        _l("The launch token does not name its signing key"),
        _l("The id_token header has no key ID (kid), so Wayfinder cannot check its signature."),
        _l("The platform must sign id_tokens with a key listed, with its kid, in its JWKS."),
    ),
    "unknown_kid": Problem(
        _l("The launch is signed with a key Wayfinder does not know"),
        _l("The key that signed this launch is not in the platform's published keys (JWKS)."),
        _l(
            "Check the platform's public keyset URL in the registration; if the LMS rotated its "
            "keys, this resolves itself once its JWKS lists the new key."
        ),
        401,
    ),
    "jwks_unreachable": Problem(
        _l("Wayfinder could not fetch the LMS's public keys"),
        _l("The platform's public keyset URL did not answer."),
        _l(
            "Check the keyset URL in the registration, and that Wayfinder's server can reach the "
            "LMS (DNS, firewall, proxy)."
        ),
        502,
    ),
    "jwks_malformed": Problem(
        _l("The LMS's public keys are unreadable"),
        _l("The platform's public keyset URL answered with something that is not a JWKS."),
        _l("Open the keyset URL in a browser: it must return JSON with a `keys` list."),
        502,
    ),
    "bad_algorithm": Problem(
        _l("The launch token is signed in a way Wayfinder refuses"),
        _l("LTI 1.3 launches must be signed with RSA (RS256); this one is not."),
        _l("Check the platform's signing configuration."),
        401,
    ),
    "bad_signature": Problem(
        _l("The launch token's signature is invalid"),
        _l("The id_token was not signed by the platform's key, or was changed on the way."),
        _l("Check the platform's public keyset URL in the registration."),
        401,
    ),
    "token_expired": Problem(
        _l("The launch token has expired"),
        (_l("The id_token arrived after its expiry time."), RELAUNCH),
        _l(
            "If this happens often, the clocks of the LMS and Wayfinder servers differ: sync "
            "both with NTP."
        ),
        401,
    ),
    "token_not_yet_valid": Problem(
        _l("The launch token is dated in the future"),
        _l("The id_token says it was issued later than now."),
        SYNC_CLOCKS,
        401,
    ),
    "wrong_issuer": Problem(
        _l("The launch came from a different platform than the login"),
        _l("The id_token's issuer is not the platform that started the login."),
        _l("Check that the registration's issuer matches the LMS exactly."),
        401,
    ),
    "wrong_audience": Problem(
        _l("The launch token is meant for another tool"),
        _l("The id_token's audience does not include Wayfinder's client ID."),
        _l(
            "Check that the client ID in Wayfinder's registration is the one the LMS shows for "
            "this tool."
        ),
        401,
    ),
    "azp_mismatch": Problem(
        _l("The launch token names another authorized party"),
        _l("The id_token's azp claim is not Wayfinder's client ID."),
        _l("Check the client ID in the registration."),
        401,
    ),
    "nonce_mismatch": Problem(
        _l("The launch does not belong to this login"),
        _l("The id_token's nonce is not the one Wayfinder issued for this login."),
        _l("Nothing to configure; open Wayfinder again from the LMS."),
        401,
    ),
    "replayed": Problem(
        _l("This launch was already used"),
        (_l("Each launch can be used once."), RELAUNCH),
        (
            _l("Nothing to configure."),
            _l("Repeated occurrences may mean someone is replaying launches."),
        ),
        401,
    ),
    "wrong_version": Problem(
        _l("The LMS spoke an LTI version Wayfinder does not support"),
        _l("The launch is not LTI 1.3.0."),
        _l("Configure the tool as LTI 1.3 (LTI Advantage) in the LMS."),
    ),
    "wrong_message_type": Problem(
        _l("Wayfinder cannot handle this kind of launch"),
        _l("The LMS sent a message type Wayfinder does not support."),
        _l("Place Wayfinder as a resource link or through deep linking (content selection)."),
    ),
    "deep_linking_invalid": Problem(
        _l("The LMS asked for content in a way Wayfinder cannot answer"),
        (
            _l(
                "The LMS opened Wayfinder to pick content to add to your course, but did not say "
                "where to send the choice back, or does not accept the kind of link Wayfinder "
                "makes."
            ),
            _l("Nothing was added."),
            _l(
                "Try adding the activity again; if it keeps happening, tell your LMS administrator."
            ),
        ),
        (
            _l(
                "The deep-linking request must carry a deep_link_return_url on the LMS's own "
                "address (an origin registered for it) and accept ltiResourceLink items; the "
                "detail below says what was wrong."
            ),
            _l(
                "If the LMS answers on another address than its issuer, add that origin to the "
                "registration (`flask registrations add --frame-origin`)."
            ),
        ),
    ),
    "missing_claim": Problem(
        _l("The launch is missing required information"),
        _l("The id_token lacks a value every LTI 1.3 launch must carry."),
        _l("Check the platform's LTI 1.3 configuration; the detail below names the missing value."),
    ),
    "unknown_deployment": Problem(
        _l("This deployment of Wayfinder is waiting for approval"),
        (
            _l("The LMS launched Wayfinder from a deployment Wayfinder has not seen before."),
            _l("It has been recorded and is waiting for a Wayfinder administrator to approve it."),
        ),
        (
            _l(
                "Approve it with `flask deployments approve`, using the registration and "
                "deployment ID shown below."
            ),
            _l("Launches work as soon as it is approved."),
        ),
        403,
    ),
    "deployment_disabled": Problem(
        _l("This deployment of Wayfinder is switched off"),
        _l("The deployment this launch came from has been disabled."),
        _l("Re-approve it with `flask deployments approve` if that was a mistake."),
        403,
    ),
    "target_link_uri_mismatch": Problem(
        _l("The launch points somewhere else"),
        _l(
            "The launch's target link is not the one the login asked for, or is not a Wayfinder "
            "address."
        ),
        _l("The target link URI in the LMS must be this Wayfinder's address."),
    ),
    "launch_required": Problem(
        _l("Please open Wayfinder from your LMS"),
        (
            _l(
                "Wayfinder is opened from inside your company's LMS, and this page has no launch "
                "behind it, or the launch has expired."
            ),
            RELAUNCH,
        ),
        _l("Nothing to configure."),
        401,
    ),
    "forbidden_role": Problem(
        _l("This page is not for your role"),
        _l("Your role in this course does not give access to this page."),
        _l("Roles come from the LMS; check the person's role in the course."),
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
    registration_id, deployment_id = context.get("registration_id"), context.get("deployment_id")
    approve_command = (
        f"flask --app lti_tool deployments approve {registration_id} {deployment_id}"
        if code == "unknown_deployment" and registration_id and deployment_id
        else ""
    )
    html = render_template(
        "errors/problem.html",
        code=code,
        problem=problem,
        detail=detail,
        approve_command=approve_command,
        **context,
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
            _("This form has expired"),
            " ".join(
                (
                    _("The page was open too long or was opened outside your launch."),
                    _(
                        "Go back, reload the page and submit again; what you typed is still in the form."
                    ),
                )
            ),
            400,
        )

    @app.errorhandler(StoreUnavailable)
    def _store_unavailable(error: StoreUnavailable) -> tuple[str, int]:
        log.error("shared store unavailable: %s", error)
        return _page(
            _("Wayfinder is briefly unavailable"),
            " ".join(
                (
                    _(
                        "Wayfinder cannot reach its session store right now, so nothing was changed."
                    ),
                    _("Try again in a minute."),
                    _(
                        "Administrators: check that Redis (REDIS_URL) is running and reachable "
                        "from Wayfinder's servers."
                    ),
                )
            ),
            503,
        )

    @app.errorhandler(NoToolKey)
    def _no_tool_key(error: NoToolKey) -> tuple[str, int]:
        log.error("signing key unavailable: %s", error)
        return _page(
            _("Wayfinder cannot sign right now"),
            " ".join(
                (
                    _(
                        "Wayfinder needs its signing key to answer the LMS, and cannot use it, so "
                        "nothing was changed."
                    ),
                    _("Administrators: %(problem)s", problem=str(error)),
                )
            ),
            503,
        )

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        if error.code and error.code < 400:
            return error
        code = error.code or 500
        title = _HTTP_TITLES.get(code)
        message = _HTTP_MESSAGES.get(code)
        return _page(
            str(title) if title else error.name,
            words(message) if message else error.description or "",
            code,
        )

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[str, int]:
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return _page(
            _("Something went wrong"),
            " ".join(
                (
                    _("Wayfinder hit an unexpected problem and nothing was saved."),
                    _(
                        "Try again; if it keeps happening, tell your LMS administrator the time it "
                        "happened."
                    ),
                )
            ),
            500,
        )


def _page(title: str, message: str, status: int) -> tuple[str, int]:
    """A plain error page; the request's unsaved work is rolled back first."""
    db.session.rollback()
    return render_template("errors/http.html", title=title, message=message), status


# Werkzeug's names of the statuses a person can meet, in the page's language.
_HTTP_TITLES = {
    400: _l("Bad Request"),
    401: _l("Unauthorized"),
    403: _l("Forbidden"),
    404: _l("Not Found"),
    405: _l("Method Not Allowed"),
    413: _l("Request Entity Too Large"),
    429: _l("Too Many Requests"),
    500: _l("Internal Server Error"),
    503: _l("Service Unavailable"),
}

_HTTP_MESSAGES: dict[int, Words] = {
    400: (_l("The request could not be understood."), _l("Go back and try again.")),
    404: (
        _l("There is nothing at this address."),
        _l("Use the navigation to find your way."),
    ),
    405: _l("This address does not accept that kind of request."),
    413: _l("What you sent is too large."),
}
