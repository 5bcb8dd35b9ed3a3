"""What only Moodle does: errors as HTTP 200 with an errorcode, search paging by page/perpage,
self-enrolment acting as the person (their own token), PHP-style nested parameters."""

from __future__ import annotations

import pytest

from adapters.base import AdapterError, EnrolmentMethod, ErrorKind, MemoryTokenStore, StoredToken
from adapters.moodle import MoodleAdapter, flatten
from tests.adapters.conftest import Subject, quick_http
from tests.fakes import catalog
from tests.fakes.moodle import FakeMoodle


def fake_of(subject: Subject) -> FakeMoodle:
    assert isinstance(subject.fake, FakeMoodle)
    return subject.fake


@pytest.mark.parametrize(
    ("fault", "kind", "code"),
    [
        ("maintenance", ErrorKind.UNAVAILABLE, "sitemaintenance"),
        ("forbidden", ErrorKind.FORBIDDEN, "nopermissions"),
    ],
)
def test_errors_arriving_as_http_200_are_errors(
    moodle: Subject, fault: str, kind: ErrorKind, code: str
) -> None:
    fake_of(moodle).faults.append(fault)
    with pytest.raises(AdapterError) as caught:
        moodle.adapter.list_categories()
    assert (caught.value.kind, caught.value.code) == (kind, code)


def test_an_expired_service_token_is_an_auth_error(moodle: Subject) -> None:
    token = "expired-" + fake_of(moodle).service_token
    adapter = MoodleAdapter(str(moodle.extra["url"]), token, http=quick_http())
    with pytest.raises(AdapterError) as caught:
        adapter.get_course(moodle.course("calls"))
    assert (caught.value.kind, caught.value.code) == (ErrorKind.AUTH, "invalidtimedtoken")
    assert token not in str(caught.value)


def test_a_function_missing_from_the_service_is_forbidden_and_named(moodle: Subject) -> None:
    fake_of(moodle).functions.discard("core_completion_get_course_completion_status")
    with pytest.raises(AdapterError) as caught:
        moodle.adapter.completion(moodle.course("calls"), moodle.user("ana"))
    assert caught.value.kind is ErrorKind.FORBIDDEN
    assert "core_completion_get_course_completion_status" in str(caught.value)


def test_search_pages_with_page_and_perpage_and_reports_the_total(moodle: Subject) -> None:
    fake = fake_of(moodle)
    fake.courses = catalog.many_courses(7)
    fake.__post_init__()  # ids for the larger catalog
    try:
        first = moodle.adapter.search_courses("extra course", limit=3)
        assert first.total == 7
        assert [c.title for c in first.items] == [f"Extra course {i:05d}" for i in range(3)]
        assert first.next_cursor == "1"
        last = moodle.adapter.search_courses("extra course", "2", limit=3)
        assert [c.title for c in last.items] == ["Extra course 00006"]
        assert last.next_cursor is None
        sent = fake.seen[-1].form
        assert (sent["page"], sent["perpage"], sent["criterianame"]) == ("2", "3", "search")
    finally:
        fake.courses = catalog.COURSES
        fake.__post_init__()


def test_list_courses_fetches_once_and_pages_from_memory(moodle: Subject) -> None:
    fake = fake_of(moodle)
    page = moodle.adapter.list_courses(limit=2)
    while page.next_cursor:
        page = moodle.adapter.list_courses(page.next_cursor, limit=2)
    assert len(fake.seen) == 1  # core_course_get_courses has no paging: one call serves all


def test_search_results_say_how_people_enrol(moodle: Subject) -> None:
    (calls,) = moodle.adapter.search_courses("difficult").items
    (deesc,) = moodle.adapter.search_courses("escalation").items
    assert calls.enrolment.value == "self"
    assert deesc.enrolment.value == "manual"


def test_self_enrolment_uses_the_persons_own_token_where_the_course_allows_only_that(
    moodle: Subject,
) -> None:
    fake = fake_of(moodle)
    ben, calls = moodle.user("ben"), moodle.course("calls")
    fake.no_manual.add(int(calls))  # "calls" allows self-enrolment and has no manual enrolment
    fake.user_tokens["benowntoken"] = int(ben)
    tokens = MemoryTokenStore({ben: StoredToken("benowntoken")})
    adapter = MoodleAdapter(
        str(moodle.extra["url"]), fake.service_token, http=quick_http(), user_tokens=tokens
    )
    assert adapter.enrol(calls, ben).method is EnrolmentMethod.SELF
    assert fake.enrol_methods[(int(calls), int(ben))] == "self"
    # Where the service account may enrol manually, it does, token or not.
    assert adapter.enrol(moodle.course("deesc"), ben).method is EnrolmentMethod.MANUAL
    assert fake.enrol_methods[(int(moodle.course("deesc")), int(ben))] == "manual"
    # Without her own token, a self-enrolment-only course sends her to Moodle's own page.
    with pytest.raises(AdapterError) as caught:
        moodle.adapter.enrol(calls, moodle.user("ana"))
    assert caught.value.code == "self_enrol_only"
    assert caught.value.answer == f"{moodle.extra['url']}/enrol/index.php?id={calls}"
    assert (int(calls), int(moodle.user("ana"))) not in fake.enrol_methods
    # A token Moodle no longer accepts is forgotten, and the person is told.
    fake.user_tokens.clear()
    with pytest.raises(AdapterError) as caught:
        adapter.enrol(calls, moodle.user("ben"))
    assert (caught.value.kind, caught.value.code) == (ErrorKind.AUTH, "person_token")
    assert tokens.get(ben) is None


def test_a_persons_token_names_its_owner(moodle: Subject) -> None:
    fake = fake_of(moodle)
    fake.user_tokens["anatoken"] = int(moodle.user("ana"))
    own = MoodleAdapter(str(moodle.extra["url"]), "anatoken", http=quick_http())
    assert own.token_owner() == moodle.user("ana")


def test_nested_parameters_are_flattened_the_php_way() -> None:
    assert flatten(
        {"enrolments": [{"roleid": 5, "userid": 7, "suspend": False}], "options": {"ids": [3]}}
    ) == {
        "enrolments[0][roleid]": "5",
        "enrolments[0][userid]": "7",
        "enrolments[0][suspend]": "0",
        "options[ids][0]": "3",
    }
