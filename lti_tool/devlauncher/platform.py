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
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration as PlatformRegistration
from lti1p3platform.request import Request as PlatformRequest

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


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

    def login_initiation_url(self, login_hint: str, message_hint: str, **extra: str) -> str:
        login = _Login(_Request({}), self.conf)
        login.set_lti_message_hint(hint=message_hint)
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
        launch.set_resource_link_claim(spec.resource_link_id, title="Wayfinder")
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
        return claims, str(auth_params["redirect_uri"])

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
