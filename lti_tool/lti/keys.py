"""Wayfinder's signing keys, created and rotated by CLI commands (never at import or start).

Rotation with overlap: there is always a *next* key published beside the *current* one, so
platforms that cache Wayfinder's JWKS already know the next key when it starts signing. Rotating
makes next current, the old current retired (still published for TOOL_KEY_GRACE_DAYS), and
creates a new next. Private keys live in the database, never in the repository; with
TOOL_KEY_PASSPHRASE set they are stored encrypted (PKCS#8, the passphrase never in the
database), so a copy of the database alone cannot sign as Wayfinder. `flask keys encrypt`
encrypts keys stored before the passphrase was set, or under TOOL_KEY_PREVIOUS_PASSPHRASE.
"""

from __future__ import annotations

import json
from datetime import timedelta
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from flask import current_app
from jwcrypto.jwk import JWK
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.lti.models import KeyStatus, ToolKey, utcnow


class NoToolKey(RuntimeError):
    """No current key: run `flask keys create`."""


class KeyLocked(NoToolKey):
    """A stored private key is encrypted and TOOL_KEY_PASSPHRASE is missing or wrong."""


ENCRYPTED_MARK = "-----BEGIN ENCRYPTED PRIVATE KEY-----"


def _passphrase(setting: str = "TOOL_KEY_PASSPHRASE") -> bytes | None:
    value = str(current_app.config.get(setting) or "")
    return value.encode() if value else None


def is_encrypted(pem: str) -> bool:
    return pem.lstrip().startswith(ENCRYPTED_MARK)


def _serialize(private_key: Any, passphrase: bytes | None) -> str:
    encryption = BestAvailableEncryption(passphrase) if passphrase else NoEncryption()
    return private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, encryption).decode()


def _new_key(status: KeyStatus) -> ToolKey:
    jwk = JWK.generate(kty="RSA", size=2048)
    kid = jwk.thumbprint()
    public = jwk.export_public(as_dict=True)
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    pem = jwk.export_to_pem(private_key=True, password=_passphrase()).decode()
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


def private_key_object(kid: str, pem: str) -> Any:
    """The key, parsed once per process (parsing a PEM costs ~40 ms; decrypting one more)."""
    return _parsed_key(kid, pem, _passphrase() if is_encrypted(pem) else None)


@lru_cache(maxsize=8)
def _parsed_key(kid: str, pem: str, passphrase: bytes | None) -> Any:
    if is_encrypted(pem) and not passphrase:
        raise KeyLocked(
            f"Wayfinder's signing key {kid[:12]}… is stored encrypted and TOOL_KEY_PASSPHRASE is "
            "not set: set it (WAYFINDER_TOOL_KEY_PASSPHRASE) to the passphrase the key was "
            "stored with."
        )
    try:
        return load_pem_private_key(pem.encode(), password=passphrase)
    except (ValueError, TypeError) as error:
        raise KeyLocked(
            f"Wayfinder cannot read its signing key {kid[:12]}…: TOOL_KEY_PASSPHRASE is not "
            "the passphrase it was stored with."
        ) from error


@lru_cache(maxsize=8)
def _plain_pem(kid: str, pem: str, passphrase: bytes | None) -> str:
    return _serialize(_parsed_key(kid, pem, passphrase), None)


def signing_pem(key: ToolKey) -> str:
    """The key as an unencrypted PEM, for libraries that take PEM text (pylti1p3); in memory
    only, never stored."""
    if not is_encrypted(key.private_pem):
        return key.private_pem
    return _plain_pem(key.kid, key.private_pem, _passphrase())


def encrypt_stored_keys() -> tuple[int, int]:
    """Store every key readable with no passphrase, or with TOOL_KEY_PREVIOUS_PASSPHRASE,
    encrypted with TOOL_KEY_PASSPHRASE. Returns (re-encrypted, left as they were)."""
    passphrase = _passphrase()
    if not passphrase:
        raise KeyLocked("Set TOOL_KEY_PASSPHRASE first: it is what the keys are encrypted with.")
    previous = _passphrase("TOOL_KEY_PREVIOUS_PASSPHRASE")
    changed = unchanged = 0
    for key in db.session.scalars(select(ToolKey).order_by(ToolKey.id)):
        if is_encrypted(key.private_pem):
            try:
                load_pem_private_key(key.private_pem.encode(), password=passphrase)
                unchanged += 1  # already under the current passphrase
                continue
            except (ValueError, TypeError):
                if not previous:
                    raise KeyLocked(
                        f"Key {key.kid[:12]}… is encrypted with another passphrase: set "
                        "TOOL_KEY_PREVIOUS_PASSPHRASE to it and run the command again."
                    ) from None
                try:
                    loaded = load_pem_private_key(key.private_pem.encode(), password=previous)
                except (ValueError, TypeError):
                    raise KeyLocked(
                        f"Key {key.kid[:12]}… opens with neither TOOL_KEY_PASSPHRASE nor "
                        "TOOL_KEY_PREVIOUS_PASSPHRASE."
                    ) from None
        else:
            loaded = load_pem_private_key(key.private_pem.encode(), password=None)
        key.private_pem = _serialize(loaded, passphrase)
        changed += 1
    db.session.flush()
    return changed, unchanged


def stored_unencrypted() -> int:
    """How many private keys are stored in plain text (for the admin pages and `keys list`)."""
    return sum(
        1 for pem in db.session.scalars(select(ToolKey.private_pem)) if not is_encrypted(pem)
    )


def public_jwk_json(key: ToolKey) -> str:
    return json.dumps(key.public_jwk, sort_keys=True)
