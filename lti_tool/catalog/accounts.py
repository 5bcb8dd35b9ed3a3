"""A person's own authority in the LMS: Canvas per-person OAuth2 and Moodle personal tokens.

Wayfinder's service account (catalog.access) does most of the work. Where it may not, Wayfinder
acts as the person with their own token:

- Canvas: "Connect your Canvas account" opens Canvas's authorise page in a new window (Canvas's
  login cannot be framed inside the LMS). That window carries no launch token, so the OAuth
  ``state`` carries who asked: signed with SECRET_KEY, valid for STATE_SECONDS and accepted once
  (a replayed state is refused). The callback exchanges the code (adapters.canvas.CanvasOAuth) and
  stores the tokens encrypted per person; they are refreshed on expiry, and a token Canvas no
  longer accepts is deleted so the person is asked to connect again. A token Wayfinder can no
  longer decrypt (SECRET_KEY changed without the old one in SECRET_KEY_FALLBACKS) counts as not
  connected, and the pages ask the person to connect again (``needs_reconnect``).
- Moodle: ``enrol_self_enrol_user`` enrols the token's owner, so self-enrolment in a course that
  allows only that needs the person's own web-service token, which they paste on a page of their
  own (Moodle shows it under Preferences > Security keys). Wayfinder checks whose it is first.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from adapters.base import AdapterError, ErrorKind, StoredToken, TokenStore
from adapters.canvas import CanvasOAuth
from adapters.http import HttpClient
from adapters.moodle import MoodleAdapter
from lti_tool.catalog import access
from lti_tool.catalog.models import LmsAccount
from lti_tool.extensions import db, store
from lti_tool.i18n import _
from lti_tool.lti.models import utcnow

STATE_SECONDS = 600  # the person has ten minutes to log in to Canvas and allow Wayfinder
_STATE_SALT = "wayfinder-lms-oauth-state"
TOKEN_MAX = 200


class StateProblem(ValueError):
    """The callback's state is missing, forged, too old or was used already."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "missing", "bad", "expired", "used"


# What a Connect is for: the person's own account, or the catalog's access (an administrator
# connects the catalog as themselves, CatalogTokens).
PERSON, CATALOG = "person", "catalog"


@dataclass(frozen=True)
class State:
    registration_id: int
    person_id: int
    lms_user_id: str
    nonce: str
    purpose: str = PERSON


def _serializer(keys: access.SecretKeys) -> URLSafeTimedSerializer:
    # itsdangerous signs with the last key and accepts any: a state made just before SECRET_KEY
    # changed still works when the old key is a fallback.
    ordered = [keys] if isinstance(keys, str) else list(reversed(keys))
    return URLSafeTimedSerializer(ordered, salt=_STATE_SALT)


def make_state(
    secret_key: access.SecretKeys,
    registration_id: int,
    person_id: int,
    lms_user_id: str,
    purpose: str = PERSON,
) -> str:
    """A state bound to this person in this tenant; it is all the new window knows of them."""
    payload: dict[str, Any] = {
        "r": registration_id,
        "p": person_id,
        "u": lms_user_id,
        "n": secrets.token_hex(12),
    }
    if purpose != PERSON:
        payload["k"] = purpose
    return str(_serializer(secret_key).dumps(payload))


def read_state(secret_key: access.SecretKeys, raw: str, *, consume: bool = True) -> State:
    """The state's person and tenant, once: a second use of the same state is refused."""
    if not raw:
        raise StateProblem("missing")
    try:
        data: Any = _serializer(secret_key).loads(raw, max_age=STATE_SECONDS)
    except SignatureExpired:
        raise StateProblem("expired") from None
    except BadSignature:
        raise StateProblem("bad") from None
    try:
        state = State(
            int(data["r"]),
            int(data["p"]),
            str(data["u"]),
            str(data["n"]),
            CATALOG if data.get("k") == CATALOG else PERSON,
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise StateProblem("bad") from None
    if consume and not store.add(f"lms-oauth-state:{state.nonce}", 1, STATE_SECONDS + 60):
        raise StateProblem("used")
    return state


class PersonTokens:
    """adapters.base.TokenStore over lms_accounts: one platform of one tenant, keyed by the
    person's id in that LMS. ``person_id`` is needed only to store a token for someone who has
    none yet (the OAuth callback, the Moodle token page)."""

    def __init__(
        self,
        registration_id: int,
        secret_key: access.SecretKeys,
        platform: str,
        person_id: int | None = None,
    ) -> None:
        self.registration_id = registration_id
        self._secret_key = secret_key
        self.platform = platform
        self.person_id = person_id

    def _row(self, user_id: str) -> LmsAccount | None:
        return db.session.scalar(
            select(LmsAccount).where(
                LmsAccount.registration_id == self.registration_id,
                LmsAccount.platform == self.platform,
                LmsAccount.lms_user_id == str(user_id),
            )
        )

    def get(self, user_id: str) -> StoredToken | None:
        row = self._row(user_id)
        if row is None:
            return None
        try:
            token, stale = access.unseal(self._secret_key, row.access_token_encrypted)
            refresh, stale_refresh = access.unseal(self._secret_key, row.refresh_token_encrypted)
        except access.Unreadable:
            return None  # no configured key reads it: as good as not connected (needs_reconnect)
        if not token:
            return None
        stored = StoredToken(
            access_token=token,
            refresh_token=refresh,
            expires_at=row.expires_at,
            token_type=row.token_type or "Bearer",
        )
        if stale or stale_refresh:  # read with an old SECRET_KEY: keep it under the current one
            row.access_token_encrypted = access.encrypt(self._secret_key, token)
            row.refresh_token_encrypted = access.encrypt(self._secret_key, refresh)
            db.session.flush()
        return stored

    def put(self, user_id: str, token: StoredToken) -> None:
        row = self._row(user_id)
        if row is None and self.person_id is not None:
            # One account per person and platform: connecting as another LMS user replaces it.
            row = account(self.person_id, self.platform)
        if row is None:
            if self.person_id is None:
                raise LookupError("no person to keep this token for")
            row = LmsAccount(
                registration_id=self.registration_id,
                person_id=self.person_id,
                platform=self.platform,
                created_at=utcnow(),
            )
            db.session.add(row)
        row.lms_user_id = str(user_id)
        row.access_token_encrypted = access.encrypt(self._secret_key, token.access_token)
        row.refresh_token_encrypted = access.encrypt(self._secret_key, token.refresh_token)
        row.expires_at = token.expires_at
        row.token_type = token.token_type[:20]
        row.updated_at = utcnow()
        db.session.flush()

    def delete(self, user_id: str) -> None:
        row = self._row(user_id)
        if row is not None:
            db.session.delete(row)
            db.session.flush()


def account(person_id: int, platform: str) -> LmsAccount | None:
    return db.session.scalar(
        select(LmsAccount).where(LmsAccount.person_id == person_id, LmsAccount.platform == platform)
    )


def needs_reconnect(row: LmsAccount | None, keys: access.SecretKeys) -> bool:
    """A saved account whose token no configured key can read: the person connects (or gives
    their token) again; until then Wayfinder treats them as not connected."""
    return row is not None and not access.readable(keys, row.access_token_encrypted)


def disconnect(person_id: int, platform: str, oauth: CanvasOAuth | None = None) -> bool:
    """Forget the person's token. With the tenant's Canvas OAuth client, Canvas is first asked
    to end the connection (best effort). Returns False when Canvas was asked and did not
    confirm, so the person can remove it in Canvas themselves."""
    row = account(person_id, platform)
    if row is None:
        return True
    confirmed = oauth is None or oauth.revoke(row.lms_user_id)
    db.session.delete(row)
    db.session.flush()
    return confirmed


# --- Canvas ---------------------------------------------------------------------------------


def canvas_oauth(
    found: access.Access,
    registration_id: int,
    secret_key: access.SecretKeys,
    redirect_uri: str,
    *,
    person_id: int | None = None,
    http: HttpClient | None = None,
    purpose: str = PERSON,
) -> CanvasOAuth | None:
    """The tenant's Canvas OAuth client, or None when no developer key is saved. Its tokens go
    to the person's own account, or for ``purpose`` CATALOG to the catalog's access."""
    settings = found.settings
    if settings.platform != "canvas" or not (settings.client_id and settings.client_secret):
        return None
    store: TokenStore = (
        access.CatalogTokens(registration_id, secret_key)
        if purpose == CATALOG
        else PersonTokens(registration_id, secret_key, "canvas", person_id)
    )
    return CanvasOAuth(
        settings.base_url,
        settings.client_id,
        settings.client_secret,
        redirect_uri,
        store,
        http=http or HttpClient(timeout=settings.timeout),
    )


# --- Moodle ---------------------------------------------------------------------------------


def save_moodle_token(
    found: access.Access,
    registration_id: int,
    secret_key: access.SecretKeys,
    person_id: int,
    lms_user_id: str,
    token: str,
    *,
    http: HttpClient | None = None,
) -> str:
    """Check the pasted token belongs to this person (Moodle's core_webservice_get_site_info
    names the token's owner), then store it encrypted. Returns an error message or ""."""
    token = token.strip()
    if not token:
        return _("Paste your token, or Cancel.")
    if len(token) > TOKEN_MAX or not token.isalnum():
        return _(
            "A Moodle token is a string of letters and digits, like 4f1c\u2026; copy it again."
        )
    settings = found.settings
    if found.demo:
        return _(
            "The demo LMS needs no token and cannot check one. With a real Moodle, Wayfinder "
            "checks that the token is yours, then stores it encrypted."
        )
    if settings.platform != "moodle" or not settings.base_url:
        return _("Wayfinder is not connected to a Moodle site here.")
    checker = MoodleAdapter(
        settings.base_url, token, http=http or HttpClient(timeout=settings.timeout)
    )
    try:
        owner = checker.token_owner()
    except AdapterError as error:
        if error.kind is ErrorKind.AUTH:
            return _(
                "Moodle does not accept this token. Copy it again from Preferences > Security keys."
            )
        if error.kind is ErrorKind.FORBIDDEN:
            return _(
                "Moodle accepts this token, but it is for a service that cannot tell Wayfinder "
                "whose it is. Copy the token of the “Moodle mobile web service”."
            )
        if error.kind is ErrorKind.UNAVAILABLE:
            return _("Moodle is not answering right now. Try again in a few minutes.")
        return _("Moodle gave an answer Wayfinder could not read. Try again later.")
    if owner != str(lms_user_id):
        return _(
            "This token belongs to another Moodle account. Log in to Moodle as yourself and copy "
            "yours."
        )
    PersonTokens(registration_id, secret_key, "moodle", person_id).put(
        lms_user_id, StoredToken(access_token=token)
    )
    return ""
