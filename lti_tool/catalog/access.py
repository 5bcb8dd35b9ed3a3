"""How Wayfinder reaches a tenant's LMS REST API: the stored access (address, encrypted token),
the adapter built from it, and the last problem, written for the administrator who must fix it.

Tokens are encrypted with a key derived from SECRET_KEY (Fernet), so a copy of the database
alone does not reveal them; they never appear in pages, logs or error messages. When an operator
changes SECRET_KEY and lists the old one in SECRET_KEY_FALLBACKS, tokens stored with the old key
are still read, and written again with the new one as they are read. A token no key can read
is reported (``Unreadable``, ``Access.unreadable``) so people are asked to enter or connect it
again, and administrators are told which setting to check."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask_babel import force_locale
from sqlalchemy import select

from adapters.base import (
    AdapterError,
    ErrorKind,
    LmsAdapter,
    StoredToken,
    TokenStore,
    Unreachable,
)
from adapters.factory import AdapterSettings, make_adapter
from adapters.http import HttpClient
from lti_tool.catalog.models import CatalogSource
from lti_tool.extensions import db
from lti_tool.i18n import _, _l
from lti_tool.lti.models import utcnow
from lti_tool.web_address import split_url

PLATFORMS = {
    "moodle": _l("Moodle (web-service token)"),
    "canvas": _l("Canvas (admin token, developer key)"),
}
# The development launcher's pretend LMS (devlauncher/demo_catalog.py): only with DEV_LAUNCHER.
DEMO_PLATFORM = "demo"
ACCOUNT_ID_MAX = 20  # a Canvas account id's digits, as the form's field allows

# What the administrator should do, by kind of failure. Stored in English with the problem
# (a job or another person's request records it); pages show it translated (`problem_text`).
FIXES = {
    ErrorKind.AUTH: _l(
        "The LMS no longer accepts Wayfinder's token (it expired or was revoked). "
        "Create a new one (Moodle: Site administration > Server > Web services > Manage tokens; "
        "Canvas: Account > Settings > Approved integrations) and save it under Catalog > LMS "
        "access."
    ),
    ErrorKind.FORBIDDEN: _l(
        "The token works but may not do this. Give Wayfinder's LMS user the "
        "missing permission or add the missing function to its web service (docs/adapters.md "
        "lists them)."
    ),
    ErrorKind.UNAVAILABLE: _l(
        "The LMS did not answer. Wayfinder tries again by itself; if it "
        "lasts, check that the LMS is up and reachable from Wayfinder."
    ),
    ErrorKind.BAD_ANSWER: _l(
        "The LMS answered something Wayfinder cannot read. Check the address "
        "under Catalog > LMS access (it must be the LMS's own site address)."
    ),
    ErrorKind.NOT_FOUND: _l(
        "The LMS does not know what Wayfinder asked for (a course or person was removed)."
    ),
    ErrorKind.REFUSED: _l("The LMS refused the request."),
}
# Canvas refused to renew the catalog's connection (CatalogTokens): revoked in Canvas, or the
# administrator who connected it lost their rights. Wayfinder forgot it.
CONNECTION_LOST = "catalog_connection"
CONNECTION_FIX = _l(
    "Canvas no longer accepts the catalog's connection (it was revoked, or the administrator "
    "who connected it lost their rights). A Canvas account administrator connects the catalog "
    "again under Catalog > LMS access, or pastes an admin token there."
)


# The current SECRET_KEY first, then the old ones of SECRET_KEY_FALLBACKS; a lone key is a
# current key without fallbacks.
SecretKeys = str | Sequence[str]

# What an administrator is told when a stored token cannot be read with any configured key.
UNREADABLE_FIX = _l(
    "Wayfinder cannot read tokens it stored with an earlier SECRET_KEY. If SECRET_KEY was "
    "changed, put the previous value in SECRET_KEY_FALLBACKS (WAYFINDER_SECRET_KEY_FALLBACKS, "
    "or the settings file) and restart Wayfinder; otherwise save the token again here."
)


class Unreadable(ValueError):
    """A stored token was encrypted with a key that is neither SECRET_KEY nor a fallback."""


def secret_keys(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The keys to read tokens with, from the app's settings: SECRET_KEY, then its fallbacks."""
    return (config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or ()))


def _keys(keys: SecretKeys) -> tuple[str, ...]:
    return (keys,) if isinstance(keys, str) else tuple(keys)


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(("wayfinder-catalog-access:" + secret_key).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(keys: SecretKeys, value: str) -> str:
    """Encrypted with the current key."""
    return _fernet(_keys(keys)[0]).encrypt(value.encode()).decode() if value else ""


def unseal(keys: SecretKeys, value: str) -> tuple[str, bool]:
    """The stored value in clear, and whether it was read with a fallback key (so it should be
    encrypted again with the current one). Raises Unreadable when no key reads it."""
    if not value:
        return "", False
    for index, key in enumerate(_keys(keys)):
        try:
            return _fernet(key).decrypt(value.encode()).decode(), index > 0
        except InvalidToken:
            continue
    raise Unreadable("stored with a SECRET_KEY that is no longer configured")


def decrypt(keys: SecretKeys, value: str) -> str:
    """The stored value in clear; "" when no configured key reads it."""
    try:
        return unseal(keys, value)[0]
    except Unreadable:
        return ""


def readable(keys: SecretKeys, value: str) -> bool:
    try:
        unseal(keys, value)
    except Unreadable:
        return False
    return True


def source(registration_id: int) -> CatalogSource | None:
    return db.session.scalar(
        select(CatalogSource).where(CatalogSource.registration_id == registration_id)
    )


def ensure_source(registration_id: int) -> CatalogSource:
    row = source(registration_id)
    if row is None:
        row = CatalogSource(registration_id=registration_id, platform="", updated_at=utcnow())
        db.session.add(row)
        db.session.flush()
    return row


@dataclass(frozen=True)
class Access:
    """A tenant's REST access as the adapter factory needs it."""

    settings: AdapterSettings

    demo: bool = False  # the development launcher's pretend LMS
    # Stored secrets no configured key can read (SECRET_KEY changed): "token", "client_secret".
    unreadable: tuple[str, ...] = ()
    # Canvas: the administrator whose OAuth connection is the token (CatalogTokens), and the
    # keys it is stored with, to refresh it when it is used (adapter_for).
    connected_as: str = ""
    keys: tuple[str, ...] = field(default=(), repr=False)

    @property
    def granted(self) -> bool:
        return self.settings.grants_rest or self.demo

    @property
    def platform(self) -> str:
        return self.settings.platform


def _read_stored(keys: SecretKeys, row: CatalogSource, column: str) -> str | None:
    """A secret of the row in clear (None: unreadable); one read with an old key is written
    again with the current key (flushed; kept when the request or job commits)."""
    try:
        value, stale = unseal(keys, getattr(row, column))
    except Unreadable:
        return None
    if stale:
        setattr(row, column, encrypt(keys, value))
        db.session.flush()
    return value


def access_for(
    registration_id: int, secret_key: SecretKeys, timeout: float = 10.0, *, allow_demo: bool = False
) -> Access:
    row = source(registration_id)
    if row is None or not row.platform:
        return Access(AdapterSettings(platform="local"))
    if row.platform == DEMO_PLATFORM:
        return Access(AdapterSettings(platform=DEMO_PLATFORM), demo=allow_demo)
    token = _read_stored(secret_key, row, "token_encrypted")
    client_secret = (
        _read_stored(secret_key, row, "client_secret_encrypted") if row.platform == "canvas" else ""
    )
    return Access(
        connected_as=row.connected_as if row.platform == "canvas" and token else "",
        keys=_keys(secret_key),
        settings=AdapterSettings(
            platform=row.platform,
            base_url=row.base_url,
            token=token or "",
            account_id=row.account_id or "self",
            client_id=row.client_id if row.platform == "canvas" else "",
            client_secret=client_secret or "",
            timeout=timeout,
            max_pages=200,
        ),
        unreadable=tuple(
            name
            for name, value in (("token", token), ("client_secret", client_secret))
            if value is None
        ),
    )


def adapter_for(
    access: Access,
    registration_id: int,
    http: HttpClient | None = None,
    *,
    tokens: TokenStore | None = None,
    acting_user: str | None = None,
) -> LmsAdapter | None:
    """The tenant's LMS adapter, or None when it granted no REST access (local items only).
    `tokens` (catalog.accounts.PersonTokens) and `acting_user` let it act as that person with
    their own token where the service account may not (Canvas OAuth, Moodle self-enrolment)."""
    if not access.granted:
        return None
    if access.demo:
        from lti_tool.devlauncher.demo_catalog import demo_adapter

        return demo_adapter(registration_id)
    settings = access.settings
    if access.connected_as:
        try:
            settings = replace(settings, token=_live_connection(access, registration_id, http))
        except AdapterError as error:  # Canvas did not answer: nothing can be asked for now
            return Unreachable(settings.platform, error)
    return make_adapter(settings, http=http, tokens=tokens, acting_user=acting_user)


def _live_connection(access: Access, registration_id: int, http: HttpClient | None) -> str:
    """The catalog's Canvas connection's access token, renewed first when it has expired
    (Canvas's last an hour). When Canvas refuses to renew it, the connection is forgotten and
    the problem recorded: there is no token, so the catalog is key-only again
    (CatalogSource.key_only) until someone connects it again. When Canvas does not answer, the
    AdapterError is raised (the connection is kept; the caller retries or says so): the expired
    token would only be refused, and blamed for it."""
    from adapters.canvas import CanvasOAuth

    settings = access.settings
    oauth = CanvasOAuth(
        settings.base_url,
        settings.client_id,
        settings.client_secret,
        "",
        CatalogTokens(registration_id, access.keys),
        http=http or HttpClient(timeout=settings.timeout),
    )
    try:
        return oauth.access_token(access.connected_as)
    except AdapterError as error:
        if error.kind is not ErrorKind.AUTH:
            raise
        # The store forgot the connection (CatalogTokens.delete). Kept whatever the caller
        # does next (a failed job rolls back): the problem, and the connection forgotten.
        # Callers ask for the adapter before they write.
        record_problem(
            registration_id, AdapterError(error.kind, error.asked, error.answer, CONNECTION_LOST)
        )
        db.session.commit()
        return ""


class CatalogTokens:
    """adapters.base.TokenStore over the tenant's catalog_sources row: the Canvas OAuth
    connection an administrator made for the catalog ("Connect the catalog as me"), kept where a
    pasted admin token is, with its refresh token and expiry, and whose it is. Encrypted with
    SECRET_KEY like every stored token; one read with an old key is written again."""

    def __init__(self, registration_id: int, keys: SecretKeys) -> None:
        self.registration_id = registration_id
        self._keys = keys

    def get(self, user_id: str) -> StoredToken | None:
        row = source(self.registration_id)
        if row is None or not row.connected_as or row.connected_as != str(user_id):
            return None
        token = _read_stored(self._keys, row, "token_encrypted")
        refresh = _read_stored(self._keys, row, "refresh_token_encrypted")
        if not token:
            return None
        return StoredToken(
            access_token=token, refresh_token=refresh or "", expires_at=row.token_expires_at
        )

    def put(self, user_id: str, token: StoredToken) -> None:
        row = ensure_source(self.registration_id)
        row.token_encrypted = encrypt(self._keys, token.access_token)
        row.refresh_token_encrypted = encrypt(self._keys, token.refresh_token)
        row.token_expires_at = token.expires_at
        row.connected_as = str(user_id)
        db.session.flush()

    def delete(self, user_id: str) -> None:
        """Canvas no longer accepts the connection: forget it (the catalog is key-only again)."""
        row = source(self.registration_id)
        if row is not None and row.connected_as == str(user_id):
            _forget_connection(row)
            row.token_encrypted = ""
            db.session.flush()


def connected(registration_id: int, *, by: str) -> None:
    """An administrator has just connected the catalog (their tokens are in CatalogTokens):
    who saved the access, and no problem left to show."""
    row = ensure_source(registration_id)
    row.updated_by = by[:255]
    row.updated_at = utcnow()
    clear_problem(registration_id)


def disconnect(
    registration_id: int, keys: SecretKeys, *, by: str, http: HttpClient | None = None
) -> bool:
    """An administrator ends the catalog's Canvas connection: Canvas is asked to end it (its
    tokens stop working there too), and Wayfinder forgets it either way, so the catalog is
    key-only until someone connects it again or pastes an admin token. Returns whether Canvas
    confirmed; False tells the administrator to remove it in Canvas by hand. Flushes."""
    from lti_tool.catalog.accounts import CATALOG, canvas_oauth

    row = source(registration_id)
    if row is None or not row.connected_as:
        return True
    user = row.connected_as
    oauth = canvas_oauth(
        access_for(registration_id, keys), registration_id, keys, "", http=http, purpose=CATALOG
    )
    confirmed = oauth is not None and oauth.revoke(user)
    CatalogTokens(registration_id, keys).delete(user)
    row.updated_by = by[:255]
    row.updated_at = utcnow()
    clear_problem(registration_id)
    return confirmed


def _forget_connection(row: CatalogSource) -> None:
    row.refresh_token_encrypted = ""
    row.token_expires_at = None
    row.connected_as = ""


def save_access(
    registration_id: int,
    secret_key: SecretKeys,
    *,
    platform: str,
    base_url: str,
    token: str,
    account_id: str,
    by: str,
    client_id: str | None = None,
    client_secret: str = "",
) -> dict[str, str]:
    """Store the LMS address and token (an empty token keeps the stored one), and for Canvas the
    API developer key for per-person OAuth (`client_id` None: leave it as it is; an empty
    secret keeps the stored one). Returns errors."""
    errors: dict[str, str] = {}
    platform = platform.strip()
    base_url = base_url.strip().rstrip("/")
    account_id = account_id.strip() or "self"
    row = source(registration_id)
    if platform not in ("", *PLATFORMS):
        errors["platform"] = _("Choose Moodle, Canvas or none.")
    if platform:
        parts = split_url(base_url)
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.query
        ):
            errors["base_url"] = _("Give the LMS's address, like https://moodle.example.com.")
        elif len(base_url) > 500:
            errors["base_url"] = _("Use at most %(num)s characters.", num=500)
        # An administrator's Canvas connection is no token for another LMS.
        kept = row is not None and bool(row.token_encrypted)
        if row is not None and row.connected_as and platform != "canvas":
            kept = False
        has_token = bool(token.strip()) or kept
        key_id = (client_id if client_id is not None else (row.client_id if row else "")).strip()
        has_key = bool(key_id) and (
            bool(client_secret.strip()) or bool(row is not None and row.client_secret_encrypted)
        )
        if not has_token and not (platform == "canvas" and has_key):
            errors["token"] = (
                _("Paste the token the LMS gave you.")
                if platform != "canvas"
                else _("Paste an admin token, or give the developer key below, or both.")
            )
        if platform == "canvas" and client_id is not None:
            if key_id and not (key_id.isascii() and key_id.isdigit()):
                errors["client_id"] = _(
                    "The developer key's client id is a number, like 10000000000042."
                )
            elif len(key_id) > 100:
                errors["client_id"] = _("Use at most %(num)s characters.", num=100)
            elif key_id and not has_key:
                errors["client_secret"] = _("Paste the developer key's secret (its “Show key”).")
            elif client_secret.strip() and not key_id:
                errors["client_id"] = _("Give the client id that goes with this secret.")
        if platform == "canvas" and not (
            account_id == "self" or (account_id.isascii() and account_id.isdigit())
        ):
            errors["account_id"] = _("The account id is the number in /accounts/<id>, or self.")
        elif platform == "canvas" and len(account_id) > ACCOUNT_ID_MAX:
            errors["account_id"] = _("Use at most %(num)s characters.", num=ACCOUNT_ID_MAX)
    if errors:
        return errors
    row = ensure_source(registration_id)
    if row.platform != platform or row.base_url != base_url:
        row.synced_at = None
    row.platform = platform
    row.base_url = base_url if platform else ""
    row.account_id = account_id if platform == "canvas" else "self"  # only Canvas has accounts
    if not platform:
        row.token_encrypted = ""
        _forget_connection(row)
    elif token.strip():
        row.token_encrypted = encrypt(secret_key, token.strip())
        _forget_connection(row)  # a pasted token replaces an administrator's connection
    if platform != "canvas" and row.connected_as:
        row.token_encrypted = ""
        _forget_connection(row)
    if platform != "canvas":
        row.client_id, row.client_secret_encrypted = "", ""
    elif client_id is not None:
        row.client_id = client_id.strip()
        if not row.client_id:
            row.client_secret_encrypted = ""
        elif client_secret.strip():
            row.client_secret_encrypted = encrypt(secret_key, client_secret.strip())
    row.updated_at = utcnow()
    row.updated_by = by[:255]
    clear_problem(registration_id)
    db.session.flush()
    return {}


def describe(error: AdapterError) -> str:
    """One line for the administrator: what went wrong and what to do. In English: it is
    stored (by a job, or by someone else's request) and shown translated (`problem_text`)."""
    said = f" The LMS said: {error.answer[:300]}" if error.answer else ""
    code = f" ({error.code})" if error.code else ""
    fix = CONNECTION_FIX if error.code == CONNECTION_LOST else FIXES.get(error.kind)
    with force_locale("en"):
        fix_text = str(fix) if fix is not None else ""
    return f"{fix_text}{said}{code}".strip()


def problem_text(row: CatalogSource) -> str:
    """The stored problem in the page's language: the fix for its kind translated, and the
    LMS's own words (and code) as the LMS said them."""
    try:
        fix = FIXES.get(ErrorKind(row.problem_kind))
    except ValueError:
        fix = None
    if fix is None:
        return row.problem
    said = fix_said(row.problem, (fix, CONNECTION_FIX))
    return row.problem if said is None else said


def fix_said(stored: str, fixes: Iterable[Any] | None = None) -> str | None:
    """``stored`` (written by ``describe`` or a job, in English) in the page's language when it
    begins with one of ``fixes`` (every fix, and the unreadable token's, by default); the LMS's
    own words and code stay as the LMS said them. None when it begins with none."""
    for fix in (*FIXES.values(), UNREADABLE_FIX, CONNECTION_FIX) if fixes is None else fixes:
        with force_locale("en"):
            english = str(fix)
        if stored.startswith(english):
            rest = stored[len(english) :]
            said = " The LMS said: "
            if rest.startswith(said):
                rest = " " + _("The LMS said: %(answer)s", answer=rest[len(said) :])
            return str(fix) + rest
    return None


def record_problem(registration_id: int, error: AdapterError) -> None:
    row = ensure_source(registration_id)
    row.problem_kind = error.kind.value
    row.problem = describe(error)[:2000]
    row.problem_at = utcnow()
    db.session.flush()


def clear_problem(registration_id: int) -> None:
    row = source(registration_id)
    if row is not None and row.problem:
        row.problem_kind, row.problem, row.problem_at = "", "", None
        db.session.flush()
