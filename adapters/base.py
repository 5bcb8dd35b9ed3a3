"""What Wayfinder needs from a host LMS beyond LTI, as one small protocol over plain dataclasses.

Every adapter (Moodle web services, the Canvas REST API, the tool-only local catalog) implements
`LmsAdapter` and raises only `AdapterError`. Identifiers are strings everywhere: Moodle's and
Canvas's numbers become "42"; a person's id is the one that LMS's API uses (Moodle: the LTI `sub`;
Canvas: `$Canvas.user.id`)."""

from __future__ import annotations

import enum
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import NoReturn, Protocol, runtime_checkable

from adapters.http import redact

DEFAULT_PAGE_SIZE = 50


class ErrorKind(enum.StrEnum):
    AUTH = "auth"  # the token is missing, wrong, expired or revoked: an admin must act
    NOT_FOUND = "not_found"  # no such course or person
    FORBIDDEN = "forbidden"  # the token is good but may not do this
    UNAVAILABLE = "unavailable"  # no answer, a server error, maintenance, rate limits: try later
    BAD_ANSWER = "bad_answer"  # an answer this adapter cannot read
    REFUSED = "refused"  # the LMS understood and said no (no enrolment method, course full, ...)


@dataclass
class AdapterError(Exception):
    """The one error an adapter raises: what kind, what was asked, what came back (redacted)."""

    kind: ErrorKind
    asked: str
    answer: str = ""
    code: str = ""  # the LMS's own error code when it gave one (Moodle `errorcode`, HTTP status)

    def __post_init__(self) -> None:
        # Belt and braces: whatever an adapter put here, nothing credential-shaped survives.
        self.asked = redact(self.asked)
        self.answer = redact(self.answer)

    def __str__(self) -> str:
        said = f": {self.answer}" if self.answer else ""
        code = f" [{self.code}]" if self.code else ""
        return f"{self.asked} failed ({self.kind}{code}){said}"

    @property
    def retryable(self) -> bool:
        return self.kind is ErrorKind.UNAVAILABLE


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    parent_id: str | None = None
    description: str = ""
    course_count: int | None = None


class ItemFormat(enum.StrEnum):
    COURSE = "course"
    LINK = "link"
    DOCUMENT = "document"
    VIDEO = "video"
    LIVE = "live"  # a live session


class Enrolment(enum.StrEnum):
    """How a person gets into an item, as far as the LMS tells."""

    OPEN = "open"  # nothing to do (a link, a document)
    SELF = "self"  # the person may enrol themselves
    MANUAL = "manual"  # someone with rights (Wayfinder's service account, a teacher) enrols them
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Course:
    id: str
    title: str
    summary: str = ""  # plain text
    url: str = ""  # where a person opens it
    category_id: str | None = None
    short_name: str = ""
    language: str = ""  # e.g. "en", "es_mx"; empty when the LMS says nothing
    format: ItemFormat = ItemFormat.COURSE
    enrolment: Enrolment = Enrolment.UNKNOWN
    duration_minutes: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    visible: bool = True


@dataclass(frozen=True)
class Page:
    """One page of courses; pass `next_cursor` back for the next one (None: this was the last)."""

    items: tuple[Course, ...]
    next_cursor: str | None = None
    total: int | None = None


@dataclass(frozen=True)
class User:
    id: str
    name: str
    email: str = ""
    username: str = ""


class EnrolmentMethod(enum.StrEnum):
    SELF = "self"  # the person's own self-enrolment
    MANUAL = "manual"  # the service account enrolled them
    OPEN = "open"  # a local item: joining needs nobody's permission


@dataclass(frozen=True)
class EnrolmentResult:
    course_id: str
    user_id: str
    method: EnrolmentMethod


class CompletionState(enum.StrEnum):
    NOT_ENROLLED = "not_enrolled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    NOT_TRACKED = "not_tracked"  # enrolled (or unknown) but the course tracks no completion


@dataclass(frozen=True)
class Completion:
    course_id: str
    user_id: str
    state: CompletionState
    completed_at: datetime | None = None
    done: int | None = None  # requirements met, when the LMS counts them
    total: int | None = None

    @property
    def fraction(self) -> float | None:
        if self.state is CompletionState.COMPLETED:
            return 1.0
        if self.total:
            return min(1.0, (self.done or 0) / self.total)
        return None


@runtime_checkable
class LmsAdapter(Protocol):
    """A host LMS as Wayfinder sees it. Every method raises `AdapterError` for whatever the LMS
    (or the way to it) does; only a caller's own mistake (a cursor this adapter never gave)
    is a ValueError."""

    platform: str

    def list_courses(self, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE) -> Page:
        """Every course a learner could pick, one page at a time (hidden ones left out)."""
        ...

    def search_courses(
        self, query: str, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE
    ) -> Page: ...

    def get_course(self, course_id: str) -> Course:
        """The course, or AdapterError(not_found)."""
        ...

    def list_categories(self) -> list[Category]: ...

    def enrol(self, course_id: str, user_id: str) -> EnrolmentResult:
        """Enrol the person as a learner: self-enrolment where the course allows it and the
        adapter can act as that person, otherwise the service account's manual enrolment.
        Enrolling someone already enrolled succeeds and leaves one enrolment."""
        ...

    def completion(self, course_id: str, user_id: str) -> Completion: ...

    def find_user(self, *, user_id: str | None = None, email: str | None = None) -> User | None:
        """The person with this id or email, or None when the LMS knows nobody by it."""
        ...


class Unreachable:
    """An LMS adapter that cannot act at all for now (Canvas did not answer when the catalog's
    connection needed renewing): every call raises the same error, so each caller handles it
    where it handles any LMS failure, and nothing is asked with a stale token."""

    def __init__(self, platform: str, error: AdapterError) -> None:
        self.platform = platform
        self.error = error

    def __repr__(self) -> str:
        return f"Unreachable({self.platform!r}, {self.error.kind.value!r})"

    def _fail(self) -> NoReturn:
        raise AdapterError(self.error.kind, self.error.asked, self.error.answer, self.error.code)

    def list_courses(self, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE) -> Page:
        self._fail()

    def search_courses(
        self, query: str, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE
    ) -> Page:
        self._fail()

    def get_course(self, course_id: str) -> Course:
        self._fail()

    def list_categories(self) -> list[Category]:
        self._fail()

    def enrol(self, course_id: str, user_id: str) -> EnrolmentResult:
        self._fail()

    def completion(self, course_id: str, user_id: str) -> Completion:
        self._fail()

    def find_user(self, *, user_id: str | None = None, email: str | None = None) -> User | None:
        self._fail()


@dataclass(frozen=True)
class StoredToken:
    """An OAuth2 token as a TokenStore keeps it. Secrets never appear in repr."""

    access_token: str = field(repr=False)
    refresh_token: str = field(default="", repr=False)
    expires_at: float | None = None  # epoch seconds; None: does not expire
    token_type: str = "Bearer"  # noqa: S105 (a scheme name, not a secret)

    def expired(self, now: float, leeway: float = 30.0) -> bool:
        return self.expires_at is not None and now >= self.expires_at - leeway


class TokenStore(Protocol):
    """Where per-person tokens live (the app keeps them encrypted in its database)."""

    def get(self, user_id: str) -> StoredToken | None: ...

    def put(self, user_id: str, token: StoredToken) -> None: ...

    def delete(self, user_id: str) -> None: ...


class MemoryTokenStore:
    """A TokenStore in a dict: for tests and the development launcher."""

    def __init__(self, tokens: dict[str, StoredToken] | None = None) -> None:
        self.tokens: dict[str, StoredToken] = dict(tokens or {})

    def get(self, user_id: str) -> StoredToken | None:
        return self.tokens.get(user_id)

    def put(self, user_id: str, token: StoredToken) -> None:
        self.tokens[user_id] = token

    def delete(self, user_id: str) -> None:
        self.tokens.pop(user_id, None)


# Helpers the adapters share.


class _TextOnly(HTMLParser):
    BREAKS = frozenset({"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(markup: str | None) -> str:
    """HTML from an LMS (course summaries) as one line of plain text."""
    if not markup:
        return ""
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    return re.sub(r"\s+", " ", html.unescape("".join(parser.parts))).strip()


def from_epoch(value: object) -> datetime | None:
    """Moodle's timestamps: seconds, 0 meaning none."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return datetime.fromtimestamp(value, UTC)


def from_iso(value: object) -> datetime | None:
    """Canvas's timestamps: ISO 8601 strings or null."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def offset_cursor(cursor: str | None, asked: str) -> int:
    """Adapters whose LMS returns everything at once page by offset: "0", "50", ..."""
    if not cursor:
        return 0
    if not cursor.isdigit():
        # A caller's mistake, not the LMS's answer.
        raise ValueError(f"{asked}: not a cursor this adapter gave: {cursor!r}")
    return int(cursor)


def page_of(items: Iterable[Course], offset: int, limit: int) -> Page:
    everything = list(items)
    chunk = tuple(everything[offset : offset + limit])
    more = offset + limit < len(everything)
    return Page(chunk, str(offset + limit) if more else None, len(everything))
