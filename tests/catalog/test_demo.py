"""The demo as each persona sees the catalog: Ana's plan (one course enrolled, one completed,
one waiting for Ben), ratings from her role, Ben's approval, Chloe's curation and sync, Dev's
sync status; a sync from the demo LMS keeps everything curated."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.jobs import services as jobs
from lti_tool.jobs.models import Job
from tests.catalog.conftest import persona, text


def test_each_persona_sees_the_catalog(launcher: tuple[Any, str]) -> None:
    app, tool = launcher
    ana, ben, chloe, dev = (persona(tool, key) for key in ("ana", "ben", "chloe", "dev"))

    home = text(ana.get("/"))
    assert "Browse the catalog" in home and "Your plan: 1 of 3 done" in home
    plan = text(ana.get("/catalog/plan"))
    assert "Handling difficult calls Enrolled" in plan
    assert "Empathy on the phone Completed" in plan
    assert "Shadow a team lead for an afternoon Waiting for approval" in plan

    catalog = ana.get("/catalog/?sort=fit")
    words = text(catalog)
    assert "Quality scorecards" not in words  # hidden by Chloe
    assert "Recommended by trainers" in words
    assert words.count("Why this fits you:") == len(re.findall(r'class="result card', catalog.text))
    assert "(your goal)" in words  # Ana's career goal (lti_tool/devlauncher/demo_personal.py)
    calls = re.search(r'href="(/catalog/i/\d+)[^"]*">Handling difficult calls<', catalog.text)
    assert calls
    item = text(ana.get(calls.group(1)))
    assert "4.3 out of 5 from 3 people in your role (Tier 1 agent)" in item
    assert "The role plays made angry calls feel manageable." in item

    requests = text(ben.get("/catalog/requests"))
    assert "Ana Alvarez: Shadow a team lead for an afternoon" in requests

    manage = text(chloe.get("/catalog/manage"))
    assert "Last sync finished" in manage
    assert "the demo LMS" in manage
    assert "Hidden" in manage and "Needs approval" in manage

    status = text(dev.get("/catalog/manage"))
    assert "Last sync finished" in status and "12 courses" not in status
    assert "11 courses from the LMS" in status
    # Syncing again from the demo LMS keeps what Chloe curated.
    assert "Catalog sync started" in text(dev.follow(dev.post("/catalog/manage/sync")))
    with app.app_context():  # the launcher here runs no worker: run the queued sync
        job_id = db.session.scalar(
            select(Job.id).where(Job.kind == "catalog_sync", Job.state == "queued")
        )
        assert job_id is not None and jobs.run_job(job_id) is not None
    again = text(dev.get("/catalog/manage"))
    assert "0 new, 0 changed, 11 unchanged" in again
    assert "Hidden" in again
    assert "LMS access" in text(dev.get("/"))


def test_ana_has_given_the_demo_lms_her_token(launcher: tuple[Any, str]) -> None:
    _app, tool = launcher
    ana = persona(tool, "ana")
    plan = ana.get("/catalog/plan")
    assert "Your Moodle token Saved" in text(plan)
    page = ana.get("/catalog/account")
    assert page.status_code == 200 and "Remove my token" in text(page)
    assert "demo-token-for-ana" not in page.text
    refused = ana.post("/catalog/account/moodle", {"token": "abc123"})
    assert refused.status_code == 400 and "The demo LMS needs no token" in text(refused)


def test_saving_lms_access_unchanged_keeps_the_demo_lms(launcher: tuple[Any, str]) -> None:
    """The demo catalog syncs from the launcher's pretend LMS: the LMS access form shows it as
    chosen, and saving the form as it is keeps it (it used to read "None" and remove it)."""
    _app, tool = launcher
    dev = persona(tool, "dev")
    page = dev.get("/catalog/access")
    assert re.search(r"<option value=\"demo\" selected>", page.text), page.text[-3000:]
    fields = {"platform": "demo", "base_url": "", "account_id": "self", "client_id": ""}
    saved = text(dev.follow(dev.post("/catalog/access", fields)))
    assert "LMS access unchanged" in saved
    assert "No LMS access is set up" not in text(dev.get("/catalog/manage"))
    assert "the demo LMS" in text(dev.get("/catalog/manage"))
