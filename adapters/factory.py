"""Choose the adapter for a tenant from its platform kind and what access it granted.

A Moodle with a service token gets the Moodle adapter; a Canvas with an admin token or an API
developer key (OAuth) gets the Canvas adapter; anything else (no REST access granted, or another
LMS) gets the local, Wayfinder-only catalog."""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.base import LmsAdapter, TokenStore
from adapters.canvas import CanvasAdapter, CanvasOAuth
from adapters.http import HttpClient
from adapters.local import LocalAdapter, LocalRepository, MemoryRepository
from adapters.moodle import MoodleAdapter


@dataclass(frozen=True)
class AdapterSettings:
    """One tenant's REST access, as the app stores it per registration. Secrets stay out of repr."""

    platform: str  # "moodle", "canvas", anything else: local only
    base_url: str = ""  # the LMS's site (Moodle's wwwroot, Canvas's https://school.instructure.com)
    token: str = field(default="", repr=False)  # Moodle service token / Canvas admin token
    account_id: str = "self"  # Canvas: the account whose courses form the catalog
    client_id: str = ""  # Canvas API developer key (per-person OAuth)
    client_secret: str = field(default="", repr=False)
    redirect_uri: str = ""
    timeout: float = 10.0
    max_pages: int = 50

    @property
    def grants_rest(self) -> bool:
        if not self.base_url:
            return False
        if self.platform == "moodle":
            return bool(self.token)
        if self.platform == "canvas":
            return bool(self.token or (self.client_id and self.client_secret))
        return False


def make_adapter(
    settings: AdapterSettings,
    *,
    tokens: TokenStore | None = None,
    local: LocalRepository | None = None,
    acting_user: str | None = None,
    http: HttpClient | None = None,
) -> LmsAdapter:
    """The adapter for this tenant. `tokens` holds per-person tokens (Canvas OAuth, Moodle
    self-enrolment); `acting_user` is the person a Canvas adapter acts for when it has no admin
    token; `local` is the Wayfinder-only catalog for tenants without REST access."""
    client = http or HttpClient(timeout=settings.timeout)
    if settings.grants_rest and settings.platform == "moodle":
        return MoodleAdapter(settings.base_url, settings.token, http=client, user_tokens=tokens)
    if settings.grants_rest and settings.platform == "canvas":
        oauth = None
        if settings.client_id and settings.client_secret and tokens is not None:
            oauth = CanvasOAuth(
                settings.base_url,
                settings.client_id,
                settings.client_secret,
                settings.redirect_uri,
                tokens,
                http=client,
            )
        return CanvasAdapter(
            settings.base_url,
            admin_token=settings.token,
            account_id=settings.account_id,
            oauth=oauth,
            acting_user=acting_user,
            http=client,
            max_pages=settings.max_pages,
        )
    return LocalAdapter(local if local is not None else MemoryRepository())
