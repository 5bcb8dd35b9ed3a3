"""Canvas through its REST API (`/api/v1`), with an API developer key.

Two ways in, often both:
- an admin token (an account admin's or a service user's) for server-side work: the account's
  catalog (`accounts/:id/courses`, sub-accounts as categories), enrolments
  (`POST courses/:id/enrollments`), anyone's progress and user look-ups;
- per-person OAuth2 (`CanvasOAuth`, built on authlib): the person authorises Wayfinder once, their
  token and refresh token live in a `TokenStore`, and a token is refreshed before it expires and
  once more when Canvas answers 401 with `WWW-Authenticate` (revoked early). Such a token sees what
  the person sees: the public course index (`search/all_courses`) and their own progress.
  Enrolment needs the admin token: without one `enrol` is refused and the app asks a leader.

People are Canvas user ids, which the launch carries as `$Canvas.user.id` (LTI's `sub` is opaque).
Lists follow `Link: <...>; rel="next"` up to `max_pages`; `list_courses` hands the next link back as
its cursor. How Canvas says no: 401 with `WWW-Authenticate` is a bad or expired token, 401 without
it "user not authorized to perform that action", 403 a missing permission or the rate limit,
404 nothing there, 400/422 a refusal (e.g. a concluded course).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.oauth2.rfc6749 import OAuth2Error, OAuth2Token
from authlib.oauth2.rfc6749.parameters import (
    parse_authorization_code_response,
    prepare_grant_uri,
)

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
    Page,
    StoredToken,
    TokenStore,
    User,
    from_iso,
    plain_text,
)
from adapters.http import (
    HttpClient,
    HttpError,
    LinkPages,
    next_link,
    read_json,
    redact,
    same_site,
)

MAX_PER_PAGE = 100
PERSON_TOKEN = "person_token"  # noqa: S105 (an error code: the person must connect (again))  # Canvas caps per_page (at 100 on hosted Canvas)

# What the developer key must allow when its scopes are enforced.
SCOPES = (
    "url:GET|/api/v1/accounts/:account_id/courses",
    "url:GET|/api/v1/accounts/:account_id/sub_accounts",
    "url:GET|/api/v1/accounts/:account_id/users",
    "url:GET|/api/v1/search/all_courses",
    "url:GET|/api/v1/courses/:id",
    "url:POST|/api/v1/courses/:course_id/enrollments",  # also a person's self-enrolment
    "url:GET|/api/v1/courses/:course_id/enrollments",
    "url:GET|/api/v1/courses/:course_id/users/:user_id/progress",
    "url:GET|/api/v1/users/:id",
)


class CanvasOAuth:
    """Per-person OAuth2 with a Canvas API developer key (Canvas's `doc/api/oauth.md`):
    send the person to `authorization_url(state)`, take the code from the callback, exchange it,
    and from then on `access_token(user_id)` gives a live token, refreshing it as needed."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        store: TokenStore,
        *,
        http: HttpClient | None = None,
        scopes: tuple[str, ...] = SCOPES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.store = store
        self.http = http or HttpClient()
        self.scopes = scopes
        self._clock = clock

    def __repr__(self) -> str:
        return f"CanvasOAuth({self.base_url!r}, client_id={self.client_id!r})"

    def authorization_url(self, state: str) -> str:
        """Where to send the person (top-level window, not the LMS iframe). `state` must be a
        fresh unguessable value the app checks on the way back."""
        return str(
            prepare_grant_uri(
                f"{self.base_url}/login/oauth2/auth",
                self.client_id,
                "code",
                redirect_uri=self.redirect_uri,
                scope=" ".join(self.scopes) if self.scopes else None,
                state=state,
            )
        )

    def code_from_callback(self, callback_url: str, state: str) -> str:
        """The authorization code of Canvas's redirect back, once its state matches."""
        try:
            params = parse_authorization_code_response(callback_url, state=state)
        except OAuth2Error as exc:
            raise AdapterError(
                ErrorKind.REFUSED, "canvas oauth callback", exc.description or exc.error
            ) from None
        except KeyError:
            # No `code`: Canvas sends `error=access_denied` when the person said no.
            raise AdapterError(
                ErrorKind.REFUSED, "canvas oauth callback", "the person did not authorise Wayfinder"
            ) from None
        return str(params["code"])

    def exchange_code(self, code: str, expected_user_id: str | None = None) -> str:
        """Trade the code for tokens, store them under the Canvas user id Canvas names, and return
        that id. With `expected_user_id` (the launch's `$Canvas.user.id`), a token for anyone
        else is refused and not stored: the person logged in to Canvas as someone else."""
        body = self._token_request(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        )
        user = body.get("user")
        user_id = str(user.get("id")) if isinstance(user, dict) and user.get("id") else ""
        if not user_id:
            raise AdapterError(
                ErrorKind.BAD_ANSWER, "canvas oauth token", "the answer names no Canvas user"
            )
        if expected_user_id is not None and user_id != str(expected_user_id):
            raise AdapterError(
                ErrorKind.REFUSED,
                "canvas oauth token",
                f"Canvas authorised user {user_id}, but the launch was user {expected_user_id}",
            )
        self.store.put(user_id, self._stored(body, previous=None))
        return user_id

    def access_token(self, user_id: str, *, fresh: bool = False) -> str:
        token = self.store.get(user_id)
        if token is None:
            raise AdapterError(
                ErrorKind.AUTH,
                "canvas oauth",
                f"Canvas user {user_id} has not connected their Canvas account to Wayfinder",
                "no_token",
            )
        if fresh or token.expired(self._clock()):
            token = self.refresh(user_id, token)
        return token.access_token

    def revoke(self, user_id: str) -> bool:
        """Ask Canvas to end this person's connection (DELETE /login/oauth2/token: the access
        token and its refresh token; Canvas's `doc/api/oauth_endpoints.md`), renewing an expired
        token first so Canvas knows it. True when Canvas confirmed it or there was nothing to
        end; False when Canvas did not answer or refused. The store is left as it is: the
        caller forgets the connection either way."""
        if self.store.get(user_id) is None:
            return True
        try:
            token = self.access_token(user_id)
            self.http.request(
                "DELETE",
                f"{self.base_url}/login/oauth2/token",
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
        except (AdapterError, HttpError):
            return False
        return True

    def refresh(self, user_id: str, token: StoredToken) -> StoredToken:
        if not token.refresh_token:
            self.store.delete(user_id)
            raise AdapterError(
                ErrorKind.AUTH, "canvas oauth refresh", "the token expired and cannot be refreshed"
            )
        try:
            body = self._token_request(
                {"grant_type": "refresh_token", "refresh_token": token.refresh_token}
            )
        except AdapterError as exc:
            if exc.kind is ErrorKind.AUTH:
                # Revoked or deleted in Canvas: the person must connect again.
                self.store.delete(user_id)
            raise
        renewed = self._stored(body, previous=token)
        self.store.put(user_id, renewed)
        return renewed

    def _token_request(self, data: dict[str, str]) -> dict[str, Any]:
        url = f"{self.base_url}/login/oauth2/token"
        asked = f"canvas oauth token ({data['grant_type']})"
        secrets = [self._client_secret, *data.values()]
        try:
            response = self.http.request(
                "POST",
                url,
                data={"client_id": self.client_id, "client_secret": self._client_secret, **data},
                headers={"Accept": "application/json"},
            )
        except HttpError as exc:
            said = _canvas_message(exc.body_excerpt)
            # invalid_grant / invalid_client: a revoked refresh token, a used code, a wrong secret.
            kind = ErrorKind.AUTH if exc.status in (400, 401) else _kind_for_status(exc)
            raise AdapterError(
                kind, asked, redact(said or str(exc), secrets), str(exc.status or "")
            ) from None
        body = _json(response, asked)
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise AdapterError(ErrorKind.BAD_ANSWER, asked, "the answer has no access_token")
        return body

    def _stored(self, body: Mapping[str, Any], previous: StoredToken | None) -> StoredToken:
        token = OAuth2Token.from_dict(
            {k: body[k] for k in ("access_token", "token_type", "expires_in") if k in body}
        )
        expires_in = body.get("expires_in")
        expires_at = (
            self._clock() + float(expires_in) if isinstance(expires_in, int | float) else None
        )
        # A refresh answer carries no new refresh token: keep the one we have.
        refresh = body.get("refresh_token") or (previous.refresh_token if previous else "")
        return StoredToken(
            access_token=str(token["access_token"]),
            refresh_token=str(refresh or ""),
            expires_at=expires_at,
            token_type=str(token.get("token_type") or "Bearer"),
        )


class CanvasAdapter:
    platform = "canvas"

    def __init__(
        self,
        base_url: str,
        *,
        admin_token: str = "",
        account_id: str = "self",
        oauth: CanvasOAuth | None = None,
        acting_user: str | None = None,
        http: HttpClient | None = None,
        max_pages: int = 50,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._admin_token = admin_token
        self.account_id = account_id
        self.oauth = oauth
        self.acting_user = acting_user
        self.http = http or HttpClient()
        self.max_pages = max_pages
        self.truncated = False  # the last multi-page read stopped at max_pages

    def __repr__(self) -> str:
        return f"CanvasAdapter({self.base_url!r}, acting_user={self.acting_user!r})"

    def as_user(self, user_id: str) -> CanvasAdapter:
        """The same Canvas, acting with this person's OAuth token where no admin token serves."""
        return CanvasAdapter(
            self.base_url,
            admin_token=self._admin_token,
            account_id=self.account_id,
            oauth=self.oauth,
            acting_user=user_id,
            http=self.http,
            max_pages=self.max_pages,
        )

    @property
    def _as_admin(self) -> bool:
        return bool(self._admin_token)

    # The protocol.

    def list_courses(self, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE) -> Page:
        if cursor:
            return self._course_page(self._cursor_url(cursor), {})
        return self._course_page(*self._catalog_request(None, limit))

    def search_courses(
        self, query: str, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE
    ) -> Page:
        if not query.strip():
            return self.list_courses(cursor, limit)
        if cursor:
            return self._course_page(self._cursor_url(cursor), {})
        return self._course_page(*self._catalog_request(query.strip(), limit))

    def get_course(self, course_id: str) -> Course:
        response = self._send(
            "GET", f"courses/{_id(course_id)}", {"include[]": "public_description"}
        )
        body = _json(response, "canvas GET courses/:id")
        if not isinstance(body, dict):
            raise _bad("GET courses/:id", body)
        return self._course(body)

    def list_categories(self) -> list[Category]:
        if not self._as_admin:
            return []  # accounts are for admins; a person's token sees none
        account = _json(self._send("GET", f"accounts/{self.account_id}"), "canvas GET accounts/:id")
        categories = [self._category(account)] if isinstance(account, dict) else []
        for body in self._all_pages(
            f"accounts/{self.account_id}/sub_accounts",
            {"recursive": "true", "per_page": MAX_PER_PAGE},
        ):
            categories.extend(self._category(a) for a in body if isinstance(a, dict))
        return categories

    def enrol(self, course_id: str, user_id: str) -> EnrolmentResult:
        """The admin token enrols anyone (`enrollment[user_id]`). Where there is none, or Canvas
        refuses it, and this adapter acts for the same person with their OAuth token, the person
        enrols themselves: `enrollment[user_id]=self` with the course's self-enrolment code,
        which Canvas accepts only for a course open to self-enrolment. A person who has not
        connected (or whose token Canvas no longer accepts) gets code `person_token`."""
        if self._as_admin:
            try:
                return self._admin_enrol(course_id, user_id)
            except AdapterError as exc:
                if exc.kind is not ErrorKind.FORBIDDEN or not self._acts_for(user_id):
                    raise
        elif not self._acts_for(user_id):
            raise AdapterError(
                ErrorKind.FORBIDDEN,
                "canvas POST courses/:id/enrollments",
                "enrolling people in Canvas needs an admin token; none is configured",
                "no_admin_token",
            )
        return self._self_enrol(course_id, user_id)

    def _acts_for(self, user_id: str) -> bool:
        return self.oauth is not None and self.acting_user == str(user_id)

    def _admin_enrol(self, course_id: str, user_id: str) -> EnrolmentResult:
        response = self._send(
            "POST",
            f"courses/{_id(course_id)}/enrollments",
            data={
                "enrollment[user_id]": _id(user_id),
                "enrollment[type]": "StudentEnrollment",
                "enrollment[enrollment_state]": "active",
                "enrollment[notify]": "false",
            },
        )
        body = _json(response, "canvas POST courses/:id/enrollments")
        if not isinstance(body, dict) or "id" not in body:
            raise _bad("POST courses/:id/enrollments", body)
        return EnrolmentResult(course_id, user_id, EnrolmentMethod.MANUAL)

    def _self_enrol(self, course_id: str, user_id: str) -> EnrolmentResult:
        asked = "canvas POST courses/:id/enrollments (self)"
        course = _json(
            self._send("GET", f"courses/{_id(course_id)}", person=True), "canvas GET courses/:id"
        )
        code = course.get("self_enrollment_code") if isinstance(course, dict) else None
        if not code or not (course.get("self_enrollment") or course.get("open_enrollment")):
            raise AdapterError(
                ErrorKind.FORBIDDEN,
                asked,
                "this course is not open to self-enrolment, and no admin token may enrol people",
                "no_self_enrollment",
            )
        response = self._send(
            "POST",
            f"courses/{_id(course_id)}/enrollments",
            data={
                "enrollment[user_id]": "self",
                "enrollment[self_enrollment_code]": str(code),
                "enrollment[type]": "StudentEnrollment",
            },
            person=True,
        )
        body = _json(response, asked)
        if not isinstance(body, dict) or "id" not in body:
            raise _bad("POST courses/:id/enrollments", body)
        return EnrolmentResult(course_id, user_id, EnrolmentMethod.SELF)

    def completion(self, course_id: str, user_id: str) -> Completion:
        try:
            response = self._send("GET", f"courses/{_id(course_id)}/users/{_id(user_id)}/progress")
        except AdapterError as exc:
            if exc.code != "400":
                raise
            # "no progress available because this course is not module based ... or the user
            # is not enrolled as a student": an enrolment look-up tells the two apart.
            return Completion(course_id, user_id, self._unprogressed_state(course_id, user_id))
        body = _json(response, "canvas GET courses/:id/users/:id/progress")
        if not isinstance(body, dict):
            raise _bad("GET progress", body)
        total = body.get("requirement_count")
        done = body.get("requirement_completed_count")
        total = total if isinstance(total, int) else None
        done = done if isinstance(done, int) else None
        completed_at = from_iso(body.get("completed_at"))
        if completed_at is not None:
            return Completion(
                course_id, user_id, CompletionState.COMPLETED, completed_at, done, total
            )
        return Completion(course_id, user_id, CompletionState.IN_PROGRESS, None, done, total)

    def find_user(self, *, user_id: str | None = None, email: str | None = None) -> User | None:
        if (user_id is None) == (email is None):
            raise ValueError("find_user takes exactly one of user_id and email")
        if user_id is not None:
            if not user_id.isdigit():
                return None
            try:
                body = _json(self._send("GET", f"users/{user_id}"), "canvas GET users/:id")
            except AdapterError as exc:
                if exc.kind is ErrorKind.NOT_FOUND:
                    return None
                raise
            return self._user(body) if isinstance(body, dict) else None
        wanted = (email or "").strip().lower()
        for body in self._all_pages(
            f"accounts/{self.account_id}/users",
            {"search_term": wanted, "include[]": "email", "per_page": MAX_PER_PAGE},
        ):
            for raw in body:
                if not isinstance(raw, dict):
                    continue
                found = {str(raw.get(k) or "").lower() for k in ("email", "login_id")}
                if wanted in found:
                    return self._user(raw)
        return None

    # Canvas's REST API.

    def _catalog_request(self, query: str | None, limit: int) -> tuple[str, dict[str, Any]]:
        per_page = max(1, min(limit, MAX_PER_PAGE))
        if self._as_admin:
            params: dict[str, Any] = {
                "per_page": per_page,
                "published": "true",
                "include[]": "public_description",
            }
            if query:
                params["search_term"] = query
            return f"accounts/{self.account_id}/courses", params
        # A person's token: the courses in the account's public index.
        params = {"per_page": per_page}
        if query:
            params["search"] = query
        return "search/all_courses", params

    def _course_page(self, path: str, params: Mapping[str, Any]) -> Page:
        response = self._send("GET", path, params)
        body = _json(response, "canvas GET courses")
        if not isinstance(body, list):
            raise _bad("GET courses", body)
        items = tuple(self._course(c.get("course", c)) for c in body if isinstance(c, dict))
        following = next_link(response)
        if following and not same_site(following, self.base_url):
            following = None
        return Page(items, following)

    def _cursor_url(self, cursor: str) -> str:
        if not same_site(cursor, self.base_url) or "/api/v1/" not in cursor:
            raise ValueError("not a cursor this adapter gave")
        return cursor

    def _all_pages(self, path: str, params: Mapping[str, Any]) -> list[list[Any]]:
        # The query goes in the first URL: later pages' links carry their own.
        first = f"{self._url(path)}?{urlencode(params, doseq=True)}"
        pages = LinkPages(
            self.http, first, max_pages=self.max_pages, headers=self._headers(self._token())
        )
        bodies: list[list[Any]] = []
        try:
            for response in pages:
                body = _json(response, f"canvas GET {path}")
                if not isinstance(body, list):
                    raise _bad(f"GET {path}", body)
                bodies.append(body)
        except HttpError as exc:
            raise self._error("GET", path, exc, personal=not self._as_admin) from None
        self.truncated = pages.truncated
        return bodies

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        data: Mapping[str, str] | None = None,
        person: bool = False,
    ) -> requests.Response:
        """One call with the right token: the admin's when there is one (unless `person`), else
        the acting person's, refreshed once if Canvas says it is no longer valid."""
        url = self._url(path)
        personal = person or not self._as_admin
        for retry in (False, True):
            token = self._person_token(retry) if person else self._token(fresh=retry)
            try:
                return self.http.request(
                    method, url, params=params, data=data, headers=self._headers(token)
                )
            except HttpError as exc:
                if not retry and _token_rejected(exc) and personal and self._can_refresh:
                    continue
                error = self._error(method, path, exc, personal=personal)
                if personal and error.kind is ErrorKind.AUTH and self.acting_user is not None:
                    # Even a fresh token is refused: revoked in Canvas. Ask to connect again.
                    if self.oauth is not None:
                        self.oauth.store.delete(self.acting_user)
                    error = AdapterError(error.kind, error.asked, error.answer, PERSON_TOKEN)
                raise error from None
        raise AssertionError("unreachable")

    def _person_token(self, fresh: bool) -> str:
        """The acting person's live token. Its AdapterErrors ask `canvas oauth`: the person has
        not connected (`no_token`), or Canvas refused the refresh (the token was deleted)."""
        if self.oauth is None or self.acting_user is None:
            raise AdapterError(ErrorKind.AUTH, "canvas oauth", "no person to act for", "no_token")
        return self.oauth.access_token(self.acting_user, fresh=fresh)

    @property
    def _can_refresh(self) -> bool:
        return self.oauth is not None and self.acting_user is not None

    @property
    def _refreshable(self) -> bool:
        return not self._as_admin and self._can_refresh

    def _token(self, fresh: bool = False) -> str:
        if self._admin_token:
            return self._admin_token
        if self.oauth is not None and self.acting_user is not None:
            return self._person_token(fresh)
        raise AdapterError(
            ErrorKind.AUTH,
            "canvas",
            "no Canvas token: configure an admin token, or act as a person who connected Canvas",
            "no_token",
        )

    def _headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}/api/v1/{path}"

    def _error(
        self, method: str, path: str, exc: HttpError, personal: bool = False
    ) -> AdapterError:
        asked = f"canvas {method} {path.replace(self.base_url, '')}"
        said = _canvas_message(exc.body_excerpt) or exc.reason
        if exc.status == 401 and _token_rejected(exc):
            kind = ErrorKind.AUTH
            if personal and self._can_refresh:
                said = f"Canvas no longer accepts the token of user {self.acting_user}: {said}"
        elif exc.status == 401:
            kind = ErrorKind.FORBIDDEN  # Canvas: "user not authorized to perform that action"
        elif exc.status == 403 and "rate limit" in exc.body_excerpt.lower():
            kind = ErrorKind.UNAVAILABLE
        else:
            kind = _kind_for_status(exc)
        return AdapterError(kind, asked, redact(said, self._secrets()), str(exc.status or ""))

    def _secrets(self) -> list[str]:
        return [self._admin_token]

    def _unprogressed_state(self, course_id: str, user_id: str) -> CompletionState:
        response = self._send(
            "GET",
            f"courses/{_id(course_id)}/enrollments",
            {"user_id": _id(user_id), "type[]": "StudentEnrollment"},
        )
        body = _json(response, "canvas GET courses/:id/enrollments")
        if isinstance(body, list) and body:
            return CompletionState.NOT_TRACKED
        return CompletionState.NOT_ENROLLED

    def _course(self, raw: Mapping[str, Any]) -> Course:
        if "id" not in raw:
            raise _bad("a course without an id", raw)
        course_id = str(raw["id"])
        if raw.get("self_enrollment") or raw.get("open_enrollment"):
            enrolment = Enrolment.SELF
        else:
            enrolment = Enrolment.MANUAL
        state = raw.get("workflow_state")
        return Course(
            id=course_id,
            title=str(raw.get("name") or ""),
            summary=plain_text(str(raw.get("public_description") or "")),
            url=f"{self.base_url}/courses/{course_id}",
            category_id=str(raw["account_id"]) if raw.get("account_id") else None,
            short_name=str(raw.get("course_code") or ""),
            language=str(raw.get("locale") or ""),
            enrolment=enrolment,
            starts_at=from_iso(raw.get("start_at")),
            ends_at=from_iso(raw.get("end_at")),
            visible=state in (None, "available"),
        )

    @staticmethod
    def _category(raw: Mapping[str, Any]) -> Category:
        parent = raw.get("parent_account_id")
        return Category(
            id=str(raw.get("id")),
            name=str(raw.get("name") or ""),
            parent_id=str(parent) if parent else None,
        )

    @staticmethod
    def _user(raw: Mapping[str, Any]) -> User:
        return User(
            id=str(raw.get("id")),
            name=str(raw.get("name") or raw.get("short_name") or ""),
            email=str(raw.get("email") or ""),
            username=str(raw.get("login_id") or ""),
        )


def _token_rejected(exc: HttpError) -> bool:
    """Canvas's invalid or expired token: 401 with a WWW-Authenticate challenge."""
    return exc.status == 401 and any(k.lower() == "www-authenticate" for k in exc.headers)


def _kind_for_status(exc: HttpError) -> ErrorKind:
    if exc.status == 0 or exc.status >= 500 or exc.status == 429:
        return ErrorKind.UNAVAILABLE
    if exc.status == 404:
        return ErrorKind.NOT_FOUND
    if exc.status in (401, 403):
        return ErrorKind.FORBIDDEN
    if exc.status in (400, 409, 422):
        return ErrorKind.REFUSED
    return ErrorKind.BAD_ANSWER


def _canvas_message(body: str) -> str:
    """Canvas's error bodies: {"errors": [{"message"}]}, {"errors": {field: [...]}}, {"message"},
    {"error": {"message"}} or {"error": "...", "error_description": "..."} (OAuth)."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    errors = data.get("errors")
    if isinstance(errors, list):
        return "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict))
    if isinstance(errors, dict):
        return "; ".join(f"{k}: {v}" for k, v in errors.items())
    error = data.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or "")
    if data.get("error_description") or error:
        return str(data.get("error_description") or error)
    return str(data.get("message") or "")


def _json(response: requests.Response, asked: str) -> Any:
    try:
        return read_json(response)
    except ValueError:
        raise AdapterError(
            ErrorKind.BAD_ANSWER, asked, "the answer is not JSON: " + redact(response.text[:200])
        ) from None


def _bad(asked: str, body: Any) -> AdapterError:
    return AdapterError(
        ErrorKind.BAD_ANSWER, f"canvas {asked}", "unexpected answer: " + json.dumps(body)[:200]
    )


def _id(value: str) -> str:
    """Canvas ids in a path: digits (or `sis_...:` forms we never use) only."""
    if not str(value).isdigit():
        raise AdapterError(
            ErrorKind.NOT_FOUND, "canvas", f"not a Canvas id: {value!r}", "invalidid"
        )
    return str(value)
