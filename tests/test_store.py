"""The shared store's contract, over the database and (when configured) Redis."""

from __future__ import annotations

import os

import pytest

from lti_tool.extensions import db
from lti_tool.store import DatabaseStore, RedisStore

BACKENDS = ["database"] + (["redis"] if os.environ.get("WAYFINDER_TEST_REDIS_URL") else [])


@pytest.fixture(params=BACKENDS)
def store(request, clean_app):
    with clean_app.app_context():
        if request.param == "redis":
            yield RedisStore(os.environ["WAYFINDER_TEST_REDIS_URL"], prefix="contract:")
        else:
            yield DatabaseStore()
        db.session.rollback()


def test_set_get_delete(store) -> None:
    assert store.get("k") is None
    store.set("k", {"a": [1, 2]}, 60)
    assert store.get("k") == {"a": [1, 2]}
    store.set("k", "v2", 60)
    assert store.get("k") == "v2"
    store.delete("k")
    assert store.get("k") is None


def test_add_only_once(store) -> None:
    assert store.add("nonce", 1, 60) is True
    assert store.add("nonce", 1, 60) is False


def test_pop_hands_the_value_out_once(store) -> None:
    store.set("state", {"n": 1}, 60)
    assert store.pop("state") == {"n": 1}
    assert store.pop("state") is None


def test_expired_entries_are_gone(store) -> None:
    if isinstance(store, RedisStore):
        pytest.skip("Redis expires keys itself; its TTL is not faked here")
    store.set("old", 1, -1)
    assert store.get("old") is None
    assert store.add("old", 2, 60) is True
    assert store.get("old") == 2
