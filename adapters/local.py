"""Items curated in Wayfinder only (links, documents, videos, live sessions), for tenants whose LMS
grants no REST access. Same protocol as the LMS adapters, over a `LocalRepository` that the app
backs with its catalog tables; `MemoryRepository` serves tests and the development launcher.

Joining a local item needs nobody's permission, except that a live session with a capacity
refuses people once it is full. Completion is whatever the repository recorded (a learner marking
a link done, a trainer signing off a session)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from adapters.base import (
    DEFAULT_PAGE_SIZE,
    AdapterError,
    Category,
    Completion,
    CompletionState,
    Course,
    Enrolment,
    EnrolmentMethod,
    EnrolmentResult,
    ErrorKind,
    ItemFormat,
    Page,
    User,
    offset_cursor,
    page_of,
)


@dataclass(frozen=True)
class LocalItem:
    id: str
    title: str
    format: ItemFormat = ItemFormat.LINK
    summary: str = ""
    url: str = ""
    category_id: str | None = None
    language: str = ""
    duration_minutes: int | None = None
    starts_at: datetime | None = None  # live sessions
    ends_at: datetime | None = None
    capacity: int | None = None  # live sessions: None means no limit
    visible: bool = True


class LocalRepository(Protocol):
    def items(self) -> Sequence[LocalItem]: ...

    def categories(self) -> Sequence[Category]: ...

    def users(self) -> Sequence[User]: ...

    def participants(self, item_id: str) -> Collection[str]: ...

    def join(self, item_id: str, user_id: str) -> None: ...

    def completed_at(self, item_id: str, user_id: str) -> datetime | None: ...


@dataclass
class MemoryRepository:
    """A LocalRepository in memory."""

    catalog: list[LocalItem] = field(default_factory=list)
    category_list: list[Category] = field(default_factory=list)
    people: list[User] = field(default_factory=list)
    joined: dict[str, set[str]] = field(default_factory=dict)
    completions: dict[tuple[str, str], datetime] = field(default_factory=dict)

    def items(self) -> Sequence[LocalItem]:
        return self.catalog

    def categories(self) -> Sequence[Category]:
        return self.category_list

    def users(self) -> Sequence[User]:
        return self.people

    def participants(self, item_id: str) -> Collection[str]:
        return self.joined.get(item_id, set())

    def join(self, item_id: str, user_id: str) -> None:
        self.joined.setdefault(item_id, set()).add(user_id)

    def completed_at(self, item_id: str, user_id: str) -> datetime | None:
        return self.completions.get((item_id, user_id))

    def mark_complete(self, item_id: str, user_id: str, when: datetime) -> None:
        self.join(item_id, user_id)
        self.completions[(item_id, user_id)] = when


class LocalAdapter:
    platform = "local"

    def __init__(self, repository: LocalRepository) -> None:
        self.repository = repository

    def __repr__(self) -> str:
        return "LocalAdapter()"

    def list_courses(self, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE) -> Page:
        offset = offset_cursor(cursor, "local list")
        return page_of(self._visible(), offset, limit)

    def search_courses(
        self, query: str, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE
    ) -> Page:
        words = query.lower().split()
        matches = [
            c for c in self._visible() if all(w in f"{c.title} {c.summary}".lower() for w in words)
        ]
        return page_of(matches, offset_cursor(cursor, "local search"), limit)

    def get_course(self, course_id: str) -> Course:
        return _course(self._item(course_id, "local get"))

    def list_categories(self) -> list[Category]:
        return list(self.repository.categories())

    def enrol(self, course_id: str, user_id: str) -> EnrolmentResult:
        item = self._item(course_id, "local enrol")
        joined = self.repository.participants(course_id)
        if user_id not in joined:
            if item.capacity is not None and len(joined) >= item.capacity:
                raise AdapterError(
                    ErrorKind.REFUSED,
                    f"local enrol {course_id}",
                    f"{item.title} is full ({item.capacity} places)",
                    "full",
                )
            self.repository.join(course_id, user_id)
        return EnrolmentResult(course_id, user_id, EnrolmentMethod.OPEN)

    def completion(self, course_id: str, user_id: str) -> Completion:
        self._item(course_id, "local completion")
        when = self.repository.completed_at(course_id, user_id)
        if when is not None:
            return Completion(course_id, user_id, CompletionState.COMPLETED, when)
        if user_id in self.repository.participants(course_id):
            return Completion(course_id, user_id, CompletionState.IN_PROGRESS)
        return Completion(course_id, user_id, CompletionState.NOT_ENROLLED)

    def find_user(self, *, user_id: str | None = None, email: str | None = None) -> User | None:
        if (user_id is None) == (email is None):
            raise ValueError("find_user takes exactly one of user_id and email")
        for user in self.repository.users():
            if user_id is not None and user.id == user_id:
                return user
            if email is not None and user.email.lower() == email.strip().lower():
                return user
        return None

    def _visible(self) -> list[Course]:
        return [_course(i) for i in self.repository.items() if i.visible]

    def _item(self, item_id: str, asked: str) -> LocalItem:
        for item in self.repository.items():
            if item.id == item_id:
                return item
        raise AdapterError(ErrorKind.NOT_FOUND, f"{asked} {item_id}", "no such item")


def _course(item: LocalItem) -> Course:
    return Course(
        id=item.id,
        title=item.title,
        summary=item.summary,
        url=item.url,
        category_id=item.category_id,
        language=item.language,
        format=item.format,
        enrolment=Enrolment.OPEN,
        duration_minutes=item.duration_minutes,
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        visible=item.visible,
    )
