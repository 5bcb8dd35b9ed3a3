"""Scores through the outbox to a served platform that fails for a while."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import select

from lti_tool.devlauncher.ags_platform import parse_timestamp
from lti_tool.extensions import db
from lti_tool.grades import jobs as grade_jobs
from lti_tool.grades import services
from lti_tool.grades.models import LineItem, SendState
from lti_tool.grades.sender import retry_after
from lti_tool.jobs.models import Job, JobState
from lti_tool.lti.models import utcnow
from lti_tool.people.models import Person
from lti_tool.tenancy import tenant_scope
from tests.grades.conftest import CONTEXT, Gradebook
from tests.grades.util import record, sends, sync


def final_scores(book: Gradebook) -> dict[tuple[str, str], float | None]:
    """(line item resourceId, userId) -> the score the platform holds."""
    by_number = {n: item["resourceId"] for n, item in book.platform.line_items.items()}
    return {
        (by_number[n], user): body.get("scoreGiven")
        for (n, user), body in book.platform.stored.items()
    }


def test_after_outage_every_newest_score_arrives_exactly_once(
    clean_app: Any, gradebook: Gradebook
) -> None:
    book = gradebook
    # The platform is down, then rate-limits, then is slow (stores, answers too late), then
    # fails twice more before it recovers.
    book.platform.fail_scores = [500, (429, "3"), "slow", 503, 502]
    changes = [
        ("101", "path-a", 10.0),
        ("102", "path-a", 20.0),
        ("101", "path-a", 40.0),  # replaces 10 before it was sent
        ("103", "path-b", 30.0),
        ("101", "path-b", 50.0),
        ("102", "path-a", 80.0),  # replaces 20
        ("103", "path-b", 90.0),  # replaces 30
    ]
    for sub, item, score in changes:
        assert record(clean_app, book.registration_id, book.course_id, sub, item, score) == 1
    sync(clean_app)

    newest = {(item, sub): score for sub, item, score in changes}
    assert final_scores(book) == newest
    arrivals = Counter(
        (book.platform.line_items[n]["resourceId"], b["userId"]) for n, b in book.platform.scores
    )
    assert set(arrivals.values()) == {1}, arrivals  # nothing counted twice
    assert len(book.platform.line_items) == 2  # one column per path, created once
    rows = sends(clean_app)
    states = Counter(row.state for row in rows)
    assert states == {SendState.SENT: 4, SendState.SUPERSEDED: 3}, states
    assert not [r for r in rows if r.state in (SendState.PENDING, SendState.FAILED)]
    # The slow answer's score had arrived: its re-send got 409 and counts as already there.
    assert book.platform.conflicts == 1
    assert any("already had this score" in r.last_error for r in rows)
    # One token served every call, outage or not.
    assert book.platform.token_requests == 1
    # Retry-After: 3 was honoured (on the injected clock, not by sleeping).
    assert book.clock.slept >= 3
    for _, body in book.platform.scores:
        assert body["timestamp"].endswith("+00:00") and len(body["timestamp"]) == 29
    with clean_app.app_context():
        job = db.session.scalar(select(Job).order_by(Job.id.desc()))
        assert job is not None and job.state is JobState.SUCCEEDED
        assert job.message == (
            "Sent 3 score(s) to the LMS, 1 already there. "
            "5 temporary error(s) or conflict(s) along the way."
        )


def test_scores_for_one_person_are_never_sent_twice_in_a_second(
    clean_app: Any, gradebook: Gradebook
) -> None:
    book = gradebook
    for score in (10.0, 20.0, 30.0):
        record(clean_app, book.registration_id, book.course_id, "101", "path-a", score)
        sync(clean_app)  # each sent before the next progress change, all within one second
    stamps = [parse_timestamp(b["timestamp"]) for _, b in book.platform.scores]
    assert [b["scoreGiven"] for _, b in book.platform.scores] == [10.0, 20.0, 30.0]
    seconds = [int(s.timestamp()) for s in stamps if s is not None]
    assert seconds == sorted(set(seconds)) and len(seconds) == 3  # a later second each time
    assert book.platform.conflicts == 0
    tries = sorted(r.last_try_at for r in sends(clean_app) if r.last_try_at)
    assert all(b - a >= timedelta(seconds=1) for a, b in itertools.pairwise(tries))


def test_a_score_whose_transaction_rolls_back_is_never_sent(
    clean_app: Any, gradebook: Gradebook
) -> None:
    book = gradebook
    with clean_app.app_context(), tenant_scope(db.session, book.registration_id):
        person = db.session.scalar(select(Person).where(Person.sub == "101"))
        assert person is not None
        rows = services.record_progress(
            db.session,
            person,
            "path-a",
            70.0,
            100.0,
            "Completed",
            "FullyGraded",
            course_id=book.course_id,
        )
        assert rows and rows[0].id is not None  # flushed within the transaction
        db.session.rollback()  # the caller's progress change failed
    sync(clean_app)
    assert sends(clean_app) == []
    assert book.platform.score_requests == 0 and book.platform.stored == {}


def test_409_with_a_later_score_in_the_lms_retries_with_a_later_timestamp(
    clean_app: Any, gradebook: Gradebook
) -> None:
    book = gradebook
    record(clean_app, book.registration_id, book.course_id, "101", "path-a", 10.0)
    sync(clean_app)
    number = next(iter(book.platform.line_items))
    # Someone else (another tool process, a restore) stored a score stamped 1.5 s ahead.
    ahead = book.clock.now() + timedelta(seconds=1.5)
    book.platform.stored[(number, "101")]["_at"] = ahead.replace(tzinfo=UTC).timestamp()
    book.clock.advance(1)  # our next score is stamped before that one: 409 at least once
    record(clean_app, book.registration_id, book.course_id, "101", "path-a", 60.0)
    sync(clean_app)
    assert book.platform.conflicts >= 1
    assert book.platform.stored[(number, "101")]["scoreGiven"] == 60.0
    last = sends(clean_app)[-1]
    assert last.state is SendState.SENT and last.conflicts >= 1


def test_409_forever_fails_with_a_clear_message(clean_app: Any, gradebook: Gradebook) -> None:
    book = gradebook
    record(clean_app, book.registration_id, book.course_id, "101", "path-a", 10.0)
    sync(clean_app)
    number = next(iter(book.platform.line_items))
    far = book.clock.now() + timedelta(days=1)
    book.platform.stored[(number, "101")]["_at"] = far.replace(tzinfo=UTC).timestamp()
    record(clean_app, book.registration_id, book.course_id, "101", "path-a", 60.0)
    sync(clean_app)
    last = sends(clean_app)[-1]
    assert last.state is SendState.FAILED
    assert "HTTP 409" in last.last_error and "later timestamp" in last.last_error
    assert book.platform.stored[(number, "101")]["scoreGiven"] == 10.0


def test_other_4xx_fails_at_once_keeping_the_platforms_answer(
    clean_app: Any, gradebook: Gradebook
) -> None:
    book = gradebook
    book.platform.fail_scores = [400]
    record(clean_app, book.registration_id, book.course_id, "102", "path-a", 10.0)
    sync(clean_app)
    row = sends(clean_app)[-1]
    assert row.state is SendState.FAILED and row.attempts == 1
    assert "HTTP 400" in row.last_error and "platform failure" in row.last_error
    # An admin's retry sends it (the platform is fine now); nothing is counted twice.
    with clean_app.app_context():
        services.retry_send(book.registration_id, row.id)
        db.session.commit()
        grade_jobs.dispatch_sync(book.registration_id)  # as the admin page and CLI do
    sync(clean_app)
    assert sends(clean_app)[-1].state is SendState.SENT
    assert len(book.platform.scores) == 1


def test_line_items_are_looked_up_before_one_is_created(
    clean_app: Any, gradebook: Gradebook
) -> None:
    book = gradebook
    # The LMS already has the column (made by an earlier Wayfinder install, or deep linking).
    book.platform.line_items[1] = {
        "id": book.platform.base_url + f"/ags/{CONTEXT}/lineitems/1/lineitem?type_id=7",
        "label": "Path A",
        "scoreMaximum": 100,
        "resourceId": "path-a",
        "tag": "wayfinder",
        "context": CONTEXT,
    }
    # ... and another column bound to a resource link (Moodle then drops the lineitem claim).
    book.platform.line_items[2] = {
        "id": book.platform.base_url + f"/ags/{CONTEXT}/lineitems/2/lineitem?type_id=7",
        "label": "Linked activity",
        "scoreMaximum": 10,
        "resourceLinkId": "rl-9",
        "context": CONTEXT,
    }
    with clean_app.app_context(), tenant_scope(db.session, book.registration_id):
        services.ensure_line_item(
            db.session, book.registration_id, book.course_id, "step-9", resource_link_id="rl-9"
        )
        db.session.commit()
    record(clean_app, book.registration_id, book.course_id, "101", "path-a", 10.0)
    record(clean_app, book.registration_id, book.course_id, "101", "step-9", 5.0)
    record(clean_app, book.registration_id, book.course_id, "101", "path-c", 7.0)
    sync(clean_app)
    requests_made = book.platform.lineitem_requests
    assert requests_made.count("POST") == 1  # only path-c was new
    assert any("resource_link_id=rl-9" in r for r in requests_made)
    assert any("resource_id=path-a" in r and "tag=wayfinder" in r for r in requests_made)
    assert all("type_id=7" in r for r in requests_made if r != "POST")  # Moodle's query kept
    assert requests_made.index("POST") > max(
        i for i, r in enumerate(requests_made) if "resource_id=path-c" in r
    )
    numbers = [n for n, _ in book.platform.scores]
    assert sorted(numbers) == [1, 2, 3]
    with clean_app.app_context():
        urls = dict(db.session.execute(select(LineItem.item_key, LineItem.lineitem_url)).all())
    assert urls["step-9"] == book.platform.line_items[2]["id"]


def test_revoked_token_is_refreshed_once(clean_app: Any, gradebook: Gradebook) -> None:
    book = gradebook
    record(clean_app, book.registration_id, book.course_id, "101", "path-a", 10.0)
    sync(clean_app)
    book.platform.generation += 1  # the platform forgets its tokens
    book.clock.advance(2)
    record(clean_app, book.registration_id, book.course_id, "101", "path-a", 20.0)
    sync(clean_app)
    assert book.platform.token_requests == 2
    assert sends(clean_app)[-1].state is SendState.SENT


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    from email.utils import format_datetime

    now = utcnow()
    assert retry_after("7", now) == timedelta(seconds=7)
    when = format_datetime((now + timedelta(seconds=120)).replace(tzinfo=UTC), usegmt=True)
    delay = retry_after(when, now)
    assert delay is not None and timedelta(seconds=115) < delay <= timedelta(seconds=120)
    assert retry_after("soon", now) is None and retry_after("", now) is None


def test_pending_scores_wait_for_a_follow_up_job_when_far_off(
    clean_app: Any, gradebook: Gradebook, monkeypatch: Any
) -> None:
    book = gradebook
    monkeypatch.setitem(clean_app.config, "GRADES_WAIT_IN_JOB_SECONDS", 0)
    book.platform.fail_scores = [(429, "120")]
    record(clean_app, book.registration_id, book.course_id, "101", "path-a", 10.0)
    sync(clean_app)
    row = sends(clean_app)[-1]
    assert row.state is SendState.PENDING and row.next_try_at is not None
    with clean_app.app_context():
        follow = db.session.scalar(
            select(Job).where(Job.state == JobState.QUEUED).order_by(Job.id.desc())
        )
        assert follow is not None and follow.run_at is not None
        assert follow.run_at > utcnow() + timedelta(seconds=100)
        assert "waiting; next try at" in db.session.scalar(
            select(Job.message).where(Job.state == JobState.SUCCEEDED)
        )
