"""How the LMS adapters fail: the same kinds of AdapterError whichever way each LMS says it
(Moodle: HTTP 200 with an errorcode; Canvas: status codes and WWW-Authenticate), never a token
in a message, retries only where a repeat is harmless."""

from __future__ import annotations

import socket

import pytest

from adapters.base import AdapterError, CompletionState, ErrorKind
from adapters.canvas import CanvasAdapter
from adapters.moodle import MoodleAdapter
from tests.adapters.conftest import Subject, quick_http
from tests.fakes.canvas import FakeCanvas
from tests.fakes.moodle import FakeMoodle


def fake_of(subject: Subject) -> FakeMoodle | FakeCanvas:
    assert isinstance(subject.fake, FakeMoodle | FakeCanvas)
    return subject.fake


def with_token(subject: Subject, token: str) -> MoodleAdapter | CanvasAdapter:
    url = str(subject.extra["url"])
    if subject.name == "moodle":
        return MoodleAdapter(url, token, http=quick_http())
    return CanvasAdapter(url, admin_token=token, account_id="1", http=quick_http())


def test_a_wrong_token_is_an_auth_error_that_never_shows_the_token(remote: Subject) -> None:
    token = "wrong-token-that-must-not-leak-123456"
    adapter = with_token(remote, token)
    with pytest.raises(AdapterError) as caught:
        adapter.list_courses()
    error = caught.value
    assert error.kind is ErrorKind.AUTH
    assert not error.retryable
    for text in (str(error), repr(error), repr(adapter), error.asked, error.answer):
        assert token not in text


def test_the_token_never_travels_in_a_url(remote: Subject) -> None:
    remote.adapter.list_courses()
    remote.adapter.completion(remote.course("calls"), remote.user("ana"))
    fake = fake_of(remote)
    token = fake.service_token if isinstance(fake, FakeMoodle) else fake.admin_token
    urls = [s.url for s in fake.seen] if isinstance(fake, FakeMoodle) else list(fake.seen)
    assert urls
    assert all(token not in url for url in urls)
    if isinstance(fake, FakeMoodle):
        assert all(s.form.get("wstoken") == token for s in fake.seen)  # in the POST body instead


def test_a_missing_permission_is_forbidden(remote: Subject) -> None:
    fake_of(remote).faults.append("forbidden")
    with pytest.raises(AdapterError) as caught:
        remote.adapter.get_course(remote.course("calls"))
    assert caught.value.kind is ErrorKind.FORBIDDEN


def test_a_passing_outage_is_retried_for_reads(remote: Subject) -> None:
    fake = fake_of(remote)
    fake.faults.append("unavailable")
    page = remote.adapter.list_courses()
    assert page.items
    assert len(fake.seen) == 2  # the 503, then the answer


def test_a_lasting_outage_is_unavailable_and_retryable(remote: Subject) -> None:
    fake_of(remote).faults.extend(["unavailable"] * 3)
    with pytest.raises(AdapterError) as caught:
        remote.adapter.get_course(remote.course("calls"))
    assert caught.value.kind is ErrorKind.UNAVAILABLE
    assert caught.value.retryable


def test_an_enrolment_is_never_sent_twice(remote: Subject) -> None:
    fake = fake_of(remote)
    course, ben = remote.course("deesc"), remote.user("ben")
    # Both send the enrolment first (Moodle's manual enrolment, Canvas's POST); it fails with 503.
    fake.faults.append("unavailable")
    with pytest.raises(AdapterError) as caught:
        remote.adapter.enrol(course, ben)
    assert caught.value.kind is ErrorKind.UNAVAILABLE
    assert len(fake.seen) == 1  # one attempt: a repeat could enrol twice
    assert remote.adapter.completion(course, ben).state is CompletionState.NOT_ENROLLED


def test_an_answer_that_is_not_json_is_a_bad_answer(remote: Subject) -> None:
    fake_of(remote).faults.append("garbage")
    with pytest.raises(AdapterError) as caught:
        remote.adapter.list_categories()
    assert caught.value.kind is ErrorKind.BAD_ANSWER


def test_an_lms_that_does_not_answer_is_unavailable(remote: Subject) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # free, and nobody listens once closed
    closed = f"http://127.0.0.1:{port}"
    adapter = (
        MoodleAdapter(closed, "tok", http=quick_http())
        if remote.name == "moodle"
        else CanvasAdapter(closed, admin_token="tok", http=quick_http())
    )
    with pytest.raises(AdapterError) as caught:
        adapter.get_course("10")
    assert caught.value.kind is ErrorKind.UNAVAILABLE
