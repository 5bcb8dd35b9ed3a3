"""OIDC third-party initiated login (LTI 1.3 core, section 5.1.1).

1. The LMS sends iss, login_hint, target_link_uri (and usually client_id, lti_message_hint,
   lti_deployment_id; Canvas adds lti_storage_target) by GET or POST.
2. Wayfinder finds the registration, records the login state server-side (nonce, registration,
   target link, the login parameters for a relaunch in a new window) in the shared store, and
3. answers with a redirect to the platform's auth endpoint, setting a state cookie and, when the
   platform offers LTI Platform Storage, also putting the state there from the browser.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from lti_tool.errors import LaunchError
from lti_tool.extensions import store
from lti_tool.lti.registry import RegistrationInfo, find_registration

LOGIN_PARAMS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "client_id",
    "lti_deployment_id",
)


@dataclass(frozen=True)
class LoginResult:
    auth_url: str
    state: str
    registration: RegistrationInfo
    storage_target: str | None


def state_cookie_name(state: str) -> str:
    return "wayfinder_lti_state_" + hashlib.sha256(state.encode()).hexdigest()[:16]


def state_key(state: str) -> str:
    return "state:" + state


def storage_key(state: str) -> str:
    """The key under which the state is kept in the platform's storage."""
    return "wayfinder_state_" + state


def same_origin(url: str, origin: str) -> bool:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() == origin.lower()


def start_login(
    params: dict[str, str], *, redirect_uri: str, tool_origin: str, ttl: int
) -> LoginResult:
    values = {name: (params.get(name) or "").strip() for name in LOGIN_PARAMS}
    missing = [name for name in ("iss", "login_hint", "target_link_uri") if not values[name]]
    if missing:
        raise LaunchError(
            "login_missing_param", "missing: " + ", ".join(missing), issuer=values["iss"]
        )
    context = {"issuer": values["iss"], "client_id": values["client_id"]}
    try:
        registration = find_registration(values["iss"], values["client_id"] or None)
    except ValueError as exc:
        raise LaunchError("ambiguous_registration", str(exc), **context) from exc
    if registration is None:
        raise LaunchError(
            "unknown_registration",
            f"issuer {values['iss']!r}, client_id {values['client_id'] or '(not sent)'!r}",
            **context,
        )
    if not registration.enabled:
        raise LaunchError(
            "registration_disabled", registration.name, registration_id=registration.id, **context
        )
    if not same_origin(values["target_link_uri"], tool_origin):
        raise LaunchError(
            "target_link_uri_mismatch",
            f"target_link_uri {values['target_link_uri']!r} is not on {tool_origin}",
            registration_id=registration.id,
            **context,
        )

    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    storage_target = (params.get("lti_storage_target") or "").strip() or None
    store.set(
        state_key(state),
        {
            "nonce": nonce,
            "registration_id": registration.id,
            "target_link_uri": values["target_link_uri"],
            "storage_target": storage_target,
            # Platform Storage messages go to the auth endpoint's origin (LTI Client Side postMessages).
            "auth_origin": registration.auth_origin,
            "login": {k: v for k, v in values.items() if v},
            "created": time.time(),
        },
        ttl,
    )
    auth_params: dict[str, Any] = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": registration.client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "nonce": nonce,
        "login_hint": values["login_hint"],
    }
    if values["lti_message_hint"]:
        auth_params["lti_message_hint"] = values["lti_message_hint"]
    separator = "&" if "?" in registration.auth_login_url else "?"
    return LoginResult(
        auth_url=registration.auth_login_url + separator + urlencode(auth_params),
        state=state,
        registration=registration,
        storage_target=storage_target,
    )


def remember_relaunch(login_params: dict[str, str], ttl: int) -> str:
    """Keep a login's parameters under a fresh id, for 'open in a new window'."""
    relaunch_id = secrets.token_urlsafe(24)
    store.set("relaunch:" + relaunch_id, login_params, ttl)
    return relaunch_id


def take_relaunch(relaunch_id: str) -> dict[str, str] | None:
    return store.pop("relaunch:" + relaunch_id)
