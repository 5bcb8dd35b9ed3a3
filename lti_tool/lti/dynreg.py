"""LTI Dynamic Registration 1.0 (https://www.imsglobal.org/spec/lti-dr/v1p0), the tool's side.

1. The LMS opens /lti/register?openid_configuration=…&registration_token=… (Moodle in a modal,
   Canvas in an iframe, before any launch: there is no launch token and cookies may be blocked).
2. Wayfinder fetches the platform's OpenID configuration (with the token as Bearer, which Canvas
   requires) and validates it: issuer, endpoints, the LTI platform-configuration block, and that
   the configuration URL lives on the issuer's origin.
3. The pending registration (including the registration token, a secret) is kept server-side in
   the shared store for a few minutes under a random id; the confirmation form carries only a
   signed, expiring reference to it, which doubles as the form's CSRF token (a cookie-bound token
   would fail in an iframe that blocks cookies). Confirming uses it up.
4. Wayfinder posts its registration (built by toolinfo) to the registration endpoint, stores the
   Registration and its Deployment, and records what the platform actually granted.

pylti1p3next ships a DynamicRegistration class, but it performs no validation of the platform's
configuration, calls requests without a timeout and signals problems with assert; this module does
those steps through adapters.http.HttpClient and turns each failure into a named problem instead.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from adapters.http import HttpClient, HttpError, json_without_nul, read_json
from lti_tool.errors import Problem
from lti_tool.extensions import db, store
from lti_tool.i18n import _, _l
from lti_tool.lti import toolinfo
from lti_tool.lti.models import Deployment, DeploymentStatus, PlatformKind, Registration, utcnow
from lti_tool.web_address import split_url

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
CANVAS_ACCOUNT_NAME = "https://canvas.instructure.com/lti/account_name"
PENDING_PREFIX = "dynreg:"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


RESTART = _l("Start the registration again from your LMS.")
PROBLEMS: dict[str, Problem] = {
    "not_from_lms": Problem(
        _l("Open this address from your LMS"),
        (
            _l("This is Wayfinder's dynamic registration address."),
            _l(
                "Your LMS opens it with the details of its configuration; opened on its own, "
                "there is nothing to register."
            ),
        ),
        (
            _l(
                "In Moodle 4.1 or later: Site administration > Plugins > Activity modules > "
                "External tool > Manage tools, paste this address under 'Tool URL' and choose "
                "'Add LTI Advantage'."
            ),
            _l(
                "In Canvas: Admin > Developer Keys (or Apps) > LTI Registration, and paste this "
                "address."
            ),
        ),
    ),
    "registration_off": Problem(
        _l("Dynamic registration is switched off"),
        _l("This Wayfinder does not accept registrations through this address."),
        _l(
            "Register the LMS by hand with `flask registrations add`, or set "
            'DYNAMIC_REGISTRATION = "invite" (or "open") in Wayfinder\'s settings.'
        ),
        403,
    ),
    "invite_required": Problem(
        _l("This registration needs an invitation link"),
        _l(
            "This Wayfinder registers an LMS only through a one-time invitation link from the "
            "people who run Wayfinder, so that nobody else can add an LMS to it."
        ),
        _l(
            "Ask them for an invitation link (they make one with `flask registrations invite "
            "--base-url <Wayfinder's address>`) and paste that whole link in your LMS instead of "
            "this address."
        ),
        403,
    ),
    "invite_used": Problem(
        _l("This invitation link was already used or has expired"),
        _l("Each invitation link registers one LMS, within the days it was made for."),
        _l(
            "Ask the people who run Wayfinder for a new invitation link, then start the "
            "registration again from your LMS with it."
        ),
        403,
    ),
    "bad_configuration_url": Problem(
        _l("The LMS gave an unusable configuration address"),
        _l("The openid_configuration address the LMS sent is not a full https address."),
        (
            _l("Check the LMS's own web address setting (Moodle: wwwroot; Canvas: its domain)."),
            _l("Outside development, Wayfinder only fetches LMS configuration over https."),
        ),
    ),
    "configuration_unreachable": Problem(
        _l("Wayfinder could not reach your LMS"),
        _l("Wayfinder tried to read the LMS's OpenID configuration and got no usable answer."),
        _l(
            "Check that Wayfinder's server can reach the LMS (DNS, firewall, proxy, TLS "
            "certificate), then start the registration again from your LMS."
        ),
    ),
    "configuration_refused": Problem(
        _l("Your LMS refused to share its configuration"),
        (
            _l("The LMS answered Wayfinder's request for its OpenID configuration with a refusal."),
            _l("The registration token may have expired or been used already."),
        ),
        (RESTART, _l("Registration tokens last about an hour in Moodle and Canvas.")),
    ),
    "configuration_malformed": Problem(
        _l("Your LMS's configuration is unreadable"),
        _l(
            "The LMS's OpenID configuration is not the JSON document LTI Dynamic Registration "
            "expects."
        ),
        (
            _l("Open the configuration address in a browser: it must return a JSON object."),
            _l("A proxy or login page in front of the LMS can cause this."),
        ),
    ),
    "configuration_invalid": Problem(
        _l("Your LMS's configuration is incomplete"),
        _l("The LMS's OpenID configuration lacks something LTI Dynamic Registration requires."),
        (
            _l("The detail below names what is missing."),
            _l(
                "Check that the LMS supports LTI Advantage (Moodle 4.1 or later; Canvas with "
                "LTI 1.3)."
            ),
        ),
    ),
    "issuer_mismatch": Problem(
        _l("The LMS's configuration names another site"),
        (
            _l(
                "The configuration says it belongs to a different site (issuer) than the "
                "address it was read from."
            ),
            _l("LTI Dynamic Registration requires them to match, so Wayfinder stopped."),
        ),
        _l(
            "Check the LMS's own web address setting (Moodle: wwwroot in config.php) and that "
            "no proxy rewrites it."
        ),
    ),
    "already_registered": Problem(
        _l("This LMS is already registered"),
        (
            _l("The LMS answered with a client ID that Wayfinder already knows for this LMS."),
            _l(
                "A dynamic registration only ever adds a new registration: it never changes or "
                "re-enables one that exists, so nobody can redirect an existing LMS's launches "
                "this way."
            ),
        ),
        _l(
            "Keep using the existing registration (its settings are on Wayfinder's admin pages "
            "and in `flask registrations list`), or remove the tool in the LMS and register it "
            "afresh, which gives a new client ID."
        ),
        409,
    ),
    "registration_expired": Problem(
        _l("This registration page has expired"),
        (
            _l("The confirmation was sent too late or twice."),
            _l("Nothing was registered."),
        ),
        RESTART,
    ),
    "registration_refused": Problem(
        _l("Your LMS refused the registration token"),
        _l(
            "The LMS did not accept the registration token it gave Wayfinder, so nothing was "
            "registered."
        ),
        (RESTART, _l("Tokens expire after about an hour and work once.")),
        403,
    ),
    "registration_rejected": Problem(
        _l("Your LMS rejected Wayfinder's registration"),
        (
            _l("The LMS refused the registration Wayfinder sent."),
            _l("Nothing was registered."),
        ),
        (
            _l("The detail below is the LMS's own message."),
            _l(
                "Check that the LMS may register tools on Wayfinder's address (Moodle blocks "
                "private addresses and ports other than 80/443 by default: "
                "curlsecurityblockedhosts and curlsecurityallowedport)."
            ),
        ),
    ),
    "registration_failed": Problem(
        _l("Your LMS could not complete the registration"),
        _l("The LMS's registration service failed or did not answer."),
        (
            _l("Try again in a few minutes from the LMS."),
            _l("If it persists, check the LMS's logs."),
        ),
        502,
    ),
    "answer_malformed": Problem(
        _l("Your LMS's answer is unreadable"),
        _l("The LMS answered the registration without the client ID Wayfinder needs."),
        _l(
            "The registration may have been created on the LMS side: remove it there, then "
            "start the registration again from your LMS."
        ),
        502,
    ),
}


class RegistrationProblem(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        if code not in PROBLEMS:
            raise ValueError(f"unknown registration problem {code}")
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail

    @property
    def problem(self) -> Problem:
        return PROBLEMS[self.code]


# -- the platform's configuration -----------------------------------------------------------------


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _url_problem(
    url: Any, *, allow_http: bool, allow_private: bool = True, max_length: int | None = None
) -> str:
    """Why ``url`` cannot be used, as a whole sentence in the reader's language, or "".
    ``max_length``: the column that keeps it. The detail of a registration problem puts the
    configuration's field name before it ("jwks_uri: This address ...")."""
    if not isinstance(url, str) or not url:
        return _("The address is missing.")
    parts = split_url(url)
    hostname = parts.hostname if parts is not None else None
    if parts is None or parts.scheme not in ("http", "https") or not hostname:
        return _("This is not a full web address (%(value)s).", value=repr(url[:200]))
    if max_length is not None and len(url) > max_length:
        return _(
            "This address is longer than the %(num)s characters Wayfinder keeps (%(value)s…).",
            num=max_length,
            value=repr(url[:100]),
        )
    if parts.username or parts.password:
        return _("This address carries a user name or password.")
    if parts.scheme == "http" and not (allow_http or hostname in LOOPBACK):
        return _("This address is not https.")
    if not allow_http:
        return address_problem(hostname, allow_private=allow_private)
    return ""


def address_problem(host: str, *, allow_private: bool) -> str:
    """In production an LMS is never on this machine or a link-local address (cloud metadata),
    and on a private network only where ALLOW_PRIVATE_LMS_ADDRESSES says so: Wayfinder must not
    be made to call into its own network on someone's say-so. Returns what to fix as a whole
    sentence about "this address" in the reader's language, or "" when Wayfinder may call it."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return _(
            "The host of this address cannot be found (%(host)s). Check the address for typing "
            "mistakes.",
            host=host[:100],
        )
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if (
            address.is_loopback
            or address.is_link_local
            or address.is_multicast
            or address.is_unspecified
            or address.is_reserved
        ):
            return _(
                "This address leads to %(address)s, which Wayfinder never calls. Give the "
                "address of the LMS itself.",
                address=str(address),
            )
        if address.is_private and not allow_private:
            return _(
                "This address leads to a private network address (%(address)s). Set "
                "ALLOW_PRIVATE_LMS_ADDRESSES = true in Wayfinder's settings if your LMS is on "
                "your own network.",
                address=str(address),
            )
    return ""


@dataclass(frozen=True)
class PlatformConfig:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    product_family_code: str = ""
    version: str = ""
    messages_supported: list[dict[str, Any]] = field(default_factory=list)
    scopes_supported: list[str] = field(default_factory=list)
    account_name: str = ""

    @property
    def kind(self) -> PlatformKind:
        code = self.product_family_code.lower()
        if code == "moodle":
            return PlatformKind.MOODLE
        if code == "canvas":
            return PlatformKind.CANVAS
        return PlatformKind.OTHER

    @property
    def display_name(self) -> str:
        host = urlsplit(self.issuer).netloc
        if self.account_name:
            return f"{self.account_name} ({self.kind.value.capitalize()})"
        if self.kind is PlatformKind.OTHER:
            return host
        return f"{self.kind.value.capitalize()} at {host}"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlatformConfig:
        return cls(**data)


def _kept(column: Any) -> int:
    """How many characters a column of Registration keeps."""
    return int(column.type.length)


# The columns of Registration that keep the configuration's addresses.
ISSUER_MAX = _kept(Registration.__table__.c.issuer)
ENDPOINT_MAX = {
    "authorization_endpoint": _kept(Registration.__table__.c.auth_login_url),
    "token_endpoint": _kept(Registration.__table__.c.auth_token_url),
    "jwks_uri": _kept(Registration.__table__.c.key_set_url),
}


def parse_platform_config(
    data: Any, configuration_url: str, *, allow_http: bool, allow_private: bool = True
) -> PlatformConfig:
    if not isinstance(data, dict):
        raise RegistrationProblem(
            "configuration_malformed", _("The LMS's answer is not a JSON object.")
        )
    data = json_without_nul(data)
    issuer = data.get("issuer")
    problem = _url_problem(
        issuer, allow_http=allow_http, allow_private=allow_private, max_length=ISSUER_MAX
    )
    if problem:
        raise RegistrationProblem("configuration_invalid", f"issuer: {problem}")
    assert isinstance(issuer, str)
    if urlsplit(issuer).query or urlsplit(issuer).fragment:
        raise RegistrationProblem(
            "configuration_invalid",
            _(
                "The issuer must not have a query (?…) or a fragment (#…): %(issuer)s",
                issuer=issuer,
            ),
        )
    if origin(issuer) != origin(configuration_url):
        raise RegistrationProblem(
            "issuer_mismatch",
            _(
                "The issuer is %(issuer)s, but the configuration was read from %(origin)s.",
                issuer=issuer,
                origin=origin(configuration_url),
            ),
        )
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint"):
        problem = _url_problem(
            data.get(name),
            allow_http=allow_http,
            allow_private=allow_private,
            max_length=ENDPOINT_MAX.get(name),
        )
        if problem:
            raise RegistrationProblem("configuration_invalid", f"{name}: {problem}")
        endpoints[name] = data[name]
    # Wayfinder sends the LMS's registration token there and stores what it answers: it must be
    # the LMS itself, on the site the configuration was read from.
    if origin(endpoints["registration_endpoint"]) != origin(configuration_url):
        raise RegistrationProblem(
            "issuer_mismatch",
            _(
                "The registration_endpoint is on %(found)s, not on %(origin)s.",
                found=origin(endpoints["registration_endpoint"]),
                origin=origin(configuration_url),
            ),
        )
    methods = data.get("token_endpoint_auth_methods_supported")
    if isinstance(methods, list) and "private_key_jwt" not in methods:
        raise RegistrationProblem(
            "configuration_invalid",
            _(
                "The LMS's token_endpoint_auth_methods_supported does not include "
                "private_key_jwt, the only way Wayfinder signs in."
            ),
        )
    platform = data.get(PLATFORM_CONFIGURATION)
    if not isinstance(platform, dict):
        raise RegistrationProblem(
            "configuration_invalid",
            _(
                "The %(block)s block is missing: this is not an LTI platform's configuration.",
                block=PLATFORM_CONFIGURATION,
            ),
        )
    messages = platform.get("messages_supported")
    scopes = data.get("scopes_supported")
    return PlatformConfig(
        issuer=issuer,
        product_family_code=str(platform.get("product_family_code") or "")[:60],
        version=str(platform.get("version") or "")[:100],
        messages_supported=[m for m in messages if isinstance(m, dict)]
        if isinstance(messages, list)
        else [],
        scopes_supported=[s for s in scopes if isinstance(s, str)]
        if isinstance(scopes, list)
        else [],
        account_name=str(platform.get(CANVAS_ACCOUNT_NAME) or "")[:120],
        **endpoints,
    )


def fetch_platform_config(
    configuration_url: str,
    registration_token: str,
    http: HttpClient,
    *,
    allow_http: bool,
    allow_private: bool = True,
) -> PlatformConfig:
    problem = _url_problem(configuration_url, allow_http=allow_http, allow_private=allow_private)
    if problem:
        raise RegistrationProblem("bad_configuration_url", f"openid_configuration: {problem}")
    headers = {"Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    try:
        # No redirects: the issuer check below must hold for the address actually read.
        data = http.get_json(configuration_url, headers=headers, allow_redirects=False)
    except HttpError as exc:
        if exc.reason == "the answer is not JSON":
            raise RegistrationProblem("configuration_malformed", str(exc)) from exc
        if exc.status in (401, 403):
            raise RegistrationProblem("configuration_refused", str(exc)) from exc
        raise RegistrationProblem("configuration_unreachable", str(exc)) from exc
    return parse_platform_config(
        data, configuration_url, allow_http=allow_http, allow_private=allow_private
    )


# -- the pending registration ---------------------------------------------------------------------


def _serializer(keys: Sequence[str]) -> URLSafeTimedSerializer:
    # config.signing_keys: a confirmation page open while SECRET_KEY changed still registers.
    return URLSafeTimedSerializer(list(keys), salt="wayfinder-dynamic-registration")


def remember_pending(
    config: PlatformConfig,
    configuration_url: str,
    registration_token: str,
    base_url: str,
    *,
    keys: Sequence[str],
    ttl: int,
    invite: str = "",
) -> str:
    """Keep the pending registration server-side; return the signed reference for the form."""
    pending_id = secrets.token_urlsafe(24)
    store.set(
        PENDING_PREFIX + pending_id,
        {
            "config": config.to_dict(),
            "configuration_url": configuration_url,
            "registration_token": registration_token,
            "base_url": base_url,
            "invite": invite,
        },
        ttl,
    )
    return _serializer(keys).dumps(pending_id)


def take_pending(reference: str, *, keys: Sequence[str], ttl: int) -> dict[str, Any]:
    """The pending registration behind a form's reference, used up. Raises when it is forged,
    expired, or already used."""
    try:
        pending_id = _serializer(keys).loads(reference, max_age=ttl)
    except BadSignature as exc:
        raise RegistrationProblem("registration_expired") from exc
    record = store.pop(PENDING_PREFIX + str(pending_id)) if isinstance(pending_id, str) else None
    if not isinstance(record, dict):
        raise RegistrationProblem(
            "registration_expired", _("This confirmation was already used, or it expired.")
        )
    return record


# -- invitations ----------------------------------------------------------------------------------

INVITE_PREFIX = "dynreg-invite:"
MODES = ("invite", "open", "off")


def _invite_key(invite: str) -> str:
    return INVITE_PREFIX + hashlib.sha256(invite.encode()).hexdigest()


def create_invite(ttl: int, note: str = "") -> str:
    """A one-time invitation to register an LMS; only its hash is kept, for `ttl` seconds."""
    invite = secrets.token_urlsafe(24)
    store.set(_invite_key(invite), {"note": note, "created": time.time()}, ttl)
    return invite


def invite_is_open(invite: str) -> bool:
    return bool(invite) and store.get(_invite_key(invite)) is not None


def use_invite(invite: str) -> None:
    """Use the invitation up; raises when it was already used or expired."""
    if not invite or store.pop(_invite_key(invite)) is None:
        raise RegistrationProblem("invite_used")


# -- registering ----------------------------------------------------------------------------------


def build_request(config: PlatformConfig, base_url: str, job_role_parameter: str) -> dict[str, Any]:
    return toolinfo.registration_request(
        base_url,
        job_role_parameter,
        platform_messages=config.messages_supported,
        canvas=config.kind is PlatformKind.CANVAS,
    )


def _platform_message(exc: HttpError) -> str:
    """The LMS's own error text, when its answer is JSON (never raw bodies: the endpoint is
    whatever the configuration named)."""
    import json

    try:
        body = json.loads(exc.body_excerpt)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [
        str(body.get(k)) for k in ("error", "error_description", "errorMessage") if body.get(k)
    ]
    errors = body.get("errors")
    if isinstance(errors, list):
        parts.extend(str(e)[:200] for e in errors[:3])
    return "; ".join(parts)[:300]


def post_registration(
    config: PlatformConfig, registration_token: str, body: dict[str, Any], http: HttpClient
) -> dict[str, Any]:
    headers = {"Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    try:
        response = http.request(
            "POST", config.registration_endpoint, json=body, headers=headers, allow_redirects=False
        )
    except HttpError as exc:
        said = _platform_message(exc)
        detail = f"{exc}" + (f" ({said})" if said else "")
        if exc.status in (401, 403):
            raise RegistrationProblem("registration_refused", detail) from exc
        if 400 <= exc.status < 500:
            raise RegistrationProblem("registration_rejected", detail) from exc
        raise RegistrationProblem("registration_failed", detail) from exc
    try:
        answer = read_json(response)
    except ValueError as exc:
        raise RegistrationProblem("answer_malformed", _("The LMS's answer is not JSON.")) from exc
    if not isinstance(answer, dict) or not str(answer.get("client_id") or "").strip():
        raise RegistrationProblem("answer_malformed", _("The LMS's answer has no client_id."))
    return answer


@dataclass(frozen=True)
class Granted:
    """What the platform actually agreed to, from its registration answer."""

    scopes: list[str]
    messages: list[dict[str, Any]]
    claims: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"scopes": self.scopes, "messages": self.messages, "claims": self.claims}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Granted | None:
        if not data:
            return None
        return cls(
            list(data.get("scopes") or []),
            list(data.get("messages") or []),
            list(data.get("claims") or []),
        )

    @property
    def message_types(self) -> set[str]:
        # The basic launch is implied: Moodle lists only the extra messages it enabled.
        return {toolinfo.RESOURCE_LINK} | {str(m.get("type")) for m in self.messages}


def _listed(value: Any) -> list[Any]:
    """A list the LMS sent, or none where it sent something else."""
    return value if isinstance(value, list) else []


def read_granted(answer: dict[str, Any]) -> Granted:
    tool = answer.get(TOOL_CONFIGURATION)
    tool = tool if isinstance(tool, dict) else {}
    scope = answer.get("scope")
    scopes = scope.split() if isinstance(scope, str) else []
    messages = []
    for message in _listed(tool.get("messages")):
        if isinstance(message, dict) and isinstance(message.get("type"), str):
            messages.append(
                {
                    "type": message["type"],
                    "placements": [
                        p for p in _listed(message.get("placements")) if isinstance(p, str)
                    ],
                }
            )
    claims = [c for c in _listed(tool.get("claims")) if isinstance(c, str)]
    return Granted(scopes=scopes, messages=messages, claims=claims)


def answered_deployment_id(answer: dict[str, Any]) -> str:
    tool = answer.get(TOOL_CONFIGURATION)
    value = tool.get("deployment_id") if isinstance(tool, dict) else None
    return str(value).strip() if value not in (None, "") else ""


@dataclass(frozen=True)
class Gap:
    title: str
    consequence: str
    fix: str


def warnings(granted: Granted | None, kind: PlatformKind) -> list[Gap]:
    """What Wayfinder cannot do with what the platform granted, in plain words."""
    if granted is None:
        return []
    canvas = kind is PlatformKind.CANVAS
    found = []
    scopes = set(granted.scopes)
    if not toolinfo.AGS_SCOPES.issubset(scopes):
        found.append(
            Gap(
                _("No gradebook access (Assignment and Grade Services)"),
                _("Progress made in Wayfinder cannot reach the LMS gradebook."),
                _(
                    "In Canvas, edit the developer key and enable the AGS line item and score "
                    "scopes."
                )
                if canvas
                else _(
                    "In Moodle, edit the tool under Manage tools and set 'IMS LTI Assignment and "
                    "Grade Services' to 'Use this service for grade sync and column management'."
                ),
            )
        )
    if toolinfo.SCOPE_NRPS not in scopes:
        found.append(
            Gap(
                _("No roster access (Names and Role Provisioning)"),
                _("Roster sync cannot run: Wayfinder only knows people once they launch it."),
                _("In Canvas, enable the 'contextmembership.readonly' scope on the developer key.")
                if canvas
                else _(
                    "In Moodle, set 'IMS LTI Names and Role Provisioning' to 'Use this service "
                    "to retrieve members' information as per privacy settings'."
                ),
            )
        )
    claims = set(granted.claims)
    no_names = not claims & toolinfo.NAME_CLAIMS
    no_email = "email" not in claims
    if no_names or no_email:
        found.append(
            Gap(
                _("The LMS will not share people's names or email addresses")
                if no_names and no_email
                else _("The LMS will not share people's names")
                if no_names
                else _("The LMS will not share people's email addresses"),
                _(
                    "Wayfinder will show people by their LMS ID, and colleagues cannot find each "
                    "other by name."
                ),
                _("In Canvas, set the developer key's privacy level to Public.")
                if canvas
                else _(
                    "In Moodle, set 'Share launcher's name with tool' and 'Share launcher's "
                    "email with tool' to 'Always'."
                ),
            )
        )
    if toolinfo.DEEP_LINKING not in granted.message_types:
        found.append(
            Gap(
                _("No content selection (Deep Linking)"),
                _(
                    "Instructors cannot place a learning path or step in a course from the LMS's "
                    "'add content' screens."
                ),
                _("In Canvas, enable the Link Selection and Assignment Selection placements.")
                if canvas
                else _(
                    "In Moodle, tick 'Supports Deep Linking (Content-Item Message)' on the tool."
                ),
            )
        )
    return found


@dataclass
class Outcome:
    registration: Registration
    deployment: Deployment | None
    created: bool
    granted: Granted
    warnings: list[Gap]


def save_registration(config: PlatformConfig, answer: dict[str, Any]) -> Outcome:
    """Store a new registration (a new client_id makes a new one: Moodle issues one per
    registration) and its deployment, active. An existing (issuer, client_id) is refused, never
    changed. Adds and flushes; the view commits."""
    client_id = str(answer["client_id"]).strip()[:255]
    existing = db.session.scalar(
        select(Registration.id).where(
            Registration.issuer == config.issuer, Registration.client_id == client_id
        )
    )
    if existing is not None:
        raise RegistrationProblem(
            "already_registered",
            _("Wayfinder already holds it as registration %(id)s.", id=existing),
        )
    created = True
    reg = Registration(issuer=config.issuer, client_id=client_id)
    db.session.add(reg)
    granted = read_granted(answer)
    reg.name = reg.name or config.display_name[:200]
    reg.platform = config.kind
    reg.auth_login_url = config.authorization_endpoint
    reg.auth_token_url = config.token_endpoint
    reg.key_set_url = config.jwks_uri
    reg.enabled = True
    reg.disabled_at = None
    reg.registered_via = "dynamic"
    reg.platform_version = config.version
    reg.granted = granted.to_dict()
    db.session.flush()
    deployment = None
    deployment_id = answered_deployment_id(answer)[:255]
    if deployment_id:
        deployment = db.session.scalar(
            select(Deployment).where(
                Deployment.registration_id == reg.id, Deployment.deployment_id == deployment_id
            )
        )
        if deployment is None:
            deployment = Deployment(registration_id=reg.id, deployment_id=deployment_id)
            db.session.add(deployment)
        deployment.status = DeploymentStatus.ACTIVE
        deployment.approved_at = utcnow()
        deployment.name = deployment.name or "Added by dynamic registration"
        db.session.flush()
    return Outcome(reg, deployment, created, granted, warnings(granted, config.kind))


def complete(
    pending: dict[str, Any], job_role_parameter: str, http: HttpClient
) -> tuple[PlatformConfig, Outcome]:
    config = PlatformConfig.from_dict(pending["config"])
    body = build_request(config, pending["base_url"], job_role_parameter)
    answer = post_registration(config, pending["registration_token"], body, http)
    return config, save_registration(config, answer)
