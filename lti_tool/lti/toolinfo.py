"""What Wayfinder asks of an LMS, in one place: its URLs, scopes, messages, placements, claims and
custom fields. The dynamic registration request (LTI Dynamic Registration 1.0, with Canvas's
extension keys) and the Canvas developer-key JSON (/lti/config.json) are both built from here, so
they cannot drift apart.

Everything is a pure function of the public base URL and the job-role parameter name: no Flask,
no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lti_tool import timezones
from lti_tool.i18n import _l

TITLE = "Wayfinder"
DESCRIPTION = (
    "Learning paths per job role, self-directed course picking, peer knowledge-sharing and "
    "recognition for contact-center teams."
)
TOOL_ID = "wayfinder"

AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
SCOPE_LINEITEM = AGS + "lineitem"
SCOPE_LINEITEM_READONLY = AGS + "lineitem.readonly"
SCOPE_RESULT_READONLY = AGS + "result.readonly"
SCOPE_SCORE = AGS + "score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SCOPES = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE, SCOPE_NRPS)
AGS_SCOPES = frozenset({SCOPE_LINEITEM, SCOPE_SCORE})  # what write-back needs at the least

RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"

# OpenID claims Wayfinder wants in each launch: who the person is, to greet and group them.
CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email", "locale")
NAME_CLAIMS = frozenset({"name", "given_name", "family_name"})

CANVAS = "https://canvas.instructure.com/lti/"
CANVAS_PRIVACY_LEVEL = CANVAS + "privacy_level"
CANVAS_TOOL_ID = CANVAS + "tool_id"
CANVAS_PLATFORM = "canvas.instructure.com"
PRIVACY_LEVEL = "public"

# The IMS placement for "add content" (Canvas calls it link_selection).
IMS_CONTENT_AREA = "ContentArea"

# Shown on the install pages, in the page's language.
SCOPE_LABELS = {
    SCOPE_LINEITEM: _l("Create and manage gradebook columns (AGS line items)"),
    SCOPE_LINEITEM_READONLY: _l("Read gradebook columns (AGS line items, read-only)"),
    SCOPE_RESULT_READONLY: _l("Read results (AGS results, read-only)"),
    SCOPE_SCORE: _l("Send progress as scores (AGS scores)"),
    SCOPE_NRPS: _l("Read course rosters (Names and Role Provisioning)"),
}
MESSAGE_LABELS = {
    RESOURCE_LINK: _l("Open Wayfinder (resource link launch)"),
    DEEP_LINKING: _l("Place Wayfinder content in a course (deep linking)"),
}


@dataclass(frozen=True)
class Message:
    """One kind of launch Wayfinder accepts and where it should appear in the LMS."""

    type: str
    label: str
    path: str
    canvas_placements: tuple[str, ...]
    ims_placements: tuple[str, ...] = ()


MESSAGES = (
    Message(RESOURCE_LINK, TITLE, "/lti/launch", ("course_navigation", "account_navigation")),
    Message(
        DEEP_LINKING,
        "Add Wayfinder content",
        "/lti/launch",
        ("link_selection", "assignment_selection"),
        (IMS_CONTENT_AREA,),
    ),
)


@dataclass(frozen=True)
class ToolUrls:
    base: str

    @property
    def login(self) -> str:
        return self.base + "/lti/login"

    @property
    def launch(self) -> str:
        return self.base + "/lti/launch"

    @property
    def jwks(self) -> str:
        return self.base + "/lti/jwks"

    @property
    def register(self) -> str:
        return self.base + "/lti/register"

    @property
    def canvas_config(self) -> str:
        return self.base + "/lti/config.json"

    @property
    def target_link_uri(self) -> str:
        return self.launch

    @property
    def domain(self) -> str:
        """host[:port] of target_link_uri, as Moodle compares it."""
        return urlsplit(self.target_link_uri).netloc

    @property
    def redirect_uris(self) -> list[str]:
        return [self.launch]


def urls(base_url: str) -> ToolUrls:
    return ToolUrls(base_url.rstrip("/"))


def custom_fields(job_role_parameter: str) -> dict[str, str]:
    """Sent with every launch. The job role has no standard LMS variable: the value is left empty
    for the admin to fill in per course or placement (an empty value is ignored at launch)."""
    return {
        "canvas_user_id": "$Canvas.user.id",
        "canvas_course_id": "$Canvas.course.id",
        timezones.PARAMETER: timezones.VARIABLE,
        job_role_parameter: "",
    }


def ims_custom_parameters(job_role_parameter: str) -> dict[str, str]:
    """Custom parameters for platforms that are not Canvas: Canvas variables would arrive as the
    literal text "$Canvas.user.id" elsewhere, so the time zone (a standard LTI variable, which
    Moodle fills too) and the job role go."""
    return {timezones.PARAMETER: timezones.VARIABLE, job_role_parameter: ""}


# -- Canvas developer-key JSON --------------------------------------------------------------------


def canvas_config(base_url: str, job_role_parameter: str) -> dict[str, Any]:
    """The JSON Canvas takes for a developer key (doc/api/lti_dev_key_config.md)."""
    u = urls(base_url)
    placements = [
        {
            "placement": placement,
            "message_type": message.type,
            "target_link_uri": u.base + message.path,
            "text": message.label,
        }
        for message in MESSAGES
        for placement in message.canvas_placements
    ]
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "oidc_initiation_url": u.login,
        "target_link_uri": u.target_link_uri,
        "public_jwk_url": u.jwks,
        "scopes": list(SCOPES),
        "extensions": [
            {
                "domain": u.domain,
                "tool_id": TOOL_ID,
                "platform": CANVAS_PLATFORM,
                "privacy_level": PRIVACY_LEVEL,
                "settings": {"text": TITLE, "placements": placements},
            }
        ],
        "custom_fields": custom_fields(job_role_parameter),
    }


# -- LTI Dynamic Registration ---------------------------------------------------------------------


def _supported_placements(platform_messages: list[dict[str, Any]], message_type: str) -> set[str]:
    found: set[str] = set()
    for entry in platform_messages:
        if not isinstance(entry, dict) or entry.get("type") != message_type:
            continue
        placements = entry.get("placements")  # junk from the LMS counts as none named
        if isinstance(placements, list):
            found.update(p for p in placements if isinstance(p, str))
    return found


def registration_messages(
    platform_messages: list[dict[str, Any]] | None, *, canvas: bool
) -> list[dict[str, Any]]:
    """The messages to ask for. When the platform lists the messages it supports, only those are
    asked for, with the placements it names; a platform that lists none gets all of them."""
    listed = platform_messages or []
    types = {m["type"] for m in listed if isinstance(m, dict) and isinstance(m.get("type"), str)}
    result = []
    for message in MESSAGES:
        if listed and message.type not in types:
            continue
        entry: dict[str, Any] = {"type": message.type, "label": message.label}
        wanted = message.canvas_placements if canvas else message.ims_placements
        supported = _supported_placements(listed, message.type)
        placements = [p for p in wanted if p in supported] if supported else []
        if canvas and not supported:
            placements = list(wanted)
        if placements:
            entry["placements"] = placements
        result.append(entry)
    return result


def registration_request(
    base_url: str,
    job_role_parameter: str,
    *,
    platform_messages: list[dict[str, Any]] | None = None,
    canvas: bool = False,
) -> dict[str, Any]:
    """The client registration Wayfinder posts to the platform's registration endpoint."""
    u = urls(base_url)
    messages = registration_messages(platform_messages, canvas=canvas)
    for message in messages:
        message["target_link_uri"] = u.target_link_uri
    tool_configuration: dict[str, Any] = {
        "domain": u.domain,
        "target_link_uri": u.target_link_uri,
        "description": DESCRIPTION,
        "custom_parameters": (
            custom_fields(job_role_parameter)
            if canvas
            else ims_custom_parameters(job_role_parameter)
        ),
        "claims": list(CLAIMS),
        "messages": messages,
    }
    if canvas:
        tool_configuration[CANVAS_PRIVACY_LEVEL] = PRIVACY_LEVEL
        tool_configuration[CANVAS_TOOL_ID] = TOOL_ID
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": u.login,
        "redirect_uris": u.redirect_uris,
        "client_name": TITLE,
        "jwks_uri": u.jwks,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        "https://purl.imsglobal.org/spec/lti-tool-configuration": tool_configuration,
    }
