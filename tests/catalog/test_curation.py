"""Trainers' pages: adding local items (mistakes explained, what was typed kept), curating an
item, and who may do it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from lti_tool.catalog.models import CatalogItem
from lti_tool.extensions import db
from tests.catalog.conftest import FORBIDDEN, Session, login, text
from tests.harness import INSTRUCTOR, LEARNER, FakeLms


def test_a_local_item_with_mistakes_keeps_what_was_typed(chloe: Session, ana: Session) -> None:
    bad = chloe.post(
        "/catalog/manage/new",
        {
            "title": "Refund checklist",
            "summary": "One page.",
            "url": "intranet/refunds",
            "format": "document",
            "duration": "ten",
        },
    )
    assert bad.status_code == 400
    words = text(bad)
    assert "Give a full web address starting with https://" in words
    assert "Give a whole number from 1 to 10000" in words
    assert 'value="Refund checklist"' in bad.text and "intranet/refunds" in bad.text
    made = chloe.post(
        "/catalog/manage/new",
        {
            "title": "Refund checklist",
            "summary": "One page.",
            "url": "https://intranet.example.com/r.pdf",
            "format": "document",
            "duration": "10",
        },
    )
    assert made.status_code == 303
    curate_url = made.headers["Location"].split("?")[0]
    wrong = chloe.post(
        curate_url,
        {
            "title": "Refund checklist",
            "url": "https://intranet.example.com/r.pdf",
            "format": "document",
            "skills": ["999999"],
            "level": "7",
        },
    )
    assert wrong.status_code == 400
    assert "Choose skills from the list" in text(wrong) and "from 1 to 5" in text(wrong)
    saved = chloe.follow(
        chloe.post(
            curate_url,
            {
                "title": "Refund checklist",
                "url": "https://intranet.example.com/r.pdf",
                "format": "document",
                "level": "1",
                "featured": "1",
            },
        )
    )
    assert "The next sync keeps these choices" in text(saved)
    found = text(ana.get("/catalog/?q=refund"))
    assert "Refund checklist" in found and "Recommended by trainers" in found
    # Learners cannot reach the trainers' pages.
    assert FORBIDDEN in ana.get("/catalog/manage/new").text
    assert ana.post(curate_url).status_code == 403


def test_without_lms_access_the_sync_button_explains(
    chloe: Session, dev: Session, clean_app: Any
) -> None:
    page = text(chloe.get("/catalog/manage"))
    assert "No LMS access is set up" in page
    refused = text(chloe.follow(chloe.post("/catalog/manage/sync")))
    assert "nothing to sync" in refused
    form = dev.post("/catalog/access", {"platform": "moodle", "base_url": "not a url", "token": ""})
    assert form.status_code == 400
    assert "Give the LMS's address" in text(form) and "Paste the token" in text(form)
    assert 'value="not a url"' in form.text


def test_the_canvas_account_id_is_checked_and_kept_for_canvas_only(dev: Session) -> None:
    too_long = "9" * 10_000  # digits, as the account id is, but no column holds them
    canvas = {"platform": "canvas", "base_url": "https://canvas.example.com", "token": "t"}
    form = dev.post("/catalog/access", {**canvas, "account_id": too_long})
    assert form.status_code == 400 and "Use at most 20 characters." in text(form)
    # Moodle has no account id: whatever the field held is not kept.
    moodle = {"platform": "moodle", "base_url": "https://moodle.example.com", "token": "t"}
    saved = dev.post("/catalog/access", {**moodle, "account_id": too_long})
    assert saved.status_code == 303, saved.status_code
    assert 'name="account_id" type="text" value="self"' in dev.get("/catalog/access").text


def test_a_live_session_is_typed_and_shown_in_each_persons_time_zone(
    clean_app: Any, lms: FakeLms
) -> None:
    """Chloe's LMS says Madrid, Ana's Mexico City (seven hours behind in January); stored UTC."""
    chloe = login(
        lms, "chloe", [INSTRUCTOR], "Chloe Chen", "chloe@example.com", timezone="Europe/Madrid"
    )
    ana = login(
        lms, "ana", [LEARNER], "Ana Alvarez", "ana@example.com", timezone="America/Mexico_City"
    )
    assert "Live session: starts (Madrid time)" in text(
        chloe.get("/catalog/manage/new?format=live")
    )
    made = chloe.post(
        "/catalog/manage/new",
        {"title": "Live Q&A on refunds", "format": "live", "starts_at": "2027-01-15 10:00"},
    )
    assert made.status_code == 303
    with clean_app.app_context():
        row = db.session.scalar(select(CatalogItem).where(CatalogItem.title.like("Live Q&A%")))
        assert row is not None and row.starts_at == datetime(2027, 1, 15, 9, 0)
        pk = row.id
    assert 'value="2027-01-15 10:00"' in chloe.get(made.headers["Location"]).text
    shown = text(ana.get(f"/catalog/i/{pk}"))
    assert "Starts Friday 15 January 2027, 03:00 (Mexico City)" in shown
    assert "Starts Friday 15 January 2027, 10:00 (Madrid)" in text(chloe.get(f"/catalog/i/{pk}"))
