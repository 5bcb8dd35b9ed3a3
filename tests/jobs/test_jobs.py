"""Jobs: recorded before they run, claimed once, retried, re-queued after a crash, on RQ too."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.jobs import registry, services
from lti_tool.jobs.models import Job, JobState
from lti_tool.lti.models import Registration, utcnow
from lti_tool.people.models import Course
from lti_tool.roster import jobs as roster_jobs
from tests.conftest import REDIS_URL
from tests.jobs.util import drain

ran_ids: list[int] = []
_lock = threading.Lock()


@registry.register("test_record", "Test: record the run")
def _record(arguments: dict[str, Any], run: registry.JobRun) -> str:
    time.sleep(arguments.get("sleep", 0))
    run.progress(1, 2)
    with _lock:
        ran_ids.append(run.job_id)
    return f"recorded {arguments.get('n')}"


@registry.register("test_fail", "Test: always fails", max_attempts=3)
def _fail(arguments: dict[str, Any], run: registry.JobRun) -> str:
    raise registry.JobFailed("The pretend LMS is down.")


@pytest.fixture(autouse=True)
def _reset() -> None:
    ran_ids.clear()


def add(app: Any, kind: str = "test_record", **arguments: Any) -> int:
    with app.app_context():
        job, created = services.enqueue(kind, arguments, registration_id=None, started_by="tester")
        assert created
        db.session.commit()
        return job.id


def get(app: Any, job_id: int) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job is not None
        db.session.expunge(job)
        return job


def test_a_job_is_recorded_before_it_runs(clean_app: Any) -> None:
    job_id = add(clean_app, n=1)
    queued = get(clean_app, job_id)
    assert queued.state is JobState.QUEUED and queued.attempts == 0
    assert queued.started_by == "tester" and queued.arguments == {"n": 1}
    assert ran_ids == []
    with clean_app.app_context():
        services.dispatch(db.session.get(Job, job_id))  # type: ignore[arg-type]
    drain(clean_app)
    done = get(clean_app, job_id)
    assert ran_ids == [job_id]
    assert done.state is JobState.SUCCEEDED and done.message == "recorded 1"
    assert (done.progress_done, done.progress_total) == (2, 2) and done.attempts == 1
    assert done.finished_at is not None


def test_unknown_kind_is_refused_when_recorded(clean_app: Any) -> None:
    with clean_app.app_context(), pytest.raises(ValueError, match="no job handler"):
        services.enqueue("no_such_kind", {}, registration_id=None)


def test_a_job_is_claimed_once(clean_app: Any) -> None:
    job_id = add(clean_app)
    with clean_app.app_context():
        assert services.claim(job_id) is True
        assert services.claim(job_id) is False


def test_two_workers_never_run_the_same_job(clean_app: Any) -> None:
    ids = [add(clean_app, n=i, sleep=0.02) for i in range(12)]
    barrier = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with clean_app.app_context():
                barrier.wait()
                counts.append(services.run_due())
                db.session.remove()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert sorted(ran_ids) == ids  # every job ran, none twice
    assert sum(counts) == 12
    assert all(get(clean_app, i).attempts == 1 for i in ids)


def test_a_crashed_running_job_is_queued_again(clean_app: Any) -> None:
    crashed = add(clean_app, n="crashed")
    alive = add(clean_app, n="alive")
    timeout = clean_app.config["JOB_TIMEOUT_SECONDS"]
    with clean_app.app_context():
        assert services.claim(crashed) and services.claim(alive)  # two workers took them...
        row = db.session.get(Job, crashed)
        assert row is not None
        row.heartbeat_at = utcnow() - timedelta(seconds=timeout + 1)  # ...one then died
        db.session.commit()
        assert services.requeue_stale() == 1
    requeued = get(clean_app, crashed)
    assert requeued.state is JobState.QUEUED and "Its worker stopped" in requeued.message
    assert get(clean_app, alive).state is JobState.RUNNING  # still heartbeating: left alone
    with clean_app.app_context():
        assert services.run_due() == 1
    done = get(clean_app, crashed)
    assert done.state is JobState.SUCCEEDED and done.attempts == 2
    assert ran_ids == [crashed]


def test_failures_are_retried_with_growing_backoff_then_given_up(clean_app: Any) -> None:
    job_id = add(clean_app, "test_fail")
    waits = []
    for attempt in (1, 2, 3):
        with clean_app.app_context():
            assert services.run_due() == 1
            row = db.session.get(Job, job_id)
            assert row is not None and row.state is JobState.FAILED
            assert row.message.startswith("The pretend LMS is down.")
            assert row.attempts == attempt
            if row.run_at is not None:
                waits.append(row.run_at - utcnow())
                assert services.run_due() == 0  # not due before the backoff passes
                row.run_at = utcnow()
                db.session.commit()
    assert len(waits) == 2 and waits[0] < waits[1]
    final = get(clean_app, job_id)
    assert final.run_at is None and final.message.endswith("Gave up after 3 attempts.")


def test_inline_mode_runs_at_once_only_outside_production(
    clean_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(clean_app.config, "JOBS_INLINE", True)
    job_id = add(clean_app, n="inline")
    with clean_app.app_context():
        assert services.mode() == "inline"
        services.dispatch(db.session.get(Job, job_id))  # type: ignore[arg-type]
    assert ran_ids == [job_id] and get(clean_app, job_id).state is JobState.SUCCEEDED
    monkeypatch.setitem(clean_app.config, "ENV", "production")
    with clean_app.app_context():
        assert services.mode() in ("rq", "worker")


@pytest.mark.skipif(not REDIS_URL, reason="needs WAYFINDER_TEST_REDIS_URL")
def test_on_rq_the_queue_carries_only_the_id_and_a_duplicate_runs_once(clean_app: Any) -> None:
    job_id = add(clean_app, n="rq")
    with clean_app.app_context():
        assert services.mode() == "rq"
        row = db.session.get(Job, job_id)
        assert row is not None
        services.dispatch(row, row)  # delivered twice
        queue = services.rq_queue()
        assert queue.count == 2
        assert [j.args for j in queue.get_jobs()] == [(job_id,), (job_id,)]
    drain(clean_app)
    assert ran_ids == [job_id]
    assert get(clean_app, job_id).state is JobState.SUCCEEDED


def _course_with_roster(app: Any) -> tuple[int, int]:
    with app.app_context():
        reg = Registration(
            issuer="https://lms.example.com",
            client_id="c",
            auth_login_url="https://lms.example.com/auth",
            key_set_url="https://lms.example.com/jwks",
        )
        db.session.add(reg)
        db.session.flush()
        course = Course(
            registration_id=reg.id, context_id="x", roster_url="https://lms.example.com/nrps"
        )
        plain = Course(registration_id=reg.id, context_id="no-roster")
        db.session.add_all([course, plain])
        db.session.commit()
        return reg.id, course.id


def test_the_schedule_enqueues_one_sync_per_course_without_duplicates(clean_app: Any) -> None:
    _reg, course_id = _course_with_roster(clean_app)
    with clean_app.app_context():
        first = roster_jobs.enqueue_periodic_syncs(60)
        db.session.commit()
        assert [j.arguments for j in first] == [{"course_id": course_id}]
        assert roster_jobs.enqueue_periodic_syncs(60) == []  # one is pending already
        assert roster_jobs.enqueue_periodic_syncs(0) == []  # switched off
        job = first[0]
        job.state, job.dedupe_key = JobState.SUCCEEDED, None
        course = db.session.get(Course, course_id)
        assert course is not None
        course.roster_synced_at = utcnow()
        db.session.commit()
        assert roster_jobs.enqueue_periodic_syncs(60) == []  # synced within the interval
        course.roster_synced_at = utcnow() - timedelta(minutes=61)
        job.created_at = utcnow() - timedelta(minutes=61)
        db.session.commit()
        again = roster_jobs.enqueue_periodic_syncs(60)
        assert len(again) == 1
        db.session.commit()
        assert len(list(db.session.scalars(select(Job)))) == 2


def test_cli_list_retry_and_run_due(clean_app: Any) -> None:
    job_id = add(clean_app, "test_fail")
    runner = clean_app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run-due"])
    assert result.exit_code == 0 and "ran 1 job(s)" in result.output
    listed = runner.invoke(args=["jobs", "list", "--state", "failed"])
    assert f"{job_id:>6}  failed" in listed.output and "The pretend LMS is down." in listed.output
    retried = runner.invoke(args=["jobs", "retry", str(job_id)])
    assert retried.exit_code == 0 and f"Job {job_id} queued again" in retried.output
    assert get(clean_app, job_id).state is JobState.QUEUED
    missing = runner.invoke(args=["jobs", "retry", "999999"])
    assert missing.exit_code != 0 and "No job 999999" in missing.output
    ok_id = add(clean_app, n="cli")
    with clean_app.app_context():
        services.dispatch(db.session.get(Job, ok_id))  # type: ignore[arg-type]
    worker = runner.invoke(args=["jobs", "worker", "--burst"])
    assert worker.exit_code == 0, worker.output
    assert get(clean_app, ok_id).state is JobState.SUCCEEDED
    schedule = runner.invoke(args=["jobs", "schedule", "--once"])
    assert schedule.exit_code == 0 and "Scheduled 0" in schedule.output


def test_a_switched_off_lms_gets_no_scheduled_syncs(clean_app: Any) -> None:
    reg_id, _course_id = _course_with_roster(clean_app)
    with clean_app.app_context():
        reg = db.session.get(Registration, reg_id)
        assert reg is not None
        reg.enabled = False
        db.session.commit()
        assert roster_jobs.enqueue_periodic_syncs(60) == []


def test_a_retry_never_overtakes_a_worker_that_claimed_the_job(clean_app: Any) -> None:
    job_id = add(clean_app)
    with clean_app.app_context():
        assert services.claim_next() == job_id
        job = db.session.get(Job, job_id)
        assert job is not None and job.state is JobState.RUNNING
        assert services.retry(job) is False  # a worker has it: left alone, not queued twice
        db.session.commit()
    assert get(clean_app, job_id).state is JobState.RUNNING
    result = clean_app.test_cli_runner().invoke(args=["jobs", "retry", str(job_id)])
    assert result.exit_code != 0 and "running" in result.output
