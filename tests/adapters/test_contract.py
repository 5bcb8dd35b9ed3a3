"""The adapter contract: the same questions, the same expected answers, for Moodle (served fake of
its web services), Canvas (served fake of its REST API) and the local Wayfinder-only catalog."""

from __future__ import annotations

import pytest

from adapters.base import (
    AdapterError,
    CompletionState,
    EnrolmentMethod,
    ErrorKind,
    LmsAdapter,
    Page,
)
from tests.adapters.conftest import Subject
from tests.fakes import catalog

VISIBLE_TITLES = {c.title for c in catalog.COURSES if c.visible}


def all_pages(first: Page, more: object) -> list[Page]:
    pages = [first]
    while pages[-1].next_cursor:
        pages.append(more(pages[-1].next_cursor))  # type: ignore[operator]
        assert len(pages) < 20, "the cursors never end"
    return pages


def test_every_adapter_meets_the_protocol(subject: Subject) -> None:
    assert isinstance(subject.adapter, LmsAdapter)
    assert subject.adapter.platform == subject.name


def test_listing_pages_through_every_visible_course_once(subject: Subject) -> None:
    pages = all_pages(
        subject.adapter.list_courses(limit=2),
        lambda cursor: subject.adapter.list_courses(cursor, limit=2),
    )
    titles = [c.title for p in pages for c in p.items]
    assert sorted(titles) == sorted(VISIBLE_TITLES)  # no site course, no hidden draft, no repeats
    assert all(len(p.items) <= 2 for p in pages)
    assert len(pages) == 3


def test_search_finds_by_words_and_says_when_nothing_matches(subject: Subject) -> None:
    found = subject.adapter.search_courses("difficult")
    assert [c.title for c in found.items] == ["Handling difficult calls"]
    assert found.items[0].id == subject.course("calls")
    assert subject.adapter.search_courses("astrophysics").items == ()
    # A blank query is the whole catalog.
    blank = subject.adapter.search_courses("  ", limit=50)
    assert {c.title for c in blank.items} == VISIBLE_TITLES


def test_a_course_comes_with_plain_text_summary_link_and_category(subject: Subject) -> None:
    course = subject.adapter.get_course(subject.course("calls"))
    assert course.title == "Handling difficult calls"
    assert course.summary == "Stay calm & own the call."
    assert course.url.startswith(("http://", "https://"))
    assert course.category_id == subject.categories["phone"]
    assert course.language == "en"
    assert subject.adapter.get_course(subject.course("billing")).language == "es"


def test_an_unknown_course_is_not_found(subject: Subject) -> None:
    with pytest.raises(AdapterError) as caught:
        subject.adapter.get_course(subject.unknown_course)
    assert caught.value.kind is ErrorKind.NOT_FOUND


def test_categories_keep_their_names_and_parents(subject: Subject) -> None:
    categories = {c.id: c for c in subject.adapter.list_categories()}
    names = {c.name for c in categories.values()}
    assert {"Customer care", "Products", "Phone skills"} <= names
    phone = categories[subject.categories["phone"]]
    assert phone.parent_id == subject.categories["care"]


def test_people_are_found_by_id_or_email_and_unknown_ones_are_none(subject: Subject) -> None:
    ana = subject.adapter.find_user(user_id=subject.user("ana"))
    assert ana is not None
    assert (ana.name, ana.email) == ("Ana Agent", "ana@example.com")
    ben = subject.adapter.find_user(email="ben.lead@EXAMPLE.com")
    assert ben is not None
    assert ben.id == subject.user("ben")
    assert subject.adapter.find_user(email="nobody@example.com") is None
    assert subject.adapter.find_user(user_id="424242") is None
    with pytest.raises(ValueError):
        subject.adapter.find_user()


def test_completion_tells_done_in_progress_and_not_enrolled(subject: Subject) -> None:
    done = subject.adapter.completion(subject.course("calls"), subject.user("ana"))
    assert done.state is CompletionState.COMPLETED
    assert done.completed_at == catalog.COMPLETED_AT
    assert done.fraction == 1.0

    going = subject.adapter.completion(subject.course("deesc"), subject.user("ana"))
    assert going.state is CompletionState.IN_PROGRESS
    assert going.completed_at is None

    never = subject.adapter.completion(subject.course("calls"), subject.user("ben"))
    assert never.state is CompletionState.NOT_ENROLLED


def test_enrolling_someone_shows_in_their_completion_and_is_repeatable(subject: Subject) -> None:
    course, ben = subject.course("deesc"), subject.user("ben")
    assert subject.adapter.completion(course, ben).state is CompletionState.NOT_ENROLLED
    result = subject.adapter.enrol(course, ben)
    assert (result.course_id, result.user_id) == (course, ben)
    assert result.method in set(EnrolmentMethod)
    assert subject.adapter.completion(course, ben).state is CompletionState.IN_PROGRESS
    again = subject.adapter.enrol(course, ben)
    assert again.course_id == course


def test_a_refused_enrolment_is_refused_and_changes_nothing(subject: Subject) -> None:
    course, ben = subject.course("closed"), subject.user("ben")
    with pytest.raises(AdapterError) as caught:
        subject.adapter.enrol(course, ben)
    assert caught.value.kind is ErrorKind.REFUSED
    assert subject.adapter.completion(course, ben).state is CompletionState.NOT_ENROLLED


def test_enrolling_in_an_unknown_course_is_not_found(subject: Subject) -> None:
    with pytest.raises(AdapterError) as caught:
        subject.adapter.enrol(subject.unknown_course, subject.user("ben"))
    assert caught.value.kind is ErrorKind.NOT_FOUND


def test_a_course_without_completion_tracking_says_so(subject: Subject) -> None:
    # "qa" tracks no completion (Moodle: no criteria; Canvas: no module requirements).
    qa = subject.adapter.completion(subject.course("qa"), subject.user("ana"))
    if subject.name == "local":
        # Local items always track joining and marking done.
        assert qa.state is CompletionState.IN_PROGRESS
    else:
        assert qa.state is CompletionState.NOT_TRACKED


def test_a_cursor_the_adapter_never_gave_is_a_caller_mistake(subject: Subject) -> None:
    with pytest.raises(ValueError):
        subject.adapter.list_courses("https://elsewhere.example.com/api/v1/x?page=2")
