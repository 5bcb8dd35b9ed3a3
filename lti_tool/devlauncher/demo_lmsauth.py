"""The demo's own-LMS-authority state: Ana has given Wayfinder her token for the demo LMS, so her
plan shows "Saved" and her LMS account page shows how to remove it. The development launcher's
pretend LMS has no OAuth server and needs no token to enrol anyone, so the Connect flow itself
is shown by the tests against the served Canvas fake (tests/catalog/test_lms_accounts.py), not
here. Added once; later seeds leave it as it is."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.lti.models import Registration


def seed_lms_accounts(reg: Registration) -> None:
    from adapters.base import StoredToken
    from lti_tool.catalog import access
    from lti_tool.catalog.accounts import PersonTokens
    from lti_tool.catalog.models import LmsAccount
    from lti_tool.people.models import Person
    from lti_tool.tenancy import tenant_scope

    with tenant_scope(db.session, reg.id):
        if db.session.scalar(select(LmsAccount.id).limit(1)) is not None:
            return
        ana = db.session.scalar(select(Person).where(Person.sub == "ana"))
        if ana is None:
            return
        PersonTokens(reg.id, current_app.config["SECRET_KEY"], access.DEMO_PLATFORM, ana.id).put(
            "ana",
            StoredToken(access_token="demo-token-for-ana-not-a-real-one"),  # noqa: S106
        )
        db.session.flush()
