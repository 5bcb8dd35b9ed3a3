"""Tenant scoping: with a tenant set, queries cannot see or write another tenant's rows."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select

from lti_tool.extensions import db
from lti_tool.lti.models import Registration
from lti_tool.people.models import Person
from lti_tool.tenancy import CrossTenantWrite, tenant_scope


def make_registration(client_id: str) -> Registration:
    reg = Registration(
        issuer="https://lms.example",
        client_id=client_id,
        auth_login_url="https://lms.example/auth",
        key_set_url="https://lms.example/jwks",
    )
    db.session.add(reg)
    db.session.flush()
    return reg


def ann_and_bo() -> tuple[Registration, Registration]:
    """Two tenants, each with a person of sub "1": Ann in the first, Bo in the second."""
    a, b = make_registration("a"), make_registration("b")
    db.session.add_all(
        [
            Person(registration_id=a.id, sub="1", name="Ann"),
            Person(registration_id=b.id, sub="1", name="Bo"),
        ]
    )
    db.session.commit()
    return a, b


def test_queries_are_scoped_to_the_current_tenant(clean_app) -> None:
    with clean_app.app_context():
        a, _b = ann_and_bo()
        bo_id = db.session.scalar(select(Person.id).where(Person.name == "Bo"))
        a_id = a.id
        db.session.expunge_all()
        with tenant_scope(db.session, a_id):
            assert [p.name for p in db.session.scalars(select(Person))] == ["Ann"]
            assert db.session.get(Person, bo_id) is None  # not even by primary key
            assert db.session.scalar(select(Person).where(Person.sub == "1")).name == "Ann"
            db.session.execute(db.update(Person).values(name="renamed"))
        db.session.commit()
        names = sorted(db.session.scalars(select(Person.name)))
        assert names == ["Bo", "renamed"]  # the unscoped update touched only tenant A


def test_a_statement_built_once_is_scoped_to_each_tenant_that_runs_it(clean_app) -> None:
    """Statements kept for the life of the process (functools.cache) keep their scoped copy:
    the tenant is a bound parameter of each execution, never baked into that copy."""
    built_once = select(Person.name).where(Person.sub == bindparam("sub"))
    with clean_app.app_context():
        a, b = ann_and_bo()
        seen = []
        for tenant in (a.id, b.id, a.id):
            with tenant_scope(db.session, tenant):
                seen.append(list(db.session.scalars(built_once, {"sub": "1"})))
        assert seen == [["Ann"], ["Bo"], ["Ann"]]
        # Outside a tenant scope (CLI, installation admin) the same statement sees everyone.
        assert sorted(db.session.scalars(built_once, {"sub": "1"})) == ["Ann", "Bo"]


def test_a_bulk_update_by_primary_key_touches_only_the_tenants_rows(clean_app) -> None:
    """SQLAlchemy adds no criteria to an UPDATE given a list of rows (the catalog sync's
    pages): a row of another tenant in the list is refused, and nothing is written."""
    with clean_app.app_context():
        a, b = ann_and_bo()
        ann, bo = (
            db.session.scalar(select(Person.id).where(Person.registration_id == r.id))
            for r in (a, b)
        )
        with tenant_scope(db.session, a.id):
            db.session.execute(db.update(Person), [{"id": ann, "name": "Ann A."}])
            with pytest.raises(CrossTenantWrite):
                db.session.execute(
                    db.update(Person), [{"id": ann, "name": "Ann B."}, {"id": bo, "name": "X"}]
                )
        db.session.rollback()
        db.session.expire_all()
        assert sorted(db.session.scalars(select(Person.name))) == ["Ann", "Bo"]
        with tenant_scope(db.session, a.id):
            db.session.execute(db.update(Person), [{"id": ann, "name": "Ann A."}])
        db.session.commit()
        assert sorted(db.session.scalars(select(Person.name))) == ["Ann A.", "Bo"]


def test_writing_another_tenants_row_is_refused(clean_app) -> None:
    with clean_app.app_context():
        a, b = make_registration("a"), make_registration("b")
        db.session.commit()
        with tenant_scope(db.session, a.id):
            db.session.add(Person(registration_id=b.id, sub="x"))
            with pytest.raises(CrossTenantWrite):
                db.session.flush()
        db.session.rollback()
