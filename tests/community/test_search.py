"""Community full-text search (services.search) on the database under test: SQLite's FTS5
tables or PostgreSQL's GIN indexes. Best match first, only the newest matches ranked, hidden and
deleted content never found, another tenant's posts never visible."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from lti_tool.community import services
from lti_tool.community.models import Answer, Post, Status
from lti_tool.extensions import db
from lti_tool.lti.models import Registration, utcnow
from lti_tool.tenancy import tenant_scope


def _registration(client_id: str) -> int:
    reg = Registration(
        issuer="https://lms.example",
        client_id=client_id,
        auth_login_url="https://lms.example/auth",
        key_set_url="https://lms.example/jwks",
    )
    db.session.add(reg)
    db.session.flush()
    return reg.id


class Writer:
    """Adds posts and answers of one tenant, each a minute newer than the last."""

    def __init__(self, registration_id: int) -> None:
        self.registration_id = registration_id
        self.clock = utcnow() - timedelta(days=1)

    def _tick(self) -> Any:
        self.clock += timedelta(minutes=1)
        return self.clock

    def post(self, title: str, body: str = "", kind: str = "tip", **extra: Any) -> int:
        at = self._tick()
        row = Post(
            registration_id=self.registration_id,
            kind=kind,
            title=title,
            body_md=body,
            body_html=body,
            created_at=at,
            last_activity_at=at,
            **extra,
        )
        db.session.add(row)
        db.session.flush()
        return row.id

    def answer(self, post_id: int, body: str, **extra: Any) -> int:
        row = Answer(
            registration_id=self.registration_id,
            post_id=post_id,
            body_md=body,
            body_html=body,
            created_at=self._tick(),
            **extra,
        )
        db.session.add(row)
        db.session.flush()
        return row.id


@pytest.fixture
def tenants(clean_app: Any) -> Iterator[tuple[Writer, Writer]]:
    with clean_app.app_context():
        a, b = Writer(_registration("a")), Writer(_registration("b"))
        yield a, b
        db.session.rollback()


def found(q: str, registration_id: int, **kw: Any) -> list[str]:
    with tenant_scope(db.session, registration_id):
        return [p.title for p in services.search(q, **kw).posts]


def test_the_post_that_says_the_words_comes_first(tenants: tuple[Writer, Writer]) -> None:
    a, _ = tenants
    a.post("Refund timeline", "Refund the caller: the refund reaches the card in five days.")
    a.post("Billing basics", "A long note on invoices, plans and fees; ask for a refund form.")
    question = a.post("Money back?", "What do I say?", kind="question")
    a.answer(question, "Promise the refund date only once it is booked.")
    a.post("Router lights", "Nothing about money here.")  # newest, not a match
    titles = found("refund", a.registration_id)
    assert titles[0] == "Refund timeline"  # the words in its title and text, thrice
    assert set(titles) == {"Refund timeline", "Billing basics", "Money back?"}
    assert titles[-1] == "Money back?"  # found through its answer only
    assert found("refund timeline", a.registration_id) == ["Refund timeline"]
    assert found("REFUNDS", a.registration_id)[0] == "Refund timeline"  # stemmed, any case


def test_common_words_page_through_the_newest_matches(
    tenants: tuple[Writer, Writer], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = tenants
    for i in range(30):
        a.post(f"Caller tip {i:02}", "Greet the caller by name.")
    a.post("Modem reset", "Unplug it.")
    pages = [found("caller", a.registration_id, page=n, page_size=10) for n in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [10, 10, 10, 0]
    assert sorted(t for p in pages for t in p) == [f"Caller tip {i:02}" for i in range(30)]
    # Equal relevance: newest first, and the pages agree with each other.
    assert pages[0][0] == "Caller tip 29" and pages[2][-1] == "Caller tip 00"
    with tenant_scope(db.session, a.registration_id):
        assert services.search("caller", page=1, page_size=10).has_more
        assert not services.search("caller", page=3, page_size=10).has_more

    # Only the newest matches are ranked: with a bound of 12, the 12 newest.
    monkeypatch.setattr(services, "SEARCH_CANDIDATES", 12)
    titles = found("caller", a.registration_id, page_size=50)
    assert sorted(titles) == [f"Caller tip {i:02}" for i in range(18, 30)]


def test_a_filtered_search_is_bounded_within_the_filter(
    tenants: tuple[Writer, Writer], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = tenants
    for i in range(3):
        a.post(f"Caller question {i}", "Why does the caller hang up?", kind="question")
    for i in range(10):  # newer, and more than the bound
        a.post(f"Caller tip {i}", "Greet the caller by name.")
    monkeypatch.setattr(services, "SEARCH_CANDIDATES", 4)
    questions = found("caller", a.registration_id, kind="question")
    assert sorted(questions) == ["Caller question 0", "Caller question 1", "Caller question 2"]
    assert len(found("caller", a.registration_id, kind="tip")) == 4


def test_hidden_and_deleted_content_is_never_found(tenants: tuple[Writer, Writer]) -> None:
    a, _ = tenants
    a.post("Chargeback steps", "Open a chargeback case.")
    a.post("Chargeback secret", "Hidden by a moderator.", status=Status.HIDDEN.value)
    a.post("Chargeback draft", "Deleted by its author.", status=Status.DELETED.value)
    question = a.post("Payment question", "What now?", kind="question")
    a.answer(question, "A chargeback, said a hidden answer.", status=Status.HIDDEN.value)
    other = a.post("Card declined", "What now?", kind="question")
    a.answer(other, "A chargeback, said a deleted answer.", status=Status.DELETED.value)
    assert found("chargeback", a.registration_id) == ["Chargeback steps"]

    # Edits and removals reach the index (SQLite: the triggers; PostgreSQL: the expression).
    db.session.execute(
        update(Post).where(Post.title == "Chargeback steps").values(title="Dispute steps")
    )
    assert found("dispute", a.registration_id) == ["Dispute steps"]
    assert found("chargeback", a.registration_id) == ["Dispute steps"]  # still in its text
    db.session.execute(
        update(Post).where(Post.title == "Dispute steps").values(body_md="Call the bank.")
    )
    assert found("chargeback", a.registration_id) == []
    db.session.query(Post).filter(Post.title == "Dispute steps").delete()
    assert found("dispute", a.registration_id) == []


def test_another_tenants_posts_are_never_found(
    tenants: tuple[Writer, Writer], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = tenants
    a.post("Escalate to a supervisor", "When the caller asks twice.")
    for i in range(8):  # newer, and more of them than the bound below
        b.post(f"Escalate other {i}", "The other LMS's escalation tip.")
    question = b.post("Their question", "What now?", kind="question")
    b.answer(question, "Escalate, said the other tenant.")
    monkeypatch.setattr(services, "SEARCH_CANDIDATES", 5)
    assert found("escalate", a.registration_id) == ["Escalate to a supervisor"]
    assert len(found("escalate", b.registration_id)) == 5 + 1  # its own 5 newest + the question


@pytest.mark.parametrize("odd", ["%", "_", "a:*|!(", "'\"", "NEAR(a b)", "*", "  "])
def test_odd_words_are_taken_literally(tenants: tuple[Writer, Writer], odd: str) -> None:
    a, _ = tenants
    a.post("100% sure_thing", "Percent and underscore.")
    a.post("Refund timeline", "Tell the date.")
    titles = found(odd, a.registration_id)
    assert "Refund timeline" not in titles or odd.strip() == ""
    assert found("sure_thing", a.registration_id) == ["100% sure_thing"]
