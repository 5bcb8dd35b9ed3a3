"""LaunchContext: the launch's claims, read once into a small typed object.

This is the only module that knows the claim URIs. Everything else asks the LaunchContext who the
person is, which tenant and course they came from, their roles, custom parameters and the
service endpoints the platform offered.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lti_tool import timezones
from lti_tool.lti.roles import Role, map_roles

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = CLAIM + "message_type"
VERSION = CLAIM + "version"
DEPLOYMENT_ID = CLAIM + "deployment_id"
TARGET_LINK_URI = CLAIM + "target_link_uri"
RESOURCE_LINK = CLAIM + "resource_link"
ROLES = CLAIM + "roles"
CONTEXT = CLAIM + "context"
CUSTOM = CLAIM + "custom"
TOOL_PLATFORM = CLAIM + "tool_platform"
LAUNCH_PRESENTATION = CLAIM + "launch_presentation"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DEEP_LINKING = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
DL_CONTENT_ITEMS = DL_CLAIM + "content_items"
DL_DATA = DL_CLAIM + "data"
DL_MSG = DL_CLAIM + "msg"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
SUPPORTED_MESSAGES = frozenset({RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST})
ID_MAX = 255  # LTI 1.3 caps sub, deployment_id, context and resource link ids at 255 characters
TEXT_MAX = 255  # names, email and course titles: the columns keeping them


@dataclass(frozen=True)
class CourseRef:
    id: int
    context_id: str
    title: str
    label: str


@dataclass(frozen=True)
class Services:
    nrps_memberships_url: str | None = None
    ags_lineitems_url: str | None = None
    ags_lineitem_url: str | None = None
    ags_scopes: tuple[str, ...] = ()
    deep_linking_return_url: str | None = None
    # Opaque to Wayfinder and echoed back unchanged (Canvas sends a string; any JSON value goes).
    deep_linking_data: Any = None
    deep_linking_accept_types: tuple[str, ...] = ()
    deep_linking_accept_multiple: bool = False
    # None: the platform did not say whether it creates line items (then Wayfinder sends them).
    deep_linking_accept_lineitem: bool | None = None


@dataclass(frozen=True)
class LaunchContext:
    launch_id: str
    registration_id: int
    issuer: str
    client_id: str
    platform: str
    deployment_pk: int
    deployment_id: str
    person_id: int
    sub: str
    name: str
    email: str
    roles: frozenset[Role]
    lti_roles: tuple[str, ...]
    message_type: str
    resource_link_id: str | None
    resource_link_title: str | None
    course: CourseRef | None
    custom: dict[str, str] = field(default_factory=dict)
    services: Services = field(default_factory=Services)
    return_url: str | None = None
    product_family: str = ""
    # The language the person uses in the LMS, as the LMS wrote it ("es_mx", "pt-BR"), or "".
    locale: str = ""
    # Their time zone, as this launch or an earlier one sent it, or "" (lti_tool.timezones).
    timezone: str = ""

    def has(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_learner(self) -> bool:
        return Role.LEARNER in self.roles

    @property
    def is_leader(self) -> bool:
        return Role.LEADER in self.roles

    @property
    def is_instructor(self) -> bool:
        return Role.INSTRUCTOR in self.roles

    @property
    def is_administrator(self) -> bool:
        return Role.ADMINISTRATOR in self.roles

    @property
    def primary_role(self) -> Role:
        for role in (Role.ADMINISTRATOR, Role.INSTRUCTOR, Role.LEADER, Role.LEARNER):
            if role in self.roles:
                return role
        return Role.LEARNER

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["roles"] = sorted(r.value for r in self.roles)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LaunchContext:
        data = dict(data)
        data["roles"] = frozenset(Role(r) for r in data["roles"])
        data["lti_roles"] = tuple(data["lti_roles"])
        course = data.get("course")
        data["course"] = CourseRef(**course) if course else None
        services = dict(data.get("services") or {})
        services["ags_scopes"] = tuple(services.get("ags_scopes") or ())
        services["deep_linking_accept_types"] = tuple(
            services.get("deep_linking_accept_types") or ()
        )
        data["services"] = Services(**services)
        return cls(**data)


def _flag(value: Any) -> bool | None:
    """A boolean claim; some platforms send "true"/"false" strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


@dataclass(frozen=True)
class Claims:
    """The launch's claims as plain values, before anything is stored."""

    message_type: str
    deployment_id: str
    sub: str
    name: str
    given_name: str
    family_name: str
    email: str
    lti_roles: tuple[str, ...]
    roles: frozenset[Role]
    resource_link_id: str | None
    resource_link_title: str | None
    context_id: str | None
    context_title: str
    context_label: str
    custom: dict[str, str]
    services: Services
    return_url: str | None
    product_family: str
    target_link_uri: str
    locale: str
    timezone: str

    @classmethod
    def read(cls, body: dict[str, Any]) -> Claims:
        def obj(key: str) -> dict[str, Any]:
            value = body.get(key)
            return value if isinstance(value, dict) else {}

        def text(value: Any) -> str:
            return value.strip() if isinstance(value, str) else ""

        def shown(value: Any) -> str:
            """A name or title, as long as Wayfinder keeps it."""
            return text(value)[:TEXT_MAX].strip()

        raw_roles = body.get(ROLES)
        lti_roles = (
            tuple(r for r in raw_roles if isinstance(r, str)) if isinstance(raw_roles, list) else ()
        )
        resource_link = obj(RESOURCE_LINK)
        context = obj(CONTEXT)
        custom = {
            str(k): str(v) for k, v in obj(CUSTOM).items() if isinstance(v, str | int | float)
        }
        nrps = obj(NRPS)
        ags = obj(AGS)
        dl = obj(DEEP_LINKING)
        scopes = ags.get("scope")
        accept = dl.get("accept_types")
        email = text(body.get("email"))
        return cls(
            message_type=text(body.get(MESSAGE_TYPE)),
            deployment_id=text(body.get(DEPLOYMENT_ID)),
            sub=text(body.get("sub")),
            name=shown(body.get("name")),
            given_name=shown(body.get("given_name")),
            family_name=shown(body.get("family_name")),
            email=email if len(email) <= TEXT_MAX else "",  # a longer one is no address
            lti_roles=lti_roles,
            roles=map_roles(lti_roles),
            resource_link_id=text(resource_link.get("id")) or None,
            resource_link_title=shown(resource_link.get("title")) or None,
            context_id=text(context.get("id")) or None,
            context_title=shown(context.get("title")),
            context_label=shown(context.get("label")),
            custom=custom,
            services=Services(
                nrps_memberships_url=text(nrps.get("context_memberships_url")) or None,
                ags_lineitems_url=text(ags.get("lineitems")) or None,
                ags_lineitem_url=text(ags.get("lineitem")) or None,
                ags_scopes=tuple(s for s in scopes if isinstance(s, str))
                if isinstance(scopes, list)
                else (),
                deep_linking_return_url=text(dl.get("deep_link_return_url")) or None,
                deep_linking_data=dl.get("data"),
                deep_linking_accept_types=tuple(a for a in accept if isinstance(a, str))
                if isinstance(accept, list)
                else (),
                deep_linking_accept_multiple=_flag(dl.get("accept_multiple")) is True,
                deep_linking_accept_lineitem=_flag(dl.get("accept_lineitem")),
            ),
            return_url=text(obj(LAUNCH_PRESENTATION).get("return_url")) or None,
            product_family=text(obj(TOOL_PLATFORM).get("product_family_code")),
            target_link_uri=text(body.get(TARGET_LINK_URI)),
            locale=text(obj(LAUNCH_PRESENTATION).get("locale"))[:35],
            timezone=timezones.known(custom.get(timezones.PARAMETER)),
        )
