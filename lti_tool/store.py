"""A small shared key-value store for launch state, nonces, launch sessions and caches.

Redis when REDIS_URL is set; otherwise a database table. Both are shared by every process, so a
login served by one gunicorn worker and its launch served by another see the same state, and a
nonce used once stays used after a restart.

Values are JSON. Every key has a time to live.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import DateTime, String, Text, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.extensions import db


class KeyValueStore(Protocol):
    def get(self, key: str) -> Any | None: ...
    def set(self, key: str, value: Any, ttl: int) -> None: ...
    def add(self, key: str, value: Any, ttl: int) -> bool:
        """Set only if absent; True if this call set it. Atomic across processes."""
        ...

    def pop(self, key: str) -> Any | None:
        """Get and delete in one step: only one caller ever receives the value."""
        ...

    def delete(self, key: str) -> None: ...
    def pop_and_add(
        self, pop_key: str, add_key: str, value: Any, ttl: int
    ) -> tuple[Any | None, bool]:
        """pop(pop_key) and add(add_key, value, ttl) in one round trip: a launch consumes its
        login state and records its nonce together."""
        ...


class StoreUnavailable(RuntimeError):
    """The shared store (Redis) did not answer."""


def _guarded(method: Any) -> Any:
    import functools

    import redis

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except redis.RedisError as exc:
            raise StoreUnavailable(f"Redis did not answer: {type(exc).__name__}") from exc

    return wrapper


class RedisStore:
    def __init__(self, url: str, prefix: str = "wayfinder:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._prefix = prefix

    @_guarded
    def get(self, key: str) -> Any | None:
        raw = self._redis.get(self._prefix + key)
        return None if raw is None else json.loads(raw)

    @_guarded
    def set(self, key: str, value: Any, ttl: int) -> None:
        self._redis.set(self._prefix + key, json.dumps(value), ex=max(1, ttl))

    @_guarded
    def add(self, key: str, value: Any, ttl: int) -> bool:
        return bool(self._redis.set(self._prefix + key, json.dumps(value), ex=max(1, ttl), nx=True))

    @_guarded
    def pop(self, key: str) -> Any | None:
        raw = self._redis.getdel(self._prefix + key)
        return None if raw is None else json.loads(raw)

    @_guarded
    def delete(self, key: str) -> None:
        self._redis.delete(self._prefix + key)

    @_guarded
    def pop_and_add(
        self, pop_key: str, add_key: str, value: Any, ttl: int
    ) -> tuple[Any | None, bool]:
        pipe = self._redis.pipeline(transaction=False)
        pipe.getdel(self._prefix + pop_key)
        pipe.set(self._prefix + add_key, json.dumps(value), ex=max(1, ttl), nx=True)
        raw, added = pipe.execute()
        return (None if raw is None else json.loads(raw)), bool(added)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class DatabaseStore:
    """The embedded fallback. Writes join the request's transaction, committed once per request."""

    @property
    def _session(self) -> Any:
        return db.session

    def get(self, key: str) -> Any | None:
        row = self._session.get(KeyValueEntry, key)
        if row is None or row.expires_at <= _now():
            return None
        return json.loads(row.value)

    def set(self, key: str, value: Any, ttl: int) -> None:
        expires = _now() + timedelta(seconds=ttl)
        row = self._session.get(KeyValueEntry, key)
        if row is None and not self.add(key, value, ttl):
            row = self._session.get(KeyValueEntry, key)  # another request added it meanwhile
        if row is not None:
            row.value = json.dumps(value)
            row.expires_at = expires
            self._session.flush()

    def add(self, key: str, value: Any, ttl: int) -> bool:
        session = self._session
        session.execute(
            delete(KeyValueEntry)
            .where(KeyValueEntry.key == key, KeyValueEntry.expires_at <= _now())
            .execution_options(synchronize_session=False)
        )
        entry = KeyValueEntry(
            key=key, value=json.dumps(value), expires_at=_now() + timedelta(seconds=ttl)
        )
        try:
            with session.begin_nested():
                session.add(entry)
        except IntegrityError:
            return False
        return True

    def pop(self, key: str) -> Any | None:
        row = self._session.execute(
            delete(KeyValueEntry)
            .where(KeyValueEntry.key == key)
            .returning(KeyValueEntry.value, KeyValueEntry.expires_at)
            .execution_options(synchronize_session=False)
        ).first()
        if row is None or row.expires_at <= _now():
            return None
        return json.loads(row.value)

    def delete(self, key: str) -> None:
        self._session.execute(
            delete(KeyValueEntry)
            .where(KeyValueEntry.key == key)
            .execution_options(synchronize_session=False)
        )

    def pop_and_add(
        self, pop_key: str, add_key: str, value: Any, ttl: int
    ) -> tuple[Any | None, bool]:
        return self.pop(pop_key), self.add(add_key, value, ttl)

    def purge_expired(self) -> int:
        result = self._session.execute(
            delete(KeyValueEntry)
            .where(KeyValueEntry.expires_at <= _now())
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)


class KeyValueEntry(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "kv_entries"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
