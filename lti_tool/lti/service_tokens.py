"""Access tokens for LTI Advantage services (NRPS, AGS): OAuth2 client_credentials with a
private_key_jwt client assertion signed with Wayfinder's current tool key.

Why not pylti1p3's ServiceConnector: it posts with a bare requests session (no timeout, no
retries, no single error type), hands the PEM string to jwt.encode on every assertion (~40 ms to
parse each time) and cannot refresh a token the platform rejects. What is kept from it: the
assertion's claims and the form fields. Here the key object is parsed once per process
(keys.private_key_object), and tokens are cached per (issuer, client_id, scopes) in the shared
store until shortly before `expires_in`, so every process and every job reuses them.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import jwt

from adapters.http import HttpClient, HttpError
from lti_tool.extensions import store
from lti_tool.lti import keys
from lti_tool.lti.models import Registration

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Renew a little before the platform's expiry, so a token never dies in the middle of a request.
EXPIRY_MARGIN = 30


class TokenError(Exception):
    """The platform gave no usable access token; the message says why in plain words."""


@dataclass(frozen=True)
class PlatformAccount:
    """Who Wayfinder is at a platform's token endpoint."""

    issuer: str
    client_id: str
    token_url: str
    audience: str = ""

    @classmethod
    def of(cls, registration: Registration) -> PlatformAccount:
        return cls(
            registration.issuer,
            registration.client_id,
            registration.auth_token_url,
            registration.auth_audience,
        )


def _cache_key(account: PlatformAccount, scopes: Iterable[str]) -> str:
    raw = "\n".join([account.issuer, account.client_id, *sorted(set(scopes))])
    return "svc-token:" + hashlib.sha256(raw.encode()).hexdigest()


def client_assertion(account: PlatformAccount) -> str:
    key = keys.current_key()
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": account.client_id,
        "sub": account.client_id,
        "aud": account.audience or account.token_url,
        "iat": now - 5,
        "exp": now + 60,
        "jti": "wayfinder-" + uuid.uuid4().hex,
    }
    signing_key = keys.private_key_object(key.kid, key.private_pem)
    return jwt.encode(claims, signing_key, algorithm="RS256", headers={"kid": key.kid})


class ServiceTokens:
    def __init__(self, http: HttpClient) -> None:
        self.http = http
        self.requests_made = 0

    def get(self, account: PlatformAccount, scopes: Iterable[str], *, fresh: bool = False) -> str:
        scopes = sorted(set(scopes))
        key = _cache_key(account, scopes)
        if not fresh:
            cached = store.get(key)
            if isinstance(cached, str) and cached:
                return cached
        token, expires_in = self._request(account, scopes)
        ttl = expires_in - EXPIRY_MARGIN
        if ttl > 0:
            store.set(key, token, ttl)
        return token

    def forget(self, account: PlatformAccount, scopes: Iterable[str]) -> None:
        store.delete(_cache_key(account, scopes))

    def _request(self, account: PlatformAccount, scopes: list[str]) -> tuple[str, int]:
        if not account.token_url:
            raise TokenError(
                "The registration has no token URL, so Wayfinder cannot call the LMS's services. "
                "Add the LMS's OAuth2 token endpoint to the registration."
            )
        self.requests_made += 1
        try:
            # requests sends exactly application/x-www-form-urlencoded, as Moodle requires.
            response = self.http.request(
                "POST",
                account.token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_assertion_type": ASSERTION_TYPE,
                    "client_assertion": client_assertion(account),
                    "scope": " ".join(scopes),
                },
                headers={"Accept": "application/json"},
            )
        except HttpError as exc:
            raise TokenError(f"The LMS refused an access token: {exc}") from exc
        try:
            # Moodle labels its JSON answer text/html: read the body whatever the label.
            body = json.loads(response.text)
        except ValueError as exc:
            raise TokenError("The LMS's token endpoint did not answer with JSON.") from exc
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise TokenError("The LMS's token endpoint answered without an access_token.")
        try:
            expires_in = int(body.get("expires_in") or 0)
        except (TypeError, ValueError):
            expires_in = 0
        return token, expires_in
