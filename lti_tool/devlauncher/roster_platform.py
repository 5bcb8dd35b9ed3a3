"""A platform's OAuth2 token endpoint and NRPS memberships endpoint, strict the way Moodle is:
the client assertion must verify against the tool's JWKS (issuer and subject the client_id,
audience the token URL), the token request must be form-encoded, and the memberships request
must ask for the NRPS media type (plain JSON gets 400) with a valid Bearer token. Members are
paged with `limit` and linked with `Link: <...>; rel="next"`.

Served by the development launcher (so the demo instructor can press Sync) and, standalone, by
the tests and bench/sync.py. Access tokens are signed values, so nothing is kept per process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import jwt
from flask import Blueprint, Flask, Response, jsonify, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

MembersFor = Callable[[str], list[dict[str, Any]] | None]
JwksFor = Callable[[], dict[str, Any]]


class RosterPlatform:
    def __init__(
        self,
        *,
        client_id: str,
        token_url: Callable[[], str],
        tool_jwks: JwksFor,
        members_for: MembersFor,
        secret: str,
        token_lifetime: int = 3600,
        accepted_scopes: tuple[str, ...] = (NRPS_SCOPE,),
    ) -> None:
        self.client_id = client_id
        self.token_url = token_url
        self.tool_jwks = tool_jwks
        self.members_for = members_for
        self.token_lifetime = token_lifetime
        self.accepted_scopes = frozenset(accepted_scopes)
        self._tokens = URLSafeTimedSerializer(secret, salt="roster-platform-token")
        self._lock = threading.Lock()
        # What tests look at or bend.
        self.token_requests = 0
        self.member_requests = 0
        self.generation = 0  # bump to revoke every token issued so far
        self.fail_next: list[int] = []  # statuses to answer the next member requests with
        self.errors: list[str] = []

    # -- endpoints -----------------------------------------------------------------------------

    def token(self) -> Response:
        with self._lock:
            self.token_requests += 1
        if request.mimetype != "application/x-www-form-urlencoded":
            return self._error("invalid_request", "form-encoded body required")
        form = request.form
        if form.get("grant_type") != "client_credentials":
            return self._error("unsupported_grant_type", "client_credentials only")
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            return self._error("invalid_client", "jwt-bearer client assertion required")
        problem = self._check_assertion(form.get("client_assertion", ""))
        if problem:
            return self._error("invalid_client", problem, 401)
        scopes = form.get("scope", "").split()
        if not self.accepted_scopes & set(scopes):
            return self._error("invalid_scope", "no scope this platform grants was asked for")
        token = self._tokens.dumps({"c": self.client_id, "g": self.generation, "s": scopes})
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "scope": " ".join(scopes),
        }
        # Moodle labels its JSON answer text/html.
        return Response(jsonify(body).get_data(), mimetype="text/html")

    def memberships(self, context_id: str) -> Response:
        with self._lock:
            self.member_requests += 1
            failure = self.fail_next.pop(0) if self.fail_next else None
        if request.headers.get("Accept", "") != MEDIA_TYPE:
            return self._error("invalid_request", "Accept must be the NRPS media type", 400)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not self._token_ok(auth[7:]):
            return self._error("invalid_token", "missing, expired or revoked token", 401)
        if failure:
            return Response("platform failure", status=failure, mimetype="text/plain")
        members = self.members_for(context_id)
        if members is None:
            return self._error("not_found", "no such context", 404)
        limit = request.args.get("limit", type=int) or len(members) or 1
        start = request.args.get("from", 0, type=int) or 0
        page = members[start : start + limit]
        body = {
            "id": request.base_url,
            "context": {"id": context_id},
            "members": page,
        }
        response = Response(jsonify(body).get_data(), mimetype=MEDIA_TYPE)
        if start + limit < len(members):
            query = urlencode({"limit": limit, "from": start + limit})
            response.headers["Link"] = f'<{request.base_url}?{query}>; rel="next"'
        return response

    # -- checks --------------------------------------------------------------------------------

    def _check_assertion(self, assertion: str) -> str:
        try:
            kid = jwt.get_unverified_header(assertion).get("kid")
        except jwt.PyJWTError:
            return "the client assertion is not a JWT"
        keys = [k for k in self.tool_jwks().get("keys", []) if k.get("kid") == kid]
        if not keys:
            return "the client assertion is signed with a key the tool does not publish"
        try:
            claims = jwt.decode(
                assertion,
                jwt.PyJWK(keys[0]).key,
                algorithms=["RS256"],
                audience=self.token_url(),
                issuer=self.client_id,
                options={"require": ["exp", "iat", "jti", "sub"]},
            )
        except jwt.PyJWTError as exc:
            return f"the client assertion is invalid: {exc}"
        if claims.get("sub") != self.client_id:
            return "the client assertion's subject is not the client_id"
        return ""

    def _token_ok(self, token: str) -> bool:
        try:
            data = self._tokens.loads(token, max_age=self.token_lifetime)
        except BadSignature:
            return False
        return bool(data.get("c") == self.client_id and data.get("g") == self.generation)

    def _error(self, code: str, description: str, status: int = 400) -> Response:
        self.errors.append(f"{code}: {description}")
        response = jsonify({"error": code, "error_description": description})
        response.status_code = status
        return response

    # -- serving -------------------------------------------------------------------------------

    def add_routes(self, target: Flask | Blueprint, prefix: str = "") -> None:
        target.add_url_rule(prefix + "/token", "roster_token", self.token, methods=["POST"])
        target.add_url_rule(prefix + "/nrps/<context_id>", "roster_memberships", self.memberships)

    def app(self) -> Flask:
        application = Flask("roster_platform")
        self.add_routes(application)
        return application


def member(
    user_id: str,
    roles: list[str],
    *,
    name: str = "",
    email: str = "",
    status: str = "Active",
    **extra: Any,
) -> dict[str, Any]:
    """One NRPS member as Moodle sends it (short role names, status)."""
    data: dict[str, Any] = {"user_id": user_id, "roles": roles, "status": status}
    if name:
        data["name"] = name
        given, _, family = name.partition(" ")
        data["given_name"], data["family_name"] = given, family
    if email:
        data["email"] = email
    data.update(extra)
    return data
