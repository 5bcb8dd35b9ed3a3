"""Validating a launch (LTI 1.3 core, section 5.1.2, and the 1EdTech security framework).

pylti1p3's MessageLaunch decodes the token and validates the message; Wayfinder replaces the
parts that need a shared server-side store or are stricter than the library, in this order:

1. state: issued by this Wayfinder (shared store) and bound to this browser, by the state cookie
   or, when the browser blocks it, by LTI Platform Storage checked in the page (NeedsStorageCheck);
2. format: three base64url JSON parts (pylti1p3);
3. registration: the one the login chose, enabled; the token's iss must be its issuer;
4. signature and claims: only RSA algorithms, the platform key named by kid (cached JWKS,
   re-fetched on an unknown kid), exp/iat with CLOCK_LEEWAY, aud contains the client_id,
   azp checked when present or when there are several audiences;
5. nonce: the one issued with this state; the state is consumed and the nonce recorded, so a
   token is accepted once, across processes and restarts;
6. message: version 1.3.0, supported message type, sub, roles, resource link or, for deep
   linking, usable deep-linking settings (plus pylti1p3's validators);
7. deployment: known and active; an unknown one is recorded as pending for an admin;
8. target_link_uri: what the login asked for, on this Wayfinder.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import jwt
from pylti1p3.contrib.flask import FlaskCookieService, FlaskMessageLaunch, FlaskRequest
from pylti1p3.exception import LtiException
from pylti1p3.session import SessionService

from adapters.http import json_without_nul
from lti_tool.deeplinking.settings import deep_linking_problem
from lti_tool.errors import LaunchError
from lti_tool.extensions import store
from lti_tool.lti import context as claims_
from lti_tool.lti import registry
from lti_tool.lti.login import same_origin, state_cookie_name, state_key
from lti_tool.lti.models import DeploymentStatus
from lti_tool.lti.platform_keys import verification_key
from lti_tool.lti.registry import DeploymentInfo, RegistrationInfo
from lti_tool.lti.toolconf import DatabaseToolConf, as_lti_registration


class NeedsStorageCheck(Exception):
    """No state cookie came back, but the state is in the platform's storage: check it in the page."""

    def __init__(self, state: str, record: dict[str, Any]) -> None:
        super().__init__("state must be checked through LTI Platform Storage")
        self.state = state
        self.record = record


class CookiesBlocked(LaunchError):
    """No state cookie and no Platform Storage: the browser, or plain http, lost the binding."""

    def __init__(self, record: dict[str, Any], code: str, detail: str) -> None:
        super().__init__(code, detail, registration_id=record.get("registration_id"))
        self.record = record


def nonce_key(issuer: str, nonce: str) -> str:
    return "nonce:" + hashlib.sha256(f"{issuer}\n{nonce}".encode()).hexdigest()


def _unverified_body(id_token: str) -> dict[str, Any]:
    try:
        body = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return body if isinstance(body, dict) else {}


class WayfinderMessageLaunch(FlaskMessageLaunch):
    def __init__(
        self,
        form: dict[str, str],
        cookies: dict[str, str],
        *,
        storage_checked_same_origin: bool,
        plain_http: bool,
        tool_origin: str,
        leeway: int,
    ) -> None:
        lti_request = FlaskRequest(
            cookies=cookies, session={}, request_data=dict(form) or {"": ""}, request_is_secure=True
        )
        super().__init__(
            lti_request,
            DatabaseToolConf(),
            session_service=SessionService(lti_request),
            cookie_service=FlaskCookieService(lti_request),
        )
        self._form = form
        self._cookies = cookies
        self._storage_checked = storage_checked_same_origin
        self._plain_http = plain_http
        self._tool_origin = tool_origin
        self._leeway = leeway
        self.state_record: dict[str, Any] = {}
        self.registration_row: RegistrationInfo | None = None
        self.deployment_row: DeploymentInfo | None = None
        self.body: dict[str, Any] = {}

    # -- orchestration ------------------------------------------------------------------------

    def validate(self) -> WayfinderMessageLaunch:
        self._validated = True
        try:
            state = self._check_state()
            self._check_format()
            self._check_registration()
            self._check_signature_and_claims()
            self._consume(state)
            self._check_message()
            self._check_deployment()
            self._check_target_link_uri()
        except Exception:
            self._validated = False
            raise
        return self

    def error(self, code: str, detail: str = "") -> LaunchError:
        body = self.body or self._jwt.get("body", {}) or {}
        reg = self.registration_row
        return LaunchError(
            code,
            detail,
            issuer=str(body.get("iss") or (reg.issuer if reg else "")),
            client_id=reg.client_id if reg else "",
            deployment_id=str(body.get(claims_.DEPLOYMENT_ID) or ""),
            registration_id=reg.id if reg else self.state_record.get("registration_id"),
        )

    # -- the steps ----------------------------------------------------------------------------

    def _check_state(self) -> str:
        id_token = (self._form.get("id_token") or "").strip()
        if not id_token:
            error = self._form.get("error")
            detail = (
                f"the LMS answered: {error} {self._form.get('error_description', '')}"
                if error
                else ""
            )
            raise LaunchError("token_missing", detail.strip())
        state = (self._form.get("state") or "").strip()
        if not state:
            raise LaunchError("state_missing")
        record = store.get(state_key(state))
        if record is None:
            body = _unverified_body(id_token)
            nonce = body.get("nonce")
            if isinstance(nonce, str) and store.get(nonce_key(str(body.get("iss")), nonce)):
                raise LaunchError(
                    "replayed", "this id_token was already used", issuer=str(body.get("iss"))
                )
            raise LaunchError(
                "state_unknown", "the state is not one Wayfinder issued, or it expired"
            )
        self.state_record = record
        if self._cookies.get(state_cookie_name(state)) == state:
            return state
        if self._storage_checked:
            return state
        if record.get("storage_target") and not self._form.get("storage_checked"):
            raise NeedsStorageCheck(state, record)
        if self._plain_http:
            # Browsers drop Secure cookies over http (loopback excepted): the cause is the server.
            raise CookiesBlocked(
                record, "not_https", f"the launch reached {self._tool_origin} over http"
            )
        raise CookiesBlocked(record, "cookies_blocked", "no state cookie came back with the launch")

    def _check_format(self) -> None:
        try:
            self.validate_jwt_format()
        except LtiException as exc:
            raise self.error("token_malformed", str(exc)) from exc
        body = self._jwt.get("body")
        if not isinstance(body, dict) or not isinstance(self._jwt.get("header"), dict):
            raise self.error("token_malformed", "the token's header or body is not a JSON object")
        self.body = dict(body)

    def _check_registration(self) -> None:
        reg = registry.registration(self.state_record["registration_id"])
        if reg is None:
            raise self.error(
                "unknown_registration", "the registration was removed during the login"
            )
        self.registration_row = reg
        if not reg.enabled:
            raise self.error("registration_disabled", reg.name)
        if self.body.get("iss") != reg.issuer:
            raise self.error(
                "wrong_issuer",
                f"token issuer {self.body.get('iss')!r}, login issuer {reg.issuer!r}",
            )
        self._registration = as_lti_registration(reg, with_tool_key=False)

    def _check_signature_and_claims(self) -> None:
        reg = self.registration_row
        assert reg is not None
        header = self._jwt["header"]
        alg = header.get("alg")
        if not isinstance(alg, str) or not alg or alg.lower() == "none":
            raise self.error("bad_algorithm", f"alg is {alg!r}")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise self.error("no_kid")
        try:
            key = verification_key(reg.key_set_url, kid, alg)
        except LaunchError as exc:
            raise self.error(exc.code, exc.detail) from exc
        try:
            verified = jwt.decode(
                self._get_id_token(),
                key,
                algorithms=[alg],
                audience=reg.client_id,
                issuer=reg.issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise self.error("token_expired", self._clock_detail()) from exc
        except jwt.ImmatureSignatureError as exc:
            raise self.error("token_not_yet_valid", self._clock_detail()) from exc
        except jwt.InvalidAudienceError as exc:
            raise self.error("wrong_audience", f"aud is {self.body.get('aud')!r}") from exc
        except jwt.InvalidIssuerError as exc:
            raise self.error("wrong_issuer", str(exc)) from exc
        except jwt.MissingRequiredClaimError as exc:
            raise self.error("missing_claim", str(exc)) from exc
        except jwt.InvalidAlgorithmError as exc:
            raise self.error("bad_algorithm", str(exc)) from exc
        except jwt.PyJWTError as exc:
            raise self.error("bad_signature", str(exc)) from exc
        aud = verified.get("aud")
        azp = verified.get("azp")
        if isinstance(aud, list) and len(aud) > 1 and azp is None:
            raise self.error("azp_mismatch", "several audiences and no azp")
        if azp is not None and azp != reg.client_id:
            raise self.error("azp_mismatch", f"azp is {azp!r}")
        # What the LMS signed, without NUL characters (no LMS means one; PostgreSQL refuses
        # them), as forms come: lti_tool.request_input.
        self.body = json_without_nul(verified)
        self._jwt["body"] = self.body  # type: ignore[typeddict-item]

    def _clock_detail(self) -> str:
        now = int(time.time())
        return (
            f"token iat {self.body.get('iat')}, exp {self.body.get('exp')}; Wayfinder's clock {now}"
        )

    def _consume(self, state: str) -> None:
        if self.body.get("nonce") != self.state_record.get("nonce"):
            raise self.error("nonce_mismatch")
        exp = self.body.get("exp")
        ttl = (
            max(int(exp - time.time()) if isinstance(exp, int | float) else 0, 0)
            + self._leeway
            + 600
        )
        state_record, nonce_is_new = store.pop_and_add(
            state_key(state), nonce_key(str(self.body["iss"]), str(self.body["nonce"])), 1, ttl
        )
        if state_record is None:
            raise self.error("replayed", "the login state was used by another launch")
        if not nonce_is_new:
            raise self.error("replayed", "this nonce was already used")

    def _check_message(self) -> None:
        body = self.body
        message_type = body.get(claims_.MESSAGE_TYPE)
        if not message_type:
            raise self.error("missing_claim", "message_type")
        version = body.get(claims_.VERSION)
        if version is None:
            raise self.error("missing_claim", "version")
        if version != "1.3.0":
            raise self.error("wrong_version", f"version is {version!r}")
        if message_type not in claims_.SUPPORTED_MESSAGES:
            raise self.error("wrong_message_type", f"message_type is {message_type!r}")
        if not isinstance(body.get("sub"), str) or not body["sub"].strip():
            raise self.error("missing_claim", "sub (the user)")
        if not isinstance(body.get(claims_.ROLES), list):
            raise self.error("missing_claim", "roles")
        if not isinstance(body.get(claims_.DEPLOYMENT_ID), str) or not body[claims_.DEPLOYMENT_ID]:
            raise self.error("missing_claim", "deployment_id")
        link = body.get(claims_.RESOURCE_LINK)
        if message_type == claims_.DEEP_LINKING_REQUEST:  # no resource link (Moodle sends none)
            assert self.registration_row is not None
            problem = deep_linking_problem(body, self.registration_row.id)
            if problem:
                raise self.error("deep_linking_invalid", problem)
        elif not isinstance(link, dict) or not link.get("id"):
            raise self.error("missing_claim", "resource_link id")
        context = body.get(claims_.CONTEXT)
        for name, value in (
            ("sub", body["sub"]),
            ("deployment_id", body[claims_.DEPLOYMENT_ID]),
            ("resource_link id", link.get("id") if isinstance(link, dict) else None),
            ("context id", context.get("id") if isinstance(context, dict) else None),
        ):
            if isinstance(value, str) and len(value) > claims_.ID_MAX:
                raise self.error(
                    "missing_claim",
                    f"{name} is longer than the {claims_.ID_MAX} characters LTI 1.3 allows",
                )
        try:
            self.validate_message()
        except LtiException as exc:
            raise self.error("missing_claim", str(exc)) from exc

    def _check_deployment(self) -> None:
        reg = self.registration_row
        assert reg is not None
        deployment_id = self.body[claims_.DEPLOYMENT_ID]
        dep = registry.deployment(reg.id, deployment_id)
        if dep is None or dep.status is DeploymentStatus.PENDING:
            raise self.error(
                "unknown_deployment", f"deployment {deployment_id!r} of registration {reg.id}"
            )
        if dep.status is DeploymentStatus.DISABLED:
            raise self.error("deployment_disabled", f"deployment {deployment_id!r}")
        self.deployment_row = dep

    def _check_target_link_uri(self) -> None:
        target = self.body.get(claims_.TARGET_LINK_URI)
        if not isinstance(target, str) or not target:
            raise self.error("missing_claim", "target_link_uri")
        if target != self.state_record.get("target_link_uri") or not same_origin(
            target, self._tool_origin
        ):
            raise self.error(
                "target_link_uri_mismatch",
                f"token {target!r}, login {self.state_record.get('target_link_uri')!r}",
            )
