"""Registrations and deployments as logins, launches and pages see them: plain snapshots.

Every login, launch and page needs its registration and deployment, yet they change rarely (an
admin adds, approves or disables one). With Redis, each process keeps snapshots and a
*generation* in the shared store says when they are stale: every commit that writes a
Registration or Deployment sets a new generation once it is committed. A process compares
generations at most every CHECK_SECONDS, so a change made anywhere (the CLI, an admin page,
another worker) is seen everywhere within that time, and at once by the process that made it.
A missing generation (Redis flushed, expired) is replaced by a fresh one, which empties every
cache; snapshots older than MAX_AGE are reloaded whatever the generation says.

With the database store (the embedded default) there is nothing to gain over asking the
database, so every lookup does.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from lti_tool.extensions import db, store
from lti_tool.lti.models import Deployment, DeploymentStatus, PlatformKind, Registration
from lti_tool.store import StoreUnavailable

log = logging.getLogger(__name__)

GENERATION_KEY = "registry:generation"
GENERATION_TTL = 30 * 86400
CHECK_SECONDS = 2.0
MAX_AGE = 60.0
MAX_ENTRIES = 20_000
_CHANGED = "wayfinder_registry_changed"


class AmbiguousIssuer(ValueError):
    """Several registrations share the issuer and the LMS did not say which client it is."""


@dataclass(frozen=True)
class RegistrationInfo:
    id: int
    issuer: str
    client_id: str
    name: str
    platform: PlatformKind
    enabled: bool
    auth_login_url: str
    auth_token_url: str
    auth_audience: str
    key_set_url: str
    frame_origins: tuple[str, ...]

    @property
    def auth_origin(self) -> str:
        """The OIDC auth endpoint's origin: the target origin for LTI Platform Storage messages."""
        parts = urlsplit(self.auth_login_url)
        return f"{parts.scheme}://{parts.netloc}"

    @classmethod
    def of(cls, row: Registration) -> RegistrationInfo:
        return cls(
            id=row.id,
            issuer=row.issuer,
            client_id=row.client_id,
            name=row.name,
            platform=row.platform,
            enabled=row.enabled,
            auth_login_url=row.auth_login_url,
            auth_token_url=row.auth_token_url or "",
            auth_audience=row.auth_audience or "",
            key_set_url=row.key_set_url,
            frame_origins=tuple(row.frame_origins or ()),
        )


@dataclass(frozen=True)
class DeploymentInfo:
    id: int
    registration_id: int
    deployment_id: str
    status: DeploymentStatus
    last_launch_at: datetime | None

    @classmethod
    def of(cls, row: Deployment) -> DeploymentInfo:
        return cls(
            id=row.id,
            registration_id=row.registration_id,
            deployment_id=row.deployment_id,
            status=row.status,
            last_launch_at=row.last_launch_at,
        )


class _Snapshots:
    """One process's snapshots for one app, valid for one generation."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation: Any = None
        self.loaded_at = 0.0
        self.checked_at = 0.0
        self.entries: dict[tuple[Any, ...], Any] = {}

    def current(self) -> dict[tuple[Any, ...], Any]:
        now = time.monotonic()
        if now - self.checked_at < CHECK_SECONDS and len(self.entries) <= MAX_ENTRIES:
            return self.entries
        generation = store.get(GENERATION_KEY)
        if generation is None:
            fresh = secrets.token_hex(8)
            generation = fresh if store.add(GENERATION_KEY, fresh, GENERATION_TTL) else None
            generation = generation or store.get(GENERATION_KEY)
        with self.lock:
            self.checked_at = now
            if (
                generation != self.generation
                or now - self.loaded_at > MAX_AGE
                or len(self.entries) > MAX_ENTRIES
            ):
                self.generation, self.loaded_at, self.entries = generation, now, {}
            return self.entries

    def forget(self) -> None:
        with self.lock:
            self.generation, self.checked_at, self.entries = None, 0.0, {}


def _snapshots() -> _Snapshots | None:
    """This app's snapshots, or None where the store is the database (no caching)."""
    if not current_app.config.get("REDIS_URL"):
        return None
    found = current_app.extensions.get("wayfinder_registry")
    if found is None:
        found = current_app.extensions.setdefault("wayfinder_registry", _Snapshots())
    return found  # type: ignore[no-any-return]


_MISSING = object()


def _cached(key: tuple[Any, ...], load: Any) -> Any:
    snapshots = _snapshots()
    if snapshots is None:
        return load()
    entries = snapshots.current()
    value = entries.get(key, _MISSING)
    if value is _MISSING:
        value = load()
        entries[key] = value
    return value


_AMBIGUOUS = "ambiguous"


def _load_by_client(issuer: str, client_id: str | None) -> RegistrationInfo | str | None:
    query = select(Registration).where(Registration.issuer == issuer)
    if client_id:
        row = db.session.scalar(query.where(Registration.client_id == client_id))
        return RegistrationInfo.of(row) if row else None
    rows = list(db.session.scalars(query.limit(2)))
    if len(rows) > 1:
        return _AMBIGUOUS
    return RegistrationInfo.of(rows[0]) if rows else None


def find_registration(issuer: str, client_id: str | None) -> RegistrationInfo | None:
    """The registration for (issuer, client_id). Without client_id, only an issuer with a single
    registration is unambiguous; None means not found, AmbiguousIssuer is raised otherwise."""
    found = _cached(
        ("client", issuer, client_id or None), lambda: _load_by_client(issuer, client_id)
    )
    if found == _AMBIGUOUS:
        raise AmbiguousIssuer("several registrations share this issuer")
    return found  # type: ignore[no-any-return]


def registration(registration_id: int) -> RegistrationInfo | None:
    def load() -> RegistrationInfo | None:
        row = db.session.get(Registration, registration_id)
        return RegistrationInfo.of(row) if row else None

    return _cached(("id", registration_id), load)  # type: ignore[no-any-return]


def deployment(registration_id: int, deployment_id: str) -> DeploymentInfo | None:
    def load() -> DeploymentInfo | None:
        row = db.session.scalar(
            select(Deployment).where(
                Deployment.registration_id == registration_id,
                Deployment.deployment_id == deployment_id,
            )
        )
        return DeploymentInfo.of(row) if row else None

    return _cached(("deployment", registration_id, deployment_id), load)  # type: ignore[no-any-return]


def note_launch(info: DeploymentInfo, when: datetime) -> None:
    """Remember in this process's snapshot that the deployment's last launch time was written
    (that write does not change the generation: it is bookkeeping, not configuration)."""
    snapshots = _snapshots()
    if snapshots is None:
        return
    entries = snapshots.current()
    key = ("deployment", info.registration_id, info.deployment_id)
    if entries.get(key) is not None:
        entries[key] = replace(info, last_launch_at=when)


def invalidate() -> None:
    """Make every process reload its snapshots (called after a commit that changed them)."""
    store.set(GENERATION_KEY, secrets.token_hex(8), GENERATION_TTL)
    forget()


def forget() -> None:
    """Drop this process's snapshots (as a new process would start)."""
    snapshots = current_app.extensions.get("wayfinder_registry")
    if snapshots is not None:
        snapshots.forget()


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _ctx: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Registration | Deployment):
            session.info[_CHANGED] = True
            return


@event.listens_for(Session, "after_commit")
def _publish_changes(session: Session) -> None:
    if session.info.pop(_CHANGED, False) and has_app_context() and _snapshots() is not None:
        try:
            invalidate()
        except StoreUnavailable:
            # The change is committed; other processes see it within MAX_AGE.
            forget()
            log.warning(
                "Redis did not answer: registrations changed, caches expire in %ss", MAX_AGE
            )
