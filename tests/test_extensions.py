"""The database keeps its foreign keys on SQLite as on PostgreSQL: ON DELETE rules run, and a row
cannot refer to a row that does not exist."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError

from lti_tool.extensions import db
from lti_tool.lti.models import Deployment, LaunchEvent, Registration
from lti_tool.people.models import Course, Membership, Person


def registration() -> Registration:
    reg = Registration(
        issuer="https://lms.example.com",
        client_id="c1",
        auth_login_url="https://lms.example.com/auth",
        key_set_url="https://lms.example.com/jwks",
    )
    db.session.add(reg)
    db.session.flush()
    return reg


def test_deleting_a_person_deletes_their_memberships(clean_app: Any) -> None:
    with clean_app.app_context():
        tenant = registration().id
        ana = Person(registration_id=tenant, sub="ana", name="Ana")
        bo = Person(registration_id=tenant, sub="bo", name="Bo")
        course = Course(registration_id=tenant, context_id="ctx")
        db.session.add_all([ana, bo, course])
        db.session.flush()
        db.session.add_all(
            Membership(registration_id=tenant, course_id=course.id, person_id=p.id)
            for p in (ana, bo)
        )
        db.session.commit()
        # A bulk delete: what the database does on its own, not the ORM's cascades.
        db.session.execute(delete(Person).where(Person.id == ana.id))
        db.session.commit()
        left = db.session.execute(select(Membership.person_id)).scalars().all()
        assert left == [bo.id]


def test_deleting_a_registration_deletes_its_data_and_unlinks_its_launch_log(
    clean_app: Any,
) -> None:
    with clean_app.app_context():
        tenant = registration().id
        db.session.add(Person(registration_id=tenant, sub="ana"))
        db.session.add(Deployment(registration_id=tenant, deployment_id="d1"))
        db.session.add(LaunchEvent(stage="launch", registration_id=tenant))
        db.session.commit()
        db.session.execute(delete(Registration).where(Registration.id == tenant))
        db.session.commit()
        assert db.session.execute(select(Person.id)).all() == []
        assert db.session.execute(select(Deployment.id)).all() == []
        # ON DELETE SET NULL: the launch log keeps the event, no longer tied to the LMS.
        assert db.session.execute(select(LaunchEvent.registration_id)).scalars().all() == [None]


def test_a_row_referring_to_a_missing_row_is_refused(clean_app: Any) -> None:
    with clean_app.app_context():
        tenant = registration().id
        db.session.commit()
        db.session.add(Person(registration_id=tenant + 1, sub="ghost"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.execute(select(Person.id)).all() == []


def test_every_connection_enforces_foreign_keys(clean_app: Any) -> None:
    with clean_app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL always enforces its foreign keys")
        db.engine.dispose()  # new connections from here on
        connections = [db.engine.connect() for _ in range(3)]
        try:
            assert [c.execute(text("PRAGMA foreign_keys")).scalar() for c in connections] == [1] * 3
        finally:
            for c in connections:
                c.close()
