"""Canvas with a developer key and no admin token.

The key lets each person connect their own Canvas account (to enrol themselves where only they
may), but the catalog sync reads the whole account's courses as a job that acts for nobody in
particular, so it needs an admin token or an administrator's connection
(tests/catalog/test_catalog_connection.py). Such a tenant is told so plainly where it saves the
access and on the curation page; no sync is started by hand or by the schedule, so Canvas is
never asked with no token and no false "your token expired" problem appears. Adding the admin
token later makes the sync run.
"""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale
from sqlalchemy import func, select

from lti_tool.catalog import jobs as catalog_jobs
from lti_tool.catalog import wording
from lti_tool.extensions import db
from lti_tool.i18n_stored import written
from lti_tool.jobs import services as jobs
from lti_tool.jobs.models import Job
from tests.catalog.conftest import Served, items
from tests.community.conftest import Session, login, text
from tests.harness import ADMIN, LEARNER, FakeLms

KEY_ONLY_NOTICE = "Canvas is set up with a developer key only."


def save_access(dev: Session, canvas: Served, token: str = "") -> Any:
    fake = canvas.fake
    return dev.post(
        "/catalog/access",
        {
            "platform": "canvas",
            "base_url": canvas.url,
            "token": token,
            "account_id": "1",
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
        },
    )


def sync_jobs(app: Any) -> int:
    with app.app_context():
        return int(
            db.session.scalar(
                select(func.count()).select_from(Job).where(Job.kind == catalog_jobs.SYNC)
            )
        )


def test_a_developer_key_alone_is_explained_and_never_synced(
    clean_app: Any, lms: FakeLms, canvas: Served
) -> None:
    tenant = int(lms.registration_id)  # type: ignore[attr-defined]
    dev = login(lms, "dev", [ADMIN], "Dev Desai", "dev@example.com")

    saved = save_access(dev, canvas)
    assert saved.status_code == 303, text(saved)[:500]
    words = text(dev.follow(saved))  # back on LMS access, where the catalog can be connected
    assert "people can now connect their own Canvas account" in words
    assert (
        "connect the catalog as a Canvas account administrator (below) or paste an admin token"
        in words
    )
    words = text(dev.get("/catalog/manage"))
    assert KEY_ONLY_NOTICE in words
    assert "Connect the catalog or add an admin token" in words
    assert "Sync catalog now" not in words
    assert "automatically once a day" not in words

    # Asking by hand (a page open from before) starts nothing.
    refused = dev.post("/catalog/manage/sync")
    assert refused.status_code == 303
    assert KEY_ONLY_NOTICE in text(dev.follow(refused))
    assert sync_jobs(clean_app) == 0

    # Nor does the schedule.
    with clean_app.app_context():
        assert catalog_jobs.enqueue_periodic_syncs(1440) == []
        db.session.commit()

    # People are still offered to connect their own Canvas account.
    ana = login(lms, "ana-sub", [LEARNER], "Ana Alvarez", "ana@example.com")
    assert "Connect your Canvas account" in text(ana.get("/catalog/account"))

    # With an admin token the schedule syncs the whole account again.
    assert save_access(dev, canvas, token=canvas.token).status_code == 303
    with clean_app.app_context():
        queued = catalog_jobs.enqueue_periodic_syncs(1440)
        db.session.commit()
        assert [j.registration_id for j in queued] == [tenant]
        done = jobs.run_job(queued[0].id)
        assert done is not None and done.state.value == "succeeded", done and done.message
    assert items(clean_app, tenant)
    words = text(dev.get("/catalog/manage"))
    assert KEY_ONLY_NOTICE not in words
    assert "Sync catalog now" in words


def test_a_sync_queued_anyway_ends_at_once_without_asking_canvas(
    clean_app: Any, lms: FakeLms, canvas: Served
) -> None:
    """Say a sync was queued before the admin token was given up (the platform switched)."""
    tenant = int(lms.registration_id)  # type: ignore[attr-defined]
    dev = login(lms, "dev", [ADMIN], "Dev Desai", "dev@example.com")
    assert save_access(dev, canvas).status_code == 303
    with clean_app.app_context():
        job, _created = catalog_jobs.start_sync(tenant, started_by="schedule")
        db.session.commit()
        finished = jobs.run_job(job.id)
        assert finished is not None
        assert finished.state.value == "failed"
        assert finished.message.startswith(written(wording.KEY_ONLY))
        assert not finished.retry_pending
    assert canvas.fake.seen == []
    words = text(dev.get("/catalog/manage"))
    assert "The LMS no longer accepts Wayfinder's token" not in words
    assert "has a problem" not in words


def test_the_reason_reads_in_the_page_language(clean_app: Any) -> None:
    with clean_app.test_request_context(), force_locale("es"):
        said = wording.shown(written(wording.KEY_ONLY))
    assert said != written(wording.KEY_ONLY)
    assert "Canvas" in said and "token" in said
