"""Catalog sync over the served Moodle and Canvas fakes: what the LMS says comes in, what
trainers curated survives every later sync, and a course the LMS drops is marked, not deleted."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lti_tool.catalog import access, services
from lti_tool.catalog.models import CatalogItem
from lti_tool.extensions import db
from lti_tool.tenancy import tenant_scope
from tests.catalog.conftest import Served, connect, items, run_sync, starter_skills
from tests.fakes import catalog


def _curate(app: Any, tenant: int, title: str, **values: Any) -> None:
    with app.app_context(), tenant_scope(db.session, tenant):
        row = db.session.query(CatalogItem).filter_by(title=title).one()
        form = services.CurationForm(**values)
        assert services.curate(tenant, row, form, by="Chloe") == {}
        db.session.commit()


def test_sync_brings_the_lms_catalog_and_keeps_curation(
    clean_app: Any, tenant: int, served: Served
) -> None:
    skills = starter_skills(clean_app, tenant)
    connect(clean_app, tenant, served)
    state, message = run_sync(clean_app, tenant)
    assert state == "succeeded", message
    found = items(clean_app, tenant)
    # Every visible course; the hidden draft stays out.
    assert set(found) == {
        "Handling difficult calls",
        "De-escalation basics",
        "Billing questions",
        "Quality scorecards",
        "Archived onboarding",
    }
    calls = found["Handling difficult calls"]
    assert calls.summary == "Stay calm & own the call."
    assert found["Billing questions"].language == "es"
    assert "5 new" in message

    # A trainer curates: skills, level, format, featured; hides another; adds a local item.
    _curate(
        clean_app,
        tenant,
        "Handling difficult calls",
        skills=[str(skills["De-escalation"]), str(skills["Empathy"])],
        level="2",
        format="video",
        featured=True,
    )
    _curate(clean_app, tenant, "Quality scorecards", skills=[], hidden=True)
    with clean_app.app_context(), tenant_scope(db.session, tenant):
        local, errors = services.save_local(
            tenant,
            None,
            services.LocalForm("Floor shadowing", "Sit with a senior agent.", "", "live"),
            by="Chloe",
        )
        assert errors == {} and local is not None
        db.session.commit()

    # The LMS renames a course and drops another; the next sync must keep every decision.
    renamed = tuple(
        replace(c, title="Handling difficult calls (2025)") if c.key == "calls" else c
        for c in catalog.COURSES
        if c.key != "billing"
    )
    served.fake.courses = renamed
    state, message = run_sync(clean_app, tenant)
    assert state == "succeeded", message
    found = items(clean_app, tenant)
    calls = found["Handling difficult calls (2025)"]
    assert [s.name for s in calls.skills] == ["De-escalation", "Empathy"]
    assert (calls.level, calls.format, calls.featured) == (2, "video", True)
    assert "de-escalation" in calls.search_text and "(2025)" in calls.search_text
    assert found["Quality scorecards"].hidden is True
    assert found["Billing questions"].gone_at is not None  # marked, not deleted
    assert found["Floor shadowing"].source == "local"
    assert "1 no longer offered" in message

    # The course comes back: the mark goes, nothing else changed.
    served.fake.courses = catalog.COURSES
    state, message = run_sync(clean_app, tenant)
    found = items(clean_app, tenant)
    assert found["Billing questions"].gone_at is None
    assert "1 offered again" in message
    assert found["Handling difficult calls"].featured is True


def test_a_revoked_token_fails_the_sync_for_the_admin_and_loses_nothing(
    clean_app: Any, tenant: int, moodle: Served
) -> None:
    connect(clean_app, tenant, moodle)
    assert run_sync(clean_app, tenant)[0] == "succeeded"
    connect(clean_app, tenant, moodle, token="expired-" + moodle.token)
    state, message = run_sync(clean_app, tenant)
    assert state == "failed"
    assert "expired or was revoked" in message
    assert "Gave up" in message  # retrying cannot help: an administrator must act
    assert len(items(clean_app, tenant)) == 5
    with clean_app.app_context(), tenant_scope(db.session, tenant):
        source = access.source(tenant)
        assert source is not None
        assert source.problem_kind == "auth"
        assert "Manage tokens" in source.problem
        assert moodle.token not in source.problem


def test_an_lms_that_is_down_is_retried(clean_app: Any, tenant: int, canvas: Served) -> None:
    connect(clean_app, tenant, canvas)
    canvas.fake.faults.extend(["unavailable"] * 10)
    state, message = run_sync(clean_app, tenant)
    assert state == "failed"
    assert "retrying at" in message
    canvas.fake.faults.clear()


def test_without_lms_access_the_sync_says_so(clean_app: Any, tenant: int) -> None:
    state, message = run_sync(clean_app, tenant)
    assert state == "failed"
    assert "No LMS access is set up" in message


def test_tokens_are_stored_encrypted(clean_app: Any, tenant: int, canvas: Served) -> None:
    connect(clean_app, tenant, canvas)
    with clean_app.app_context(), tenant_scope(db.session, tenant):
        source = access.source(tenant)
        assert source is not None
        assert canvas.token not in source.token_encrypted
        found = access.access_for(tenant, clean_app.config["SECRET_KEY"])
        assert found.settings.token == canvas.token


def test_the_scheduler_syncs_each_connected_lms_once(
    clean_app: Any, tenant: int, moodle: Served
) -> None:
    from sqlalchemy import func, select

    from lti_tool.catalog import jobs as catalog_jobs
    from lti_tool.jobs.models import Job

    with clean_app.app_context():
        assert catalog_jobs.enqueue_periodic_syncs(1440) == []  # no LMS access: nothing to do
    connect(clean_app, tenant, moodle)
    with clean_app.app_context():
        first = catalog_jobs.enqueue_periodic_syncs(1440)
        db.session.commit()
        assert [job.registration_id for job in first] == [tenant]
        assert catalog_jobs.enqueue_periodic_syncs(1440) == []  # one is waiting already
        db.session.commit()
        count = db.session.scalar(
            select(func.count()).select_from(Job).where(Job.kind == "catalog_sync")
        )
        assert count == 1


def test_junk_in_the_lms_catalog_is_cleaned_not_a_failed_sync(
    clean_app: Any, tenant: int, served: Served
) -> None:
    """A course whose title and summary hold NUL characters (which PostgreSQL refuses) and a
    title far longer than Wayfinder keeps: synced, cleaned and cut, with every other course."""
    nul = "\x00"
    junk = catalog.SeedCourse(
        "junk", f"Nu{nul}ll {'T' * 400}", f"<p>Sum{nul}mary</p>", "products", language=f"e{nul}n"
    )
    served.fake.courses = (*served.fake.courses, junk)
    served.fake.course_ids["junk"] = 999
    connect(clean_app, tenant, served)
    state, message = run_sync(clean_app, tenant)
    assert state == "succeeded", message
    found = items(clean_app, tenant)
    assert len(found) == len([c for c in served.fake.courses if c.visible])
    (title,) = [t for t in found if t.startswith("Null T")]
    assert len(title) == 255 and nul not in title
    assert found[title].summary == "Summary" and found[title].language == "en"
