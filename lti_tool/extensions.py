"""The only module-level singletons. Each is bound to an app by its own init_app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.exc import SQLAlchemyError
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


def end_reads_with_commit(app: Flask) -> None:
    """A transaction that only read ends with COMMIT, not the ROLLBACK of the session's close.

    psycopg forgets every prepared statement on ROLLBACK (what it prepared may have been dropped
    in the rolled-back transaction), so with every request ending in one, nothing reached its
    fifth execution and PostgreSQL planned each statement again on every request: about 1 ms
    each for the home page's larger ones. Committing a transaction that wrote nothing has the
    same outcome as rolling it back, and the connection keeps its prepared statements.

    Anything that may have written keeps the rollback: a statement that is not a SELECT, sent
    by the ORM or not (noticed on the connection, forgotten when its transaction ends), changes
    the session holds but never flushed, and an app context ended by an exception. Runs before
    Flask-SQLAlchemy's own teardown, which removes the session (Flask calls teardowns in
    reverse order of registration); connects to nothing."""
    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        if not event.contains(engine, "before_cursor_execute", _note_write):
            event.listen(engine, "before_cursor_execute", _note_write)
            event.listen(engine, "commit", _forget_write)
            event.listen(engine, "rollback", _forget_write)

    @app.teardown_appcontext
    def commit_reads(exc: BaseException | None) -> None:
        session = db.session()
        if exc is not None or not session.in_transaction():
            return
        if session.new or session.dirty or session.deleted:
            return
        if any(conn.info.get(_WROTE) for conn in _transaction_connections(session)):
            return
        # The session is removed next: what it loaded stays readable, as after the close.
        session.expire_on_commit = False
        try:
            session.commit()
        except SQLAlchemyError:  # the connection went away: Flask-SQLAlchemy's close cleans up
            session.rollback()


_WROTE = "wayfinder_wrote"


def _note_write(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    if statement.lstrip()[:6].upper() != "SELECT":
        conn.info[_WROTE] = True


def _forget_write(conn: Any) -> None:
    conn.info.pop(_WROTE, None)


def _transaction_connections(session: Any) -> list[Any]:
    transaction = session.get_transaction()
    if transaction is None:
        return []
    return [bound[0] for bound in transaction._connections.values()]


def _sqlite_foreign_keys_on(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
store = StoreExtension()
