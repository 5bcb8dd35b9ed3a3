"""A minimal LTI 1.3 platform on top of lti1p3platform, a third-party platform implementation.

Used by the development launcher and by the tests to launch Wayfinder through the real OIDC flow:
login initiation URL -> (Wayfinder redirects to) auth endpoint -> auto-posted id_token.
"""

from __future__ import annotations

import time
import typing as t
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.deep_linking import LtiDeepLinking
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration as PlatformRegistration
from lti1p3platform.request import Request as PlatformRequest

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
DL_SETTINGS = DL_CLAIM + "deep_linking_settings"


def generate_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass
class LaunchUser:
    sub: str
    roles: list[str]
    name: str | None = None
    email: str | None = None


@dataclass
class LaunchSpec:
    """What the platform puts in one launch."""

    user: LaunchUser
    context_id: str | None = None
    context_title: str | None = None
    resource_link_id: str = "wayfinder-home"
    custom: dict[str, str] = field(default_factory=dict)
    extra_claims: dict[str, t.Any] = field(default_factory=dict)
    resource_link_title: str = "Wayfinder"
    # A placed link's own URL; None: the tool's launch URL.
    target_link_uri: str | None = None
    # The deep_linking_settings claim: makes the launch an LtiDeepLinkingRequest (no resource link).
    deep_linking: dict[str, t.Any] | None = None


def deep_linking_settings(
    return_url: str,
    *,
    accept_multiple: bool = True,
    data: t.Any = None,
    accept_types: t.Iterable[str] = ("ltiResourceLink",),
    title: str = "",
    text: str = "",
) -> dict[str, t.Any]:
    """A deep_linking_settings claim, built by lti1p3platform. Moodle sends no data and
    accept_multiple true; Canvas sends data (a signed string) and its placement's accept_multiple."""
    claim = LtiDeepLinking(return_url).get_lti_deep_linking_launch_claim(
        title, text, set(accept_types)
    )[DL_SETTINGS]
    claim["accept_types"] = list(accept_types)  # keep the platform's order
    claim["accept_multiple"] = accept_multiple
    if data is not None:
        claim["data"] = data
    return dict(claim)


class DeepLinkingResponseInvalid(Exception):
    """The tool's LtiDeepLinkingResponse is not one this platform would accept."""


@dataclass
class DeepLinkingResult:
    items: list[dict[str, t.Any]]
    claims: dict[str, t.Any]

    @property
    def data(self) -> t.Any:
        return self.claims.get(DL_CLAIM + "data")

    @property
    def message(self) -> str:
        return str(self.claims.get(DL_CLAIM + "msg") or "")


class _Request(PlatformRequest):
    def build_metadata(self, request: dict[str, t.Any]) -> t.Any:
        return {
            "method": "GET",
            "form_data": {},
            "get_data": dict(request),
            "headers": {},
            "content_type": None,
            "path": "",
            "json": None,
        }


class _Conf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: t.Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: t.Any) -> PlatformRegistration:
        return self._registration


class _Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: t.Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class _Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(
        self, launch_data: dict[str, t.Any], **kwargs: t.Any
    ) -> dict[str, t.Any]:
        return launch_data


class DevPlatform:
    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        deployment_id: str,
        private_pem: str,
        tool_login_url: str,
        tool_launch_url: str,
    ) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.private_pem = private_pem
        self.registration = (
            PlatformRegistration()
            .set_iss(issuer)
            .set_client_id(client_id)
            .set_deployment_id(deployment_id)
            .set_oidc_login_url(tool_login_url)
            .set_launch_url(tool_launch_url)
            .set_platform_private_key(private_pem)
            .set_platform_public_key(public_pem(private_pem))
        )
        self.conf = _Conf(registration=self.registration)
        # Parsing a PEM costs tens of milliseconds; lti1p3platform would do it for every token.
        key = serialization.load_pem_private_key(private_pem.encode(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        self._signing_key = key
        self._kid = str(self.registration.get_kid())

    @property
    def kid(self) -> str:
        return self._kid

    def jwks(self) -> dict[str, t.Any]:
        return {"keys": self.registration.get_jwks()}

    def login_initiation_url(
        self, login_hint: str, message_hint: str, target_link_uri: str | None = None, **extra: str
    ) -> str:
        login = _Login(_Request({}), self.conf)
        login.set_lti_message_hint(hint=message_hint)
        if target_link_uri:
            login.set_launch_url(target_link_uri)
        url = login.prepare_preflight_url(login_hint)
        if extra:
            from urllib.parse import urlencode

            url += "&" + urlencode(extra)
        return url

    def launch_message(
        self, auth_params: dict[str, str], spec: LaunchSpec
    ) -> tuple[dict[str, t.Any], str]:
        """Check the tool's auth request and build the launch claims. Returns (claims, redirect_uri)."""
        launch = _Launch(_Request(auth_params), self.conf)
        launch._registration = self.registration
        launch.validate_preflight_response(auth_params)
        launch.set_user_data(spec.user.sub, spec.user.roles, spec.user.name, spec.user.email)
        if spec.target_link_uri:
            launch.set_launch_url(spec.target_link_uri)
        if spec.deep_linking is None:
            launch.set_resource_link_claim(spec.resource_link_id, title=spec.resource_link_title)
        if spec.context_id:
            launch.set_launch_context_claim(
                spec.context_id,
                context_types=[LIS + "course#CourseOffering"],
                context_title=spec.context_title,
            )
        if spec.custom:
            launch.set_custom_parameters_claim(spec.custom)
        if spec.extra_claims:
            launch.set_extra_claims(spec.extra_claims)
        claims, _state = launch.get_launch_data()
        if spec.deep_linking is not None:
            claims[CLAIM + "message_type"] = "LtiDeepLinkingRequest"
            claims[DL_SETTINGS] = spec.deep_linking
        return claims, str(auth_params["redirect_uri"])

    def deep_linking_response(
        self,
        form: dict[str, str],
        *,
        tool_jwks_url: str | None = None,
        tool_jwks: dict[str, t.Any] | None = None,
        expected_data: t.Any = None,
    ) -> DeepLinkingResult:
        """Validate the tool's LtiDeepLinkingResponse as this platform: lti1p3platform checks
        the signature against the tool's JWKS, the message type and the content item types;
        then what it leaves to the platform: issuer, audience, deployment, nonce, version,
        and the request's data echoed unchanged."""
        registration = (
            PlatformRegistration()
            .set_iss(self.issuer)
            .set_client_id(self.client_id)
            .set_deployment_id(self.deployment_id)
        )
        if tool_jwks is not None:
            registration.set_tool_key_set(tool_jwks)  # type: ignore[arg-type]
        elif tool_jwks_url:
            registration.set_tool_key_set_url(tool_jwks_url)
        conf = _Conf(registration=registration)
        conf.set_accepted_deeplinking_types(["ltiResourceLink"])
        if not form.get("JWT"):
            raise DeepLinkingResponseInvalid("no JWT form field")
        try:
            items = conf.validate_deeplinking_resp(form)
        except Exception as exc:  # lti1p3platform raises several unrelated types
            raise DeepLinkingResponseInvalid(f"{type(exc).__name__}: {exc}") from exc
        claims = jwt.decode(form["JWT"], options={"verify_signature": False})  # verified above
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        problems = [
            message
            for ok, message in (
                (
                    claims.get("iss") == self.client_id,
                    f"iss {claims.get('iss')!r} is not the client_id",
                ),
                (self.issuer in audiences, f"aud {aud!r} does not name the platform"),
                (
                    claims.get(CLAIM + "deployment_id") == self.deployment_id,
                    f"deployment_id {claims.get(CLAIM + 'deployment_id')!r}",
                ),
                (claims.get(CLAIM + "version") == "1.3.0", "version is not 1.3.0"),
                (bool(claims.get("nonce")), "no nonce"),
                (isinstance(claims.get("iat"), int), "no iat"),
                (claims.get(DL_CLAIM + "data") == expected_data, "data not echoed unchanged"),
            )
            if not ok
        ]
        if problems:
            raise DeepLinkingResponseInvalid("; ".join(problems))
        return DeepLinkingResult(items=list(items), claims=claims)

    def sign(self, claims: dict[str, t.Any], expiration: int = 60) -> str:
        now = int(time.time())
        payload = {**claims, "iat": now, "exp": now + expiration}
        return jwt.encode(payload, self._signing_key, algorithm="RS256", headers={"kid": self._kid})

    def launch_form(
        self, auth_params: dict[str, str], spec: LaunchSpec
    ) -> tuple[str, dict[str, str]]:
        """The form the platform auto-posts to the tool: (action, fields)."""
        claims, redirect_uri = self.launch_message(auth_params, spec)
        return redirect_uri, {"id_token": self.sign(claims), "state": auth_params.get("state", "")}
