"""The fakes served over loopback, and one `Subject` per adapter: the adapter plus how that LMS
names the shared catalog's courses and people, so the contract asks every adapter the same."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from adapters.base import Category, LmsAdapter, User, plain_text
from adapters.canvas import CanvasAdapter
from adapters.http import HttpClient
from adapters.local import LocalAdapter, LocalItem, MemoryRepository
from adapters.moodle import MoodleAdapter
from tests.fakes import catalog
from tests.fakes.canvas import FakeCanvas
from tests.fakes.moodle import FakeMoodle
from tests.harness import ServerThread


@dataclass
class Served:
    fake: FakeMoodle | FakeCanvas
    url: str
    server: ServerThread


@dataclass
class Subject:
    name: str
    adapter: LmsAdapter
    courses: dict[str, str]  # catalog key -> this LMS's id
    users: dict[str, str]
    categories: dict[str, str]
    unknown_course: str
    fake: FakeMoodle | FakeCanvas | MemoryRepository
    extra: dict[str, object] = field(default_factory=dict)

    def course(self, key: str) -> str:
        return self.courses[key]

    def user(self, key: str) -> str:
        return self.users[key]


def quick_http() -> HttpClient:
    return HttpClient(timeout=5, retries=2, backoff=0)


@pytest.fixture(scope="module")
def moodle_served() -> Iterator[Served]:
    fake = FakeMoodle()
    server = ServerThread(fake.app())
    yield Served(fake, f"http://127.0.0.1:{server.port}", server)
    server.stop()


@pytest.fixture(scope="module")
def canvas_served() -> Iterator[Served]:
    fake = FakeCanvas()
    server = ServerThread(fake.app())
    yield Served(fake, f"http://127.0.0.1:{server.port}", server)
    server.stop()


@pytest.fixture
def moodle(moodle_served: Served) -> Subject:
    fake = moodle_served.fake
    assert isinstance(fake, FakeMoodle)
    fake.reset()
    adapter = MoodleAdapter(moodle_served.url, fake.service_token, http=quick_http())
    return Subject(
        "moodle",
        adapter,
        {k: str(v) for k, v in fake.course_ids.items()},
        {k: str(v) for k, v in fake.user_ids.items()},
        {k: str(v) for k, v in fake.category_ids.items()},
        "99999",
        fake,
        {"url": moodle_served.url},
    )


@pytest.fixture
def canvas(canvas_served: Served) -> Subject:
    fake = canvas_served.fake
    assert isinstance(fake, FakeCanvas)
    fake.reset()
    adapter = CanvasAdapter(
        canvas_served.url, admin_token=fake.admin_token, account_id="1", http=quick_http()
    )
    return Subject(
        "canvas",
        adapter,
        {k: str(v) for k, v in fake.course_ids.items()},
        {k: str(v) for k, v in fake.user_ids.items()},
        {k: str(v) for k, v in fake.account_ids.items()},
        "99999",
        fake,
        {"url": canvas_served.url},
    )


def local_repository() -> MemoryRepository:
    """The shared catalog as items a trainer curated in Wayfinder."""
    ids = {c.key: f"item-{c.key}" for c in catalog.COURSES}
    repo = MemoryRepository(
        catalog=[
            LocalItem(
                id=ids[c.key],
                title=c.title,
                summary=plain_text(c.summary_html),
                url=f"https://intranet.example.com/learn/{c.key}",
                category_id=f"cat-{c.category}",
                language=c.language,
                capacity=0 if c.refuses else None,
                visible=c.visible,
            )
            for c in catalog.COURSES
        ],
        category_list=[
            Category(f"cat-{c.key}", c.name, f"cat-{c.parent}" if c.parent else None)
            for c in catalog.CATEGORIES
        ],
        people=[User(f"person-{u.key}", u.name, u.email, u.username) for u in catalog.USERS],
    )
    for (course_key, user_key), when in catalog.ENROLMENTS.items():
        if when is None:
            repo.join(ids[course_key], f"person-{user_key}")
        else:
            repo.mark_complete(ids[course_key], f"person-{user_key}", when)
    return repo


@pytest.fixture
def local() -> Subject:
    repo = local_repository()
    return Subject(
        "local",
        LocalAdapter(repo),
        {c.key: f"item-{c.key}" for c in catalog.COURSES},
        {u.key: f"person-{u.key}" for u in catalog.USERS},
        {c.key: f"cat-{c.key}" for c in catalog.CATEGORIES},
        "item-nothing",
        repo,
    )


@pytest.fixture(params=["moodle", "canvas", "local"])
def subject(request: pytest.FixtureRequest) -> Subject:
    """Each adapter in turn: the contract's assertions run over all three."""
    value = request.getfixturevalue(request.param)
    assert isinstance(value, Subject)
    return value


@pytest.fixture(params=["moodle", "canvas"])
def remote(request: pytest.FixtureRequest) -> Subject:
    """The adapters that talk to an LMS over HTTP."""
    value = request.getfixturevalue(request.param)
    assert isinstance(value, Subject)
    return value
