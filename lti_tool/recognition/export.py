"""A badge award as an Open Badges 3.0 ``OpenBadgeCredential`` (1EdTech OB 3.0, a W3C
Verifiable Credential 2.0), and the same credential signed as a VC-JWT.

- The issuer is the tenant (its LMS registration's name) through Wayfinder; its ``id`` is the
  issuer profile Wayfinder serves at /recognition/issuers/<key>, where the key is the
  registration id with an HMAC of it (SECRET_KEY): only someone shown a credential learns the
  address, so tenants' names cannot be listed by counting.
- The recipient is identified by a salted SHA-256 hash of their e-mail address
  (``IdentityObject``, identityType ``emailAddress``) when the LMS shares it, else by their LTI
  user id as a URN (``urn:lti:…``, the issuer and ``sub`` percent-encoded).
- The achievement carries the badge's name, description, criteria and picture (a data: URI,
  so the credential needs nothing from Wayfinder to be displayed); the evidence says what
  earned it (or the leader's message).
- Signing is optional: the VC-JWT (VC-JWT as OB 3.0 section 8.2 describes it: the credential
  in the ``vc`` claim, ``iss``, ``jti``, ``nbf``, ``sub``) is signed with Wayfinder's current
  tool key (RS256) and names its ``kid``; the public key is published at /lti/jwks.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

import jwt
from flask import current_app

from lti_tool.lti import keys
from lti_tool.lti.models import Registration
from lti_tool.people.models import Person
from lti_tool.recognition import designs
from lti_tool.recognition.models import Award

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)


def _iso(when: datetime) -> str:
    return when.replace(microsecond=0).isoformat() + "Z"


def issuer_key(registration_id: int) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    mac = hmac.new(secret, f"recognition-issuer:{registration_id}".encode(), hashlib.sha256)
    return f"{registration_id}-{mac.hexdigest()[:32]}"


def registration_of_key(key: str) -> int | None:
    """The registration id an issuer key names, or None when the key is not one of ours."""
    head, _, _ = key.partition("-")
    if (
        not (head.isascii() and head.isdigit())
        or len(head) > 9
        or not hmac.compare_digest(issuer_key(int(head)), key)
    ):
        return None
    return int(head)


def issuer_id(base_url: str, registration_id: int) -> str:
    return f"{base_url.rstrip('/')}/recognition/issuers/{issuer_key(registration_id)}"


def issuer_profile(base_url: str, reg: Registration) -> dict[str, Any]:
    return {
        "id": issuer_id(base_url, reg.id),
        "type": ["Profile"],
        "name": f"{reg.name or reg.issuer} (through Wayfinder)",
        "url": base_url.rstrip("/") + "/",
        "description": "Recognition awarded in Wayfinder, the learning tool of this LMS.",
    }


def lti_urn(reg: Registration, sub: str) -> str:
    return f"urn:lti:{quote(reg.issuer, safe='')}:{quote(sub, safe='')}"


def _subject(award: Award, person: Person, reg: Registration) -> dict[str, Any]:
    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    if person.email:
        salt = award.uid.replace("-", "")[:16]
        digest = hashlib.sha256((person.email.strip().lower() + salt).encode()).hexdigest()
        subject["identifier"] = [
            {
                "type": "IdentityObject",
                "identityHash": f"sha256${digest}",
                "identityType": "emailAddress",
                "hashed": True,
                "salt": salt,
            }
        ]
    else:
        subject["id"] = lti_urn(reg, person.sub)
    return subject


def credential(award: Award, reg: Registration, base_url: str) -> dict[str, Any]:
    base = base_url.rstrip("/")
    b = award.badge
    subject = _subject(award, award.person, reg)
    subject["achievement"] = {
        "id": f"{base}/recognition/badges/{b.id}",
        "type": ["Achievement"],
        "achievementType": "Badge",
        "name": b.name,
        "description": b.description,
        "criteria": {"narrative": b.criteria_text},
        "image": {"id": designs.data_uri(b.design), "type": "Image", "caption": b.name},
        "creator": issuer_profile(base, reg),
    }
    evidence: dict[str, Any] = {
        "type": ["Evidence"],
        "name": "Awarded by a leader" if award.awarded_by_id else "Earned in Wayfinder",
        "narrative": award.evidence or award.message or b.criteria_text,
    }
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{award.uid}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": b.name,
        "description": b.description,
        "issuer": issuer_profile(base, reg),
        "validFrom": _iso(award.awarded_at),
        "awardedDate": _iso(award.awarded_at),
        "credentialSubject": subject,
        "evidence": [evidence],
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }


def signed(cred: dict[str, Any]) -> str:
    """The credential as a VC-JWT signed with Wayfinder's current tool key."""
    key = keys.current_key()
    claims: dict[str, Any] = {
        "iss": cred["issuer"]["id"],
        "jti": cred["id"],
        "nbf": int(datetime.fromisoformat(cred["validFrom"].replace("Z", "+00:00")).timestamp()),
        "iat": int(time.time()),
        "vc": cred,
    }
    subject = cred["credentialSubject"]
    if "id" in subject:
        claims["sub"] = subject["id"]
    signing_key = keys.private_key_object(key.kid, key.private_pem)
    return jwt.encode(
        claims, signing_key, algorithm="RS256", headers={"kid": key.kid, "typ": "JWT"}
    )
