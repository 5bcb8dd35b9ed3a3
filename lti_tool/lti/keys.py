"""Wayfinder's signing keys, created and rotated by CLI commands (never at import or start).

Rotation with overlap: there is always a *next* key published beside the *current* one, so
platforms that cache Wayfinder's JWKS already know the next key when it starts signing. Rotating
makes next current, the old current retired (still published for TOOL_KEY_GRACE_DAYS), and
creates a new next. Private keys live in the database, never in the repository.
"""

from __future__ import annotations

import json
from datetime import timedelta
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from jwcrypto.jwk import JWK
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.lti.models import KeyStatus, ToolKey, utcnow


class NoToolKey(RuntimeError):
    """No current key: run `flask keys create`."""


def _new_key(status: KeyStatus) -> ToolKey:
    jwk = JWK.generate(kty="RSA", size=2048)
    kid = jwk.thumbprint()
    public = jwk.export_public(as_dict=True)
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    pem = jwk.export_to_pem(private_key=True, password=None).decode()
    now = utcnow()
    return ToolKey(
        kid=kid,
        private_pem=pem,
        public_jwk=public,
        status=status,
        created_at=now,
        activated_at=now if status is KeyStatus.CURRENT else None,
    )


def keys_by_status(status: KeyStatus) -> list[ToolKey]:
    return list(
        db.session.scalars(select(ToolKey).where(ToolKey.status == status).order_by(ToolKey.id))
    )


def ensure_keys() -> list[ToolKey]:
    """Create the current and next keys if missing. Returns what was created."""
    created = []
    if not keys_by_status(KeyStatus.CURRENT):
        created.append(_new_key(KeyStatus.CURRENT))
    if not keys_by_status(KeyStatus.NEXT):
        created.append(_new_key(KeyStatus.NEXT))
    db.session.add_all(created)
    db.session.flush()
    return created


def rotate() -> tuple[ToolKey, ToolKey]:
    """Next becomes current, current is retired, a new next is made. Returns (current, next)."""
    now = utcnow()
    for key in keys_by_status(KeyStatus.CURRENT):
        key.status = KeyStatus.RETIRED
        key.retired_at = now
    nexts = keys_by_status(KeyStatus.NEXT)
    promoted = nexts[0] if nexts else _new_key(KeyStatus.NEXT)
    promoted.status = KeyStatus.CURRENT
    promoted.activated_at = now
    fresh = _new_key(KeyStatus.NEXT)
    db.session.add_all([promoted, fresh])
    db.session.flush()
    return promoted, fresh


def prune(grace_days: int) -> int:
    cutoff = utcnow() - timedelta(days=grace_days)
    old = [k for k in keys_by_status(KeyStatus.RETIRED) if k.retired_at and k.retired_at < cutoff]
    for key in old:
        db.session.delete(key)
    return len(old)


def published_jwks(grace_days: int) -> dict[str, list[dict[str, Any]]]:
    cutoff = utcnow() - timedelta(days=grace_days)
    rows = db.session.scalars(select(ToolKey).order_by(ToolKey.id))
    keys = [
        dict(k.public_jwk)
        for k in rows
        if k.status is not KeyStatus.RETIRED or (k.retired_at and k.retired_at >= cutoff)
    ]
    return {"keys": keys}


def current_key() -> ToolKey:
    keys = keys_by_status(KeyStatus.CURRENT)
    if not keys:
        raise NoToolKey("Wayfinder has no signing key yet: run `flask keys create`.")
    return keys[-1]


@lru_cache(maxsize=8)
def private_key_object(kid: str, pem: str) -> Any:
    """Parsing a PEM costs ~40 ms; parse each key once per process."""
    return load_pem_private_key(pem.encode(), password=None)


def public_jwk_json(key: ToolKey) -> str:
    return json.dumps(key.public_jwk, sort_keys=True)
