"""The only module-level singletons. Each is bound to an app by its own init_app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


if TYPE_CHECKING:
    from lti_tool.store import KeyValueStore


class StoreExtension:
    """Chooses the backend from REDIS_URL when first used; creating the app connects to nothing."""

    def init_app(self, app: Flask) -> None:
        app.extensions["wayfinder_store"] = None

    @property
    def backend(self) -> KeyValueStore:
        chosen = current_app.extensions.get("wayfinder_store")
        if chosen is None:
            url = current_app.config.get("REDIS_URL")
            from lti_tool.store import DatabaseStore, RedisStore

            chosen = RedisStore(url) if url else DatabaseStore()
            current_app.extensions["wayfinder_store"] = chosen
        return chosen

    @property
    def in_database(self) -> bool:
        """True when the store's writes join the request's database transaction (no Redis)."""
        from lti_tool.store import DatabaseStore

        return isinstance(self.backend, DatabaseStore)

    def get(self, key: str) -> Any | None:
        return self.backend.get(key)

    def set(self, key: str, value: Any, ttl: int) -> None:
        self.backend.set(key, value, ttl)

    def add(self, key: str, value: Any, ttl: int) -> bool:
        return self.backend.add(key, value, ttl)

    def pop(self, key: str) -> Any | None:
        return self.backend.pop(key)

    def delete(self, key: str) -> None:
        self.backend.delete(key)

    def pop_and_add(
        self, pop_key: str, add_key: str, value: Any, ttl: int
    ) -> tuple[Any | None, bool]:
        return self.backend.pop_and_add(pop_key, add_key, value, ttl)


def enforce_foreign_keys(app: Flask) -> None:
    """SQLite ignores every FOREIGN KEY clause (ON DELETE CASCADE and SET NULL included) unless
    each connection turns enforcement on, so every SQLite engine does that as it connects.
    Engines exist from db.init_app on, but none has connected yet: this connects to nothing."""
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite" and not event.contains(
                engine, "connect", _sqlite_foreign_keys_on
            ):
                event.listen(engine, "connect", _sqlite_foreign_keys_on)


def _sqlite_foreign_keys_on(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
store = StoreExtension()
