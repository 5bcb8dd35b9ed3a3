"""Roster sync through NRPS against a served platform, run as a background job."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lti_tool.devlauncher.roster_platform import member
from lti_tool.extensions import db
from lti_tool.jobs.models import Job, JobState
from lti_tool.lti.models import utcnow
from lti_tool.people.models import Course, Membership, Person
from lti_tool.roster import jobs as roster_jobs
from lti_tool.tenancy import tenant_scope
from tests.jobs.util import drain
from tests.roster.conftest import CONTEXT, ServedPlatform

LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"


def roster(n: int = 7) -> list[dict[str, Any]]:
    people = [
        member("10", ["Instructor"], name="Tina Trainer", email="tina@example.com"),
        member("11", [LIS + "Learner"], name="Uma Agent", job_role="Tier 2 agent"),
        member(
            "12",
            ["Learner"],
            name="Vic Agent",
            message=[{CUSTOM: {"job_role": "Tier 1 agent"}}],
        ),
    ]
    people += [member(str(20 + i), ["Learner"], name=f"Agent {i}") for i in range(n - 3)]
    return people


def start_and_run(app: Any, served: ServedPlatform) -> Job:
    with app.app_context():
        job, _ = roster_jobs.start_sync(served.registration_id, served.course_id, started_by="test")
        db.session.commit()
        from lti_tool.jobs import services

        services.dispatch(job)
        job_id = job.id
    drain(app)
    with app.app_context():
        done = db.session.get(Job, job_id)
        assert done is not None
        db.session.expunge(done)
        return done


def memberships(app: Any, served: ServedPlatform) -> dict[str, tuple[bool, list[str], str]]:
    with app.app_context(), tenant_scope(db.session, served.registration_id):
        rows = db.session.execute(
            select(Person.sub, Membership.active, Membership.roles, Person.job_role).join(
                Membership, Membership.person_id == Person.id
            )
        )
        return {sub: (active, roles, job_role) for sub, active, roles, job_role in rows}


@pytest.fixture
def small_pages(clean_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(clean_app.config, "NRPS_PAGE_SIZE", 3)


def test_three_pages_are_followed_and_members_recorded(
    clean_app: Any, served: ServedPlatform, small_pages: None
) -> None:
    served.members[CONTEXT] = roster(7)
    job = start_and_run(clean_app, served)
    assert job.state is JobState.SUCCEEDED, job.message
    assert served.platform.member_requests == 3  # 3 + 3 + 1, linked by rel="next"
    assert (job.progress_done, job.progress_total) == (7, 7)
    assert job.message.startswith("Synced 7 members: 7 new")
    found = memberships(clean_app, served)
    assert len(found) == 7 and all(active for active, _, _ in found.values())
    assert found["10"][1] == ["instructor"]  # Moodle's short role name
    assert found["11"][1] == ["learner"]  # a full role URI
    assert found["11"][2] == "Tier 2 agent"  # job role from a member field
    assert found["12"][2] == "Tier 1 agent"  # ... or from the member's custom parameters
    with clean_app.app_context():
        course = db.session.get(Course, served.course_id)
        assert course is not None and course.roster_synced_at is not None
        tina = db.session.scalar(select(Person).where(Person.sub == "10"))
        assert tina is not None and tina.email == "tina@example.com"


def test_inactive_and_dropped_members_are_deactivated_not_deleted_and_token_reused(
    clean_app: Any, served: ServedPlatform, small_pages: None
) -> None:
    served.members[CONTEXT] = roster(7)
    assert start_and_run(clean_app, served).state is JobState.SUCCEEDED
    second = roster(7)
    second[1]["status"] = "Inactive"  # Uma left the course in the LMS
    del second[-1]  # Agent 3 is no longer listed at all
    served.members[CONTEXT] = second
    job = start_and_run(clean_app, served)
    assert job.state is JobState.SUCCEEDED, job.message
    assert "1 inactive in the LMS, 1 no longer in the course" in job.message
    found = memberships(clean_app, served)
    assert len(found) == 7  # nobody deleted
    assert found["11"][0] is False and found["23"][0] is False
    assert sum(active for active, _, _ in found.values()) == 5
    assert served.platform.token_requests == 1  # the first sync's token served the second

    served.members[CONTEXT] = roster(7)  # Uma is back
    assert start_and_run(clean_app, served).state is JobState.SUCCEEDED
    assert memberships(clean_app, served)["11"][0] is True


def test_a_revoked_token_is_refreshed_once(
    clean_app: Any, served: ServedPlatform, small_pages: None
) -> None:
    served.members[CONTEXT] = roster(4)
    assert start_and_run(clean_app, served).state is JobState.SUCCEEDED
    assert served.platform.token_requests == 1
    served.platform.generation += 1  # the platform forgets every token it issued
    job = start_and_run(clean_app, served)
    assert job.state is JobState.SUCCEEDED, job.message
    assert served.platform.token_requests == 2  # one new token, not one per page
    assert served.platform.member_requests == 2 + 1 + 2  # first page asked twice


def test_platform_error_fails_the_job_clearly_then_retries_with_backoff(
    clean_app: Any, served: ServedPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    served.members[CONTEXT] = roster(5)
    served.platform.fail_next = [500]
    # Ten minutes rather than the default 30 s: "not due yet" below must hold on a machine busy
    # enough to stall for half a minute (it happened with two test suites and a browser running).
    monkeypatch.setitem(clean_app.config, "JOB_BACKOFF_SECONDS", 600)
    before = utcnow()
    job = start_and_run(clean_app, served)
    after = utcnow()
    assert job.state is JobState.FAILED
    assert "The LMS did not hand over the roster" in job.message
    assert "HTTP 500" in job.message and "Attempt 1 of 5; retrying at" in job.message
    assert job.run_at is not None
    backoff = timedelta(seconds=600)
    assert before + backoff <= job.run_at <= after + backoff
    assert drain(clean_app) == 0  # not due yet
    assert memberships(clean_app, served) == {}
    with clean_app.app_context():
        same, dispatchable = roster_jobs.start_sync(
            served.registration_id, served.course_id, started_by="Ines"
        )
        assert same.id == job.id  # no second job while one is waiting to retry
        assert dispatchable and same.state is JobState.QUEUED  # pressing Sync retries it now
        db.session.rollback()

    with clean_app.app_context():
        row = db.session.get(Job, job.id)
        assert row is not None
        row.run_at = utcnow() - timedelta(seconds=1)  # the backoff has passed
        db.session.commit()
        from lti_tool.jobs import services

        services.schedule_tick()  # with RQ, the scheduler hands the due retry over
    drain(clean_app)
    with clean_app.app_context():
        row = db.session.get(Job, job.id)
        assert row is not None
        assert row.state is JobState.SUCCEEDED and row.attempts == 2, row.message
        assert row.dedupe_key is None
    assert len(memberships(clean_app, served)) == 5


def test_repeated_failures_give_up_with_backoff_growing(
    clean_app: Any, served: ServedPlatform
) -> None:
    from lti_tool.jobs import services

    with clean_app.app_context():
        assert services.backoff(1) < services.backoff(2) < services.backoff(3)
        job, _ = roster_jobs.start_sync(served.registration_id, served.course_id, started_by="t")
        job.max_attempts = 2
        db.session.commit()
        job_id = job.id
    served.platform.fail_next = [500, 500]
    with clean_app.app_context():
        services.run_due()
        row = db.session.get(Job, job_id)
        assert row is not None
        row.run_at = utcnow()
        db.session.commit()
        services.run_due()
        row = db.session.get(Job, job_id)
        assert row is not None and row.state is JobState.FAILED
        assert row.run_at is None and "Gave up after 2 attempts." in row.message


def test_page_cap_deactivates_nobody(
    clean_app: Any, served: ServedPlatform, small_pages: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    served.members[CONTEXT] = roster(7)
    assert start_and_run(clean_app, served).state is JobState.SUCCEEDED
    monkeypatch.setitem(clean_app.config, "NRPS_MAX_PAGES", 2)
    job = start_and_run(clean_app, served)
    assert job.state is JobState.SUCCEEDED
    assert "longer than the page limit" in job.message
    assert all(active for active, _, _ in memberships(clean_app, served).values())


def test_course_without_roster_url_fails_without_retry(
    clean_app: Any, served: ServedPlatform
) -> None:
    with clean_app.app_context():
        course = db.session.get(Course, served.course_id)
        assert course is not None
        course.roster_url = None
        db.session.commit()
    job = start_and_run(clean_app, served)
    assert job.state is JobState.FAILED and job.run_at is None
    assert "has not offered this course's roster" in job.message
    assert served.platform.token_requests == 0


def test_wrong_client_is_refused_by_the_token_endpoint(
    clean_app: Any, served: ServedPlatform
) -> None:
    with clean_app.app_context():
        from lti_tool.lti.models import Registration

        reg = db.session.get(Registration, served.registration_id)
        assert reg is not None
        reg.client_id = "someone-else"
        db.session.commit()
    served.members[CONTEXT] = roster(3)
    job = start_and_run(clean_app, served)
    assert job.state is JobState.FAILED
    assert "The LMS refused an access token" in job.message and "HTTP 401" in job.message


def test_a_job_role_from_the_roster_is_mapped_and_paths_follow_it(
    clean_app: Any, served: ServedPlatform
) -> None:
    """A new member's value and a changed value are both mapped to job roles, as a launch's
    would be: the role-changed hook fires and learning paths are (re)assigned."""
    from lti_tool.paths.models import Assignment, AssignmentStatus, Path
    from lti_tool.roles import services as roles
    from tests.paths.placing import published_path

    tier1, _ = published_path(clean_app, served.registration_id)
    tier2, _ = published_path(
        clean_app,
        served.registration_id,
        ("Escalations",),
        title="Tier 2 path",
        role="Tier 2 agent",
    )
    served.members[CONTEXT] = roster(4)

    def paths_of(sub: str) -> dict[int, str]:
        with clean_app.app_context(), tenant_scope(db.session, served.registration_id):
            rows = db.session.execute(
                select(Path.id, Assignment.status)
                .join(Assignment, Assignment.path_id == Path.id)
                .join(Person, Person.id == Assignment.person_id)
                .where(Person.sub == sub)
            )
            return {path_id: status for path_id, status in rows}

    def role_of(sub: str) -> str:
        with clean_app.app_context(), tenant_scope(db.session, served.registration_id):
            person = db.session.scalar(select(Person).where(Person.sub == sub))
            assert person is not None
            return roles.summary(person.id).effective.role_name  # type: ignore[union-attr]

    job = start_and_run(clean_app, served)
    assert job.state is JobState.SUCCEEDED and "2 job roles changed" in job.message
    # "Tier 2 agent" is an alias of the starter set's Senior agent.
    assert role_of("11") == "Senior agent" and role_of("12") == "Tier 1 agent"
    assert paths_of("12") == {tier1: AssignmentStatus.ACTIVE.value}
    assert paths_of("11") == {tier2: AssignmentStatus.ACTIVE.value}

    # Vic is promoted in the LMS: the next sync moves him to the Tier 2 path (his Tier 1
    # path, not started, is withdrawn).
    served.members[CONTEXT][2]["message"] = [{CUSTOM: {"job_role": "Tier 2 agent"}}]
    job = start_and_run(clean_app, served)
    assert job.state is JobState.SUCCEEDED and "1 job role changed" in job.message
    assert role_of("12") == "Senior agent"
    assert paths_of("12") == {
        tier1: AssignmentStatus.WITHDRAWN.value,
        tier2: AssignmentStatus.ACTIVE.value,
    }
    # Nothing changed: nothing fires again.
    job = start_and_run(clean_app, served)
    assert "changed from the LMS" not in job.message


def test_junk_in_the_roster_is_cleaned_or_skipped_not_a_failed_sync(
    clean_app: Any, served: ServedPlatform
) -> None:
    """What an LMS may put in its NRPS answer and a database cannot keep (PostgreSQL refuses
    NUL characters; columns have lengths): cleaned, cut to length, or the member skipped, and
    the rest of the roster synced."""
    nul = "\x00"
    served.members[CONTEXT] = [
        member("30", ["Learner"], name=f"Nu{nul}la Agent", email=f"nula{nul}@example.com"),
        member(f"3{nul}1", [f"Learner{nul}"], name="Zero Id", job_role=f"Tier{nul} 1 agent"),
        member("x" * 256, ["Learner"], name="Too Long Id"),  # LTI caps ids at 255
        member("33", ["Learner"], name="N" * 400, email="e" * 300 + "@example.com"),
        member("34", ["Learner"], name="Plain Agent"),
    ]
    job = start_and_run(clean_app, served)
    assert job.state is JobState.SUCCEEDED, job.message
    assert job.message.startswith("Synced 4 members: 4 new")
    found = memberships(clean_app, served)
    assert set(found) == {"30", "31", "33", "34"}
    assert found["31"][1] == ["learner"] and found["31"][2] == "Tier 1 agent"
    with clean_app.app_context(), tenant_scope(db.session, served.registration_id):
        people = {p.sub: p for p in db.session.scalars(select(Person))}
        assert people["30"].name == "Nula Agent" and people["30"].email == "nula@example.com"
        assert len(people["33"].name) == 255 and not people["33"].email  # no address cut short
