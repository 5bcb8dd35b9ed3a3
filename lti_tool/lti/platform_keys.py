"""The platforms' public keys (JWKS), cached so a steady stream of launches fetches nothing.

The JWKS document is kept in the shared store for PLATFORM_JWKS_SECONDS; parsed keys are kept in
this process (parsing is the costly part) and used without asking the store for up to
MEMO_SECONDS. A key the platform withdrew is therefore accepted until the cached set is fetched
again: when a token names a kid the set does not have (as it does once the platform signs with
its new key; every process then drops the withdrawn key within MEMO_SECONDS), or when the cached
set expires after PLATFORM_JWKS_SECONDS. A kid that is not in the cached set triggers one
re-fetch, at most every PLATFORM_JWKS_REFETCH_SECONDS per keyset, so a flood of made-up kids
cannot turn Wayfinder into a fetching machine.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import jwt
from flask import current_app

from adapters.http import HttpClient, HttpError
from lti_tool.errors import LaunchError
from lti_tool.extensions import store

ACCEPTED_ALGORITHMS = frozenset({"RS256", "RS384", "RS512"})
MEMO_SECONDS = 60.0
# (keyset URL, kid) -> (the JWK as JSON, its declared alg or None, the key object, use until)
_parsed: dict[tuple[str, str], tuple[str, str | None, Any, float]] = {}


def _cache_key(url: str) -> str:
    return "jwks:" + hashlib.sha256(url.encode()).hexdigest()[:32]


def _fetch(url: str) -> dict[str, Any]:
    client = HttpClient(timeout=current_app.config["HTTP_TIMEOUT"], retries=1)
    try:
        data = client.get_json(url)
    except HttpError as exc:
        if exc.reason == "the answer is not JSON":
            raise LaunchError("jwks_malformed", str(exc)) from exc
        raise LaunchError("jwks_unreachable", str(exc)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise LaunchError("jwks_malformed", f"{url} did not return an object with a keys list")
    ttl = current_app.config["PLATFORM_JWKS_SECONDS"]
    store.set(_cache_key(url), {"jwks": data, "fetched": time.time()}, ttl)
    kids = {key.get("kid") for key in data["keys"] if isinstance(key, dict)}
    for memo_url, memo_kid in list(_parsed):
        if memo_url == url and memo_kid not in kids:
            _parsed.pop((memo_url, memo_kid), None)
    return data


def _find(jwks: dict[str, Any], kid: str) -> dict[str, Any] | None:
    for key in jwks.get("keys", []):
        if isinstance(key, dict) and key.get("kid") == kid:
            return key
    return None


def verification_key(key_set_url: str, kid: str, alg: str) -> Any:
    """The public key object for kid from the platform's JWKS, fetching only when needed."""
    if alg not in ACCEPTED_ALGORITHMS:
        raise LaunchError("bad_algorithm", f"the id_token is signed with {alg!r}")
    memo = _parsed.get((key_set_url, kid))
    if memo and memo[3] > time.monotonic():
        return _checked(memo[1], memo[2], kid, alg)
    cached = store.get(_cache_key(key_set_url))
    jwks = cached["jwks"] if cached else _fetch(key_set_url)
    jwk = _find(jwks, kid)
    if jwk is None and cached:
        refetch_after = current_app.config["PLATFORM_JWKS_REFETCH_SECONDS"]
        if time.time() - float(cached.get("fetched", 0)) >= refetch_after:
            jwk = _find(_fetch(key_set_url), kid)
    if jwk is None:
        raise LaunchError("unknown_kid", f"kid {kid!r} is not in {key_set_url}")
    declared = jwk.get("alg") if isinstance(jwk.get("alg"), str) else None
    fingerprint = json.dumps(jwk, sort_keys=True)
    until = time.monotonic() + MEMO_SECONDS
    if memo and memo[0] == fingerprint:
        _parsed[(key_set_url, kid)] = (fingerprint, declared, memo[2], until)
        return _checked(declared, memo[2], kid, alg)
    _checked(declared, None, kid, alg)
    try:
        key = jwt.PyJWK(jwk, algorithm=alg).key
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
        raise LaunchError("jwks_malformed", f"key {kid!r} cannot be read: {exc}") from exc
    _parsed[(key_set_url, kid)] = (fingerprint, declared, key, until)
    return key


def _checked(declared: str | None, key: Any, kid: str, alg: str) -> Any:
    if declared and declared != alg:
        raise LaunchError("bad_algorithm", f"key {kid!r} is for {declared}, the token says {alg}")
    return key
