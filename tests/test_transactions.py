"""How a request's transaction ends: with COMMIT when it only read (so psycopg keeps the
statements it prepared, which every ROLLBACK makes it forget), and with the rollback of
whatever it did not commit otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select, text, update

from lti_tool.extensions import db
from lti_tool.people.models import Person
from tests.conftest import DATABASE_URL
from tests.test_extensions import registration


@contextmanager
def endings(app: Any) -> Iterator[list[str]]:
    """How each transaction on the app's engine ended, in order."""
    seen: list[str] = []

    def committed(_conn: Any) -> None:
        seen.append("commit")

    def rolled_back(_conn: Any) -> None:
        seen.append("rollback")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "commit", committed)
    event.listen(engine, "rollback", rolled_back)
    try:
        yield seen
    finally:
        event.remove(engine, "commit", committed)
        event.remove(engine, "rollback", rolled_back)


def tenant(app: Any) -> int:
    with app.app_context():
        reg = registration()
        db.session.add(Person(registration_id=reg.id, sub="ana", name="Ana"))
        db.session.commit()
        return reg.id


def names(app: Any) -> list[str | None]:
    with app.app_context():
        return list(db.session.scalars(select(Person.name).order_by(Person.sub)))


def test_an_app_context_that_only_read_commits(clean_app: Any) -> None:
    tenant(clean_app)
    with endings(clean_app) as seen, clean_app.app_context():
        assert db.session.scalars(select(Person.name)).all() == ["Ana"]
    assert seen == ["commit"]


def test_a_page_that_only_reads_commits(clean_app: Any) -> None:
    """The signing keys Wayfinder publishes come from the database; nothing is written."""
    client = clean_app.test_client()
    client.get("/lti/jwks")  # anything a first request sets up is done before counting
    with endings(clean_app) as seen:
        assert client.get("/lti/jwks").status_code == 200
    assert seen == ["commit"]


def test_flushed_but_uncommitted_changes_are_rolled_back(clean_app: Any) -> None:
    reg = tenant(clean_app)
    with endings(clean_app) as seen, clean_app.app_context():
        db.session.add(Person(registration_id=reg, sub="bo", name="Bo"))
        db.session.flush()
    assert seen == ["rollback"]
    assert names(clean_app) == ["Ana"]


def test_changes_never_flushed_are_not_written(clean_app: Any) -> None:
    reg = tenant(clean_app)
    with endings(clean_app) as seen, clean_app.app_context():
        ana = db.session.scalars(select(Person)).one()
        ana.name = "Changed"
        db.session.add(Person(registration_id=reg, sub="bo", name="Bo"))
    assert seen == ["rollback"]
    assert names(clean_app) == ["Ana"]


def test_a_statement_written_by_hand_is_rolled_back(clean_app: Any) -> None:
    """Writes the ORM does not track (an UPDATE statement, raw SQL) count as writes too."""
    tenant(clean_app)
    with endings(clean_app) as seen:
        with clean_app.app_context():
            db.session.execute(update(Person).values(name="Changed"))
        with clean_app.app_context():
            db.session.execute(text("UPDATE people SET name = 'Raw'"))
    assert seen == ["rollback", "rollback"]
    assert names(clean_app) == ["Ana"]


def test_reads_after_a_commit_end_with_a_commit(clean_app: Any) -> None:
    """A write that was committed is not held against the reads that follow it."""
    reg = tenant(clean_app)
    with endings(clean_app) as seen, clean_app.app_context():
        db.session.add(Person(registration_id=reg, sub="bo", name="Bo"))
        db.session.commit()
        assert len(db.session.scalars(select(Person.id)).all()) == 2
    assert seen == ["commit", "commit"]


def test_an_app_context_ended_by_an_error_rolls_back(clean_app: Any) -> None:
    tenant(clean_app)
    with endings(clean_app) as seen, pytest.raises(LookupError), clean_app.app_context():
        db.session.scalars(select(Person.name)).all()
        raise LookupError("the view failed")
    assert seen == ["rollback"]


@pytest.mark.skipif(not DATABASE_URL, reason="prepared statements are PostgreSQL's")
def test_statements_repeated_request_after_request_get_prepared(clean_app: Any) -> None:
    """psycopg prepares a statement on its fifth execution on a connection, and forgets all it
    prepared on ROLLBACK: a request that only read must not end with one."""
    tenant(clean_app)
    query = select(Person.name).where(Person.sub == "ana")
    prepared = 0
    # The pool hands its idle connections out in turn: enough requests for each to see the
    # statement more than five times.
    for _ in range(40):
        with clean_app.app_context():
            assert db.session.scalars(query).all() == ["Ana"]
            prepared = db.session.execute(
                text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%people%'")
            ).scalar_one()
    assert prepared >= 1
