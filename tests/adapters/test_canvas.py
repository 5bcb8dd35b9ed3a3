"""What only Canvas does: per-person OAuth2 (authorisation, code exchange, refresh before expiry and
on a 401 with WWW-Authenticate), 401 without the challenge as a permission problem, Link-header
pagination with a cap, enrolment only with an admin token."""

from __future__ import annotations

import time

import pytest
import requests

from adapters.base import (
    AdapterError,
    CompletionState,
    EnrolmentMethod,
    ErrorKind,
    MemoryTokenStore,
    StoredToken,
)
from adapters.canvas import CanvasAdapter, CanvasOAuth
from adapters.http import LinkPages
from tests.adapters.conftest import Subject, quick_http
from tests.fakes import catalog
from tests.fakes.canvas import FakeCanvas

REDIRECT = "https://wayfinder.example.com/canvas/oauth/callback"


def fake_of(subject: Subject) -> FakeCanvas:
    assert isinstance(subject.fake, FakeCanvas)
    return subject.fake


def oauth_for(canvas: Subject, store: MemoryTokenStore) -> CanvasOAuth:
    fake = fake_of(canvas)
    return CanvasOAuth(
        str(canvas.extra["url"]), fake.client_id, fake.client_secret, REDIRECT, store,
        http=quick_http(),
    )  # fmt: skip


def person_adapter(canvas: Subject, oauth: CanvasOAuth, user_key: str) -> CanvasAdapter:
    return CanvasAdapter(
        str(canvas.extra["url"]), oauth=oauth, http=quick_http(), account_id="1"
    ).as_user(canvas.user(user_key))


def connect(canvas: Subject, oauth: CanvasOAuth, state: str = "st-123") -> str:
    """Ben goes through Canvas's authorisation page; Wayfinder takes the code from the callback."""
    answer = requests.get(oauth.authorization_url(state), allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    callback = answer.headers["Location"]
    assert callback.startswith(REDIRECT)
    return oauth.code_from_callback(callback, state)


def test_the_oauth_flow_stores_the_persons_tokens_under_their_canvas_id(canvas: Subject) -> None:
    store = MemoryTokenStore()
    oauth = oauth_for(canvas, store)
    url = oauth.authorization_url("st-123")
    assert "response_type=code" in url and "state=st-123" in url
    assert fake_of(canvas).client_secret not in url
    ben = canvas.user("ben")
    assert oauth.exchange_code(connect(canvas, oauth), expected_user_id=ben) == ben
    token = store.get(ben)
    assert token is not None and token.refresh_token and token.expires_at
    assert token.access_token not in repr(token)
    # Acting as Ben with his token: his own progress and the public course index.
    adapter = person_adapter(canvas, oauth, "ben")
    assert adapter.completion(canvas.course("calls"), ben).state is CompletionState.NOT_ENROLLED
    titles = {c.title for c in adapter.search_courses("calls").items}
    assert titles == {"Handling difficult calls"}
    assert adapter.list_categories() == []  # accounts are for admins


def test_a_token_for_someone_else_than_the_launch_is_refused_and_not_kept(canvas: Subject) -> None:
    store = MemoryTokenStore()
    oauth = oauth_for(canvas, store)
    code = connect(canvas, oauth)  # Ben is logged in to Canvas in this browser...
    with pytest.raises(AdapterError) as caught:
        oauth.exchange_code(code, expected_user_id=canvas.user("ana"))  # ...but Ana launched
    assert caught.value.kind is ErrorKind.REFUSED
    assert store.tokens == {}


def test_a_callback_with_another_state_is_refused(canvas: Subject) -> None:
    oauth = oauth_for(canvas, MemoryTokenStore())
    answer = requests.get(oauth.authorization_url("mine"), allow_redirects=False, timeout=5)
    with pytest.raises(AdapterError) as caught:
        oauth.code_from_callback(answer.headers["Location"], "someone-elses")
    assert caught.value.kind is ErrorKind.REFUSED
    with pytest.raises(AdapterError):
        oauth.code_from_callback(REDIRECT + "?error=access_denied", "mine")


def test_an_expired_token_is_refreshed_before_the_call(canvas: Subject) -> None:
    fake = fake_of(canvas)
    access, refresh = fake.issue_token("ben")
    ben = canvas.user("ben")
    store = MemoryTokenStore({ben: StoredToken(access, refresh, expires_at=time.time() - 5)})
    adapter = person_adapter(canvas, oauth_for(canvas, store), "ben")
    adapter.get_course(canvas.course("calls"))
    assert fake.refreshes == 1
    renewed = store.get(ben)
    assert renewed is not None
    assert renewed.access_token != access
    assert renewed.refresh_token == refresh  # Canvas sends none on refresh: the old one stays


def test_a_token_revoked_early_is_refreshed_once_on_401(canvas: Subject) -> None:
    fake = fake_of(canvas)
    access, refresh = fake.issue_token("ben")
    ben = canvas.user("ben")
    store = MemoryTokenStore({ben: StoredToken(access, refresh, expires_at=time.time() + 3600)})
    fake.revoke(access)
    adapter = person_adapter(canvas, oauth_for(canvas, store), "ben")
    course = adapter.get_course(canvas.course("deesc"))
    assert course.title == "De-escalation basics"
    assert fake.refreshes == 1


def test_a_revoked_refresh_token_means_connecting_again(canvas: Subject) -> None:
    fake = fake_of(canvas)
    access, refresh = fake.issue_token("ben")
    ben = canvas.user("ben")
    store = MemoryTokenStore({ben: StoredToken(access, refresh, expires_at=time.time() - 5)})
    fake.revoke(refresh)
    adapter = person_adapter(canvas, oauth_for(canvas, store), "ben")
    with pytest.raises(AdapterError) as caught:
        adapter.get_course(canvas.course("calls"))
    assert caught.value.kind is ErrorKind.AUTH
    assert refresh not in str(caught.value)
    assert store.get(ben) is None  # nothing stale left to retry with
    with pytest.raises(AdapterError) as again:
        adapter.get_course(canvas.course("calls"))
    assert again.value.code == "no_token"


def test_401_without_a_challenge_is_a_permission_problem_not_a_bad_token(canvas: Subject) -> None:
    fake = fake_of(canvas)
    access, _ = fake.issue_token("ben", refresh=False)
    store = MemoryTokenStore({canvas.user("ben"): StoredToken(access)})
    adapter = person_adapter(canvas, oauth_for(canvas, store), "ben")
    with pytest.raises(AdapterError) as caught:
        adapter.find_user(email="ana@example.com")  # account users: admins only
    assert caught.value.kind is ErrorKind.FORBIDDEN
    assert fake.refreshes == 0


def test_the_rate_limit_is_unavailable_not_forbidden(canvas: Subject) -> None:
    fake_of(canvas).faults.append("rate_limit")
    with pytest.raises(AdapterError) as caught:
        canvas.adapter.get_course(canvas.course("calls"))
    assert caught.value.kind is ErrorKind.UNAVAILABLE


def test_without_an_admin_token_a_connected_person_enrols_themselves_where_canvas_allows(
    canvas: Subject,
) -> None:
    fake = fake_of(canvas)
    access, _ = fake.issue_token("ben", refresh=False)
    ben = canvas.user("ben")
    store = MemoryTokenStore({ben: StoredToken(access)})
    adapter = person_adapter(canvas, oauth_for(canvas, store), "ben")
    # A course open to self-enrolment: user_id=self with its self_enrollment_code.
    assert adapter.enrol(canvas.course("calls"), ben).method is EnrolmentMethod.SELF
    assert (int(canvas.course("calls")), int(ben)) in fake.self_enrolled
    # Not open to self-enrolment: only an admin could, and there is none.
    with pytest.raises(AdapterError) as caught:
        adapter.enrol(canvas.course("deesc"), ben)
    assert (caught.value.kind, caught.value.code) == (ErrorKind.FORBIDDEN, "no_self_enrollment")
    # Someone else than the person it acts for: forbidden, so the app can ask a leader.
    with pytest.raises(AdapterError) as caught:
        adapter.enrol(canvas.course("calls"), canvas.user("ana"))
    assert (caught.value.kind, caught.value.code) == (ErrorKind.FORBIDDEN, "no_admin_token")


def test_link_pagination_is_followed_and_capped(canvas: Subject) -> None:
    fake = fake_of(canvas)
    fake.max_per_page = 1  # as if Canvas allowed one item per page
    try:
        adapter = CanvasAdapter(
            str(canvas.extra["url"]),
            admin_token=fake.admin_token,
            account_id="1",
            http=quick_http(),
            max_pages=2,
        )
        categories = adapter.list_categories()
        assert len(categories) == 1 + 2  # the account, then two pages of sub-accounts
        assert adapter.truncated
        adapter.max_pages = 10
        assert len(adapter.list_categories()) == 1 + len(catalog.CATEGORIES)
        assert not adapter.truncated
    finally:
        fake.max_per_page = 100


def test_list_courses_cursor_is_canvass_next_link(canvas: Subject) -> None:
    first = canvas.adapter.list_courses(limit=2)
    assert first.next_cursor is not None
    assert first.next_cursor.startswith(str(canvas.extra["url"]) + "/api/v1/accounts/1/courses")
    assert fake_of(canvas).admin_token not in first.next_cursor


def test_link_pages_follows_every_next_page(canvas: Subject) -> None:
    fake = fake_of(canvas)
    url = f"{canvas.extra['url']}/api/v1/accounts/1/courses?per_page=2"
    pages = LinkPages(
        quick_http(), url, max_pages=10, headers={"Authorization": f"Bearer {fake.admin_token}"}
    )
    assert sum(len(r.json()) for r in pages) == len(
        catalog.COURSES
    )  # unpublished included: no filter asked
    assert not pages.truncated
    assert pages.pages_fetched == 3
