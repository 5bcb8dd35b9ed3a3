"""Installing Wayfinder in an LMS.

GET  /lti/register     LTI Dynamic Registration: the LMS opens it with openid_configuration and
                       registration_token (and, with DYNAMIC_REGISTRATION = "invite", the
                       address carries a one-time `invite` from `flask registrations invite`)
                       -> fetch and check the platform's configuration ->
                       a page showing what will be registered, with a Confirm button
POST /lti/register     Confirm -> register with the platform -> store registration and deployment
                       -> a page listing what was granted, which closes the LMS's dialog
                       (org.imsglobal.lti.close)
GET  /lti/config.json  the Canvas developer-key JSON

These pages are opened by the LMS before any launch, inside its dialog or iframe: no launch token
exists and cookies may be blocked, so the confirmation form's CSRF protection is a signed reference
to a short-lived server-side record (see lti_tool.lti.dynreg).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from adapters.http import HttpClient
from lti_tool.config import signing_keys
from lti_tool.extensions import csrf, db
from lti_tool.lti import dynreg, toolinfo
from lti_tool.security import content_security_policy

bp = Blueprint("install", __name__, url_prefix="/lti")

# Any site may frame these pages: the LMS's dialog lives on the institution's own domain, which
# Wayfinder cannot know before the registration (Canvas's issuer is canvas.instructure.com for every
# customer). Framing gains an attacker nothing: a registration needs the LMS's own token, and what
# a forged platform could register it can register without anyone's click.
INSTALL_CSP = content_security_policy([], ["*"])


def _base_url() -> str:
    return request.host_url.rstrip("/")


def _http() -> HttpClient:
    return HttpClient(timeout=current_app.config["HTTP_TIMEOUT"], retries=1)


def _allow_http() -> bool:
    return bool(current_app.config.get("ENV") != "production")


def _pending_seconds() -> int:
    return int(current_app.config["REGISTRATION_PENDING_SECONDS"])


def _page(html: str, status: int = 200) -> Response:
    response = Response(html, status=status)
    response.headers["Content-Security-Policy"] = INSTALL_CSP
    return response


def _problem(error: dynreg.RegistrationProblem) -> Response:
    db.session.rollback()
    current_app.logger.warning("dynamic registration: %s", error)
    html = render_template(
        "install/problem.html",
        code=error.code,
        problem=error.problem,
        detail=error.detail,
        register_url=toolinfo.urls(_base_url()).register,
    )
    return _page(html, error.problem.status)


def _mode() -> str:
    """invite (a one-time link from `flask registrations invite` is needed), open, or off."""
    return str(current_app.config["DYNAMIC_REGISTRATION"])


@bp.get("/register")
def register() -> Response:
    if _mode() == "off":
        return _problem(dynreg.RegistrationProblem("registration_off"))
    invite = request.args.get("invite", "").strip()
    if _mode() == "invite" and not dynreg.invite_is_open(invite):
        code = "invite_used" if invite else "invite_required"
        return _problem(dynreg.RegistrationProblem(code))
    configuration_url = request.args.get("openid_configuration", "").strip()
    token = request.args.get("registration_token", "").strip()
    if not configuration_url:
        return _problem(dynreg.RegistrationProblem("not_from_lms"))
    try:
        config = dynreg.fetch_platform_config(
            configuration_url,
            token,
            _http(),
            allow_http=_allow_http(),
            allow_private=bool(current_app.config["ALLOW_PRIVATE_LMS_ADDRESSES"]),
        )
    except dynreg.RegistrationProblem as error:
        return _problem(error)
    base = _base_url()
    reference = dynreg.remember_pending(
        config,
        configuration_url,
        token,
        base,
        keys=signing_keys(current_app.config),
        ttl=_pending_seconds(),
        invite=invite if _mode() == "invite" else "",
    )
    db.session.commit()
    body = dynreg.build_request(config, base, current_app.config["JOB_ROLE_PARAMETER"])
    tool = body[dynreg.TOOL_CONFIGURATION]
    return _page(
        render_template(
            "install/confirm.html",
            config=config,
            body=body,
            tool=tool,
            scopes=body["scope"].split(),
            reference=reference,
            minutes=max(1, _pending_seconds() // 60),
            scope_labels=toolinfo.SCOPE_LABELS,
            message_labels=toolinfo.MESSAGE_LABELS,
        )
    )


@bp.post("/register")
@csrf.exempt  # protected by the signed, single-use reference instead (cookies may be blocked)
def register_confirm() -> Response:
    if _mode() == "off":
        return _problem(dynreg.RegistrationProblem("registration_off"))
    sent_from = request.headers.get("Origin")
    if sent_from and sent_from not in ("null", _base_url()):
        return _problem(dynreg.RegistrationProblem("registration_expired", "sent from elsewhere"))
    try:
        pending = dynreg.take_pending(
            request.form.get("registration", ""),
            keys=signing_keys(current_app.config),
            ttl=_pending_seconds(),
        )
        if _mode() == "invite":
            dynreg.use_invite(str(pending.get("invite") or ""))
        db.session.commit()  # reference and invitation are used up even if the platform then fails
        config, outcome = dynreg.complete(
            pending, current_app.config["JOB_ROLE_PARAMETER"], _http()
        )
    except dynreg.RegistrationProblem as error:
        return _problem(error)
    db.session.commit()
    return _page(
        render_template(
            "install/done.html",
            config=config,
            outcome=outcome,
            scope_labels=toolinfo.SCOPE_LABELS,
            message_labels=toolinfo.MESSAGE_LABELS,
        )
    )


@bp.get("/config.json")
def canvas_config() -> Any:
    return jsonify(toolinfo.canvas_config(_base_url(), current_app.config["JOB_ROLE_PARAMETER"]))
