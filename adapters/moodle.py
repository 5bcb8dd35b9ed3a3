"""Moodle through its web services (REST protocol, JSON answers) with a service token.

How Moodle talks:
- One endpoint, `/webservice/rest/server.php`. The function and format go in the query
  (`wsfunction`, `moodlewsrestformat=json`); the token (`wstoken`) goes in the POST body, never in
  the URL, so it stays out of access logs. Moodle reads both the query and the body.
- Array parameters are flattened PHP-style: `options[ids][0]=5`, `enrolments[0][userid]=7`.
- Failures arrive as HTTP 200 with `{"exception": ..., "errorcode": ..., "message": ...}`.
- A person's id is Moodle's user id, which is also the LTI `sub`.
- `core_course_get_courses` has no paging: it returns every course (the site course included, which
  is left out here), so `list_courses` pages over one fetch kept for a minute.
  `core_course_search_courses` pages with `page` (0-based) and `perpage` and gives `total`.
- The service account enrols people with `enrol_manual_enrol_users` wherever the course has manual
  enrolment. `enrol_self_enrol_user` enrols the token's owner, so a course that allows only
  self-enrolment needs that person's own token (from `user_tokens`, checked with
  `core_webservice_get_site_info`); without one the person enrols on Moodle's own page.

The service needs these functions: core_course_get_courses, core_course_search_courses,
core_course_get_categories, core_enrol_get_course_enrolment_methods, enrol_manual_enrol_users,
enrol_self_enrol_user, core_completion_get_course_completion_status, core_user_get_users_by_field
(and, for people's own tokens, core_webservice_get_site_info, which the mobile service has).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

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
    TokenStore,
    User,
    from_epoch,
    offset_cursor,
    page_of,
    plain_text,
)
from adapters.http import HttpClient, HttpError, json_without_nul, redact

REST_PATH = "/webservice/rest/server.php"
SELF_ENROL_ONLY = "self_enrol_only"  # only the person can enrol: their token, or Moodle's page
PERSON_TOKEN = "person_token"  # noqa: S105 (a code: the person's own token was refused)
STUDENT_ROLE_ID = 5  # Moodle's default "student" role

FUNCTIONS = (
    "core_course_get_courses",
    "core_course_search_courses",
    "core_course_get_categories",
    "core_enrol_get_course_enrolment_methods",
    "enrol_manual_enrol_users",
    "enrol_self_enrol_user",
    "core_completion_get_course_completion_status",
    "core_user_get_users_by_field",
)

# Moodle error codes (from the exceptions its web services throw) and what they mean here.
ERROR_KINDS: Mapping[str, ErrorKind] = {
    "invalidtoken": ErrorKind.AUTH,
    "invalidtimedtoken": ErrorKind.AUTH,  # the token's "valid until" has passed
    "invalidiptoken": ErrorKind.AUTH,  # the token is limited to other IP addresses
    "usersuspended": ErrorKind.AUTH,
    "servicenotavailable": ErrorKind.AUTH,
    "accessexception": ErrorKind.FORBIDDEN,  # function not in the service, or WS disabled
    "nopermissions": ErrorKind.FORBIDDEN,  # a capability is missing
    "requireloginerror": ErrorKind.FORBIDDEN,
    "cannotviewreport": ErrorKind.FORBIDDEN,  # completion disabled, or cannot see it
    "accessdenied": ErrorKind.FORBIDDEN,
    "coursehidden": ErrorKind.FORBIDDEN,
    "wscannotenrol": ErrorKind.FORBIDDEN,
    "invalidrecord": ErrorKind.NOT_FOUND,
    "invalidrecordunknown": ErrorKind.NOT_FOUND,
    "invalidcourseid": ErrorKind.NOT_FOUND,
    "invaliduser": ErrorKind.NOT_FOUND,
    "invaliduserid": ErrorKind.NOT_FOUND,
    "sitemaintenance": ErrorKind.UNAVAILABLE,
    "wsnoinstance": ErrorKind.REFUSED,  # no manual enrolment in this course
    "canntenrol": ErrorKind.REFUSED,
    "maxenrolledreached": ErrorKind.REFUSED,
    "invalidparameter": ErrorKind.REFUSED,
}


class MoodleAdapter:
    platform = "moodle"

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        http: HttpClient | None = None,
        user_tokens: TokenStore | None = None,
        student_role_id: int = STUDENT_ROLE_ID,
        courses_ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.http = http or HttpClient()
        self.user_tokens = user_tokens
        self.student_role_id = student_role_id
        self.courses_ttl = courses_ttl
        self._clock = clock
        self._courses: tuple[float, list[Course]] | None = None

    def __repr__(self) -> str:
        return f"MoodleAdapter({self.base_url!r})"

    # The protocol.

    def list_courses(self, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE) -> Page:
        offset = offset_cursor(cursor, "moodle core_course_get_courses")
        if offset == 0 or self._courses is None or self._stale():
            self._courses = (self._clock(), self._fetch_all_courses())
        return page_of((c for c in self._courses[1] if c.visible), offset, limit)

    def search_courses(
        self, query: str, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE
    ) -> Page:
        if not query.strip():
            return self.list_courses(cursor, limit)
        page = offset_cursor(cursor, "moodle core_course_search_courses")
        body = self._call(
            "core_course_search_courses",
            {
                "criterianame": "search",
                "criteriavalue": query.strip(),
                "page": page,
                "perpage": limit,
            },
        )
        raw = _field(body, "courses", list, "core_course_search_courses")
        total = body.get("total") if isinstance(body.get("total"), int) else None
        courses = tuple(self._course(c) for c in raw if isinstance(c, dict))
        more = total is not None and (page + 1) * limit < total
        return Page(courses, str(page + 1) if more else None, total)

    def get_course(self, course_id: str) -> Course:
        body = self._call("core_course_get_courses", {"options": {"ids": [_int(course_id)]}})
        if not isinstance(body, list):
            raise _bad("core_course_get_courses", body)
        for raw in body:
            if isinstance(raw, dict) and str(raw.get("id")) == str(course_id):
                return self._course(raw)
        raise AdapterError(
            ErrorKind.NOT_FOUND, f"moodle core_course_get_courses id={course_id}", "no such course"
        )

    def list_categories(self) -> list[Category]:
        body = self._call("core_course_get_categories", {"addsubcategories": 1})
        if not isinstance(body, list):
            raise _bad("core_course_get_categories", body)
        return [
            Category(
                id=str(raw["id"]),
                name=plain_text(str(raw.get("name", ""))),
                parent_id=str(raw["parent"]) if raw.get("parent") else None,
                description=plain_text(str(raw.get("description") or "")),
                course_count=raw.get("coursecount")
                if isinstance(raw.get("coursecount"), int)
                else None,
            )
            for raw in body
            if isinstance(raw, dict) and "id" in raw and raw.get("visible", 1)
        ]

    def enrol(self, course_id: str, user_id: str) -> EnrolmentResult:
        """The service account enrols the person where the course has manual enrolment (most
        courses). Where it has none but allows self-enrolment, the person's own token (from
        `user_tokens`) enrols them with `enrol_self_enrol_user`; without one, the refusal
        carries code `self_enrol_only` and the course's own enrolment page in `answer`."""
        manual = self._manual_enrol(course_id, user_id)
        if manual is not None:
            return manual
        methods = self._call(
            "core_enrol_get_course_enrolment_methods", {"courseid": _int(course_id)}
        )
        if not isinstance(methods, list):
            raise _bad("core_enrol_get_course_enrolment_methods", methods)
        self_instances = [
            m
            for m in methods
            if isinstance(m, dict) and m.get("type") == "self" and _open(m.get("status"))
        ]
        if not self_instances:
            raise AdapterError(
                ErrorKind.REFUSED,
                "moodle enrol_manual_enrol_users",
                "the course has neither manual enrolment nor open self-enrolment",
                "wsnoinstance",
            )
        own = self.user_tokens.get(user_id) if self.user_tokens else None
        if own is None:
            raise AdapterError(
                ErrorKind.REFUSED,
                "moodle enrol_self_enrol_user",
                self.enrolment_page(course_id),
                SELF_ENROL_ONLY,
            )
        try:
            body = self._call(
                "enrol_self_enrol_user",
                {"courseid": _int(course_id), "instanceid": self_instances[0].get("id", 0)},
                token=own.access_token,
                read=False,
            )
        except AdapterError as exc:
            if exc.kind is ErrorKind.AUTH and self.user_tokens is not None:
                # The person's token expired or was deleted in Moodle: forget it.
                self.user_tokens.delete(user_id)
                raise AdapterError(ErrorKind.AUTH, exc.asked, exc.answer, PERSON_TOKEN) from None
            raise
        if isinstance(body, dict) and body.get("status") is True:
            return EnrolmentResult(course_id, user_id, EnrolmentMethod.SELF)
        # A key is required, or the instance closed meanwhile: only Moodle's own page can help.
        raise AdapterError(
            ErrorKind.REFUSED,
            "moodle enrol_self_enrol_user",
            self.enrolment_page(course_id),
            SELF_ENROL_ONLY,
        )

    def _manual_enrol(self, course_id: str, user_id: str) -> EnrolmentResult | None:
        """The service account's manual enrolment, or None where the course has none."""
        try:
            self._call(
                "enrol_manual_enrol_users",
                {
                    "enrolments": [
                        {
                            "roleid": self.student_role_id,
                            "userid": _int(user_id),
                            "courseid": _int(course_id),
                        }
                    ]
                },
                read=False,
            )
        except AdapterError as exc:
            if exc.code == "wsnoinstance":
                return None
            raise
        return EnrolmentResult(course_id, user_id, EnrolmentMethod.MANUAL)

    def enrolment_page(self, course_id: str) -> str:
        """Moodle's own enrolment page for a course, where a person enrols themselves."""
        return f"{self.base_url}/enrol/index.php?id={_int(course_id)}"

    def token_owner(self) -> str:
        """The Moodle user id owning this adapter's token (core_webservice_get_site_info)."""
        body = self._call("core_webservice_get_site_info", {})
        owner = body.get("userid") if isinstance(body, dict) else None
        if not isinstance(owner, int):
            raise _bad("core_webservice_get_site_info", body)
        return str(owner)

    def completion(self, course_id: str, user_id: str) -> Completion:
        try:
            body = self._call(
                "core_completion_get_course_completion_status",
                {"courseid": _int(course_id), "userid": _int(user_id)},
            )
        except AdapterError as exc:
            if exc.code in ("usernotenroled", "notenroled"):
                return Completion(course_id, user_id, CompletionState.NOT_ENROLLED)
            if exc.code == "nocriteriaset":
                return Completion(course_id, user_id, CompletionState.NOT_TRACKED)
            raise
        status = _field(
            body, "completionstatus", dict, "core_completion_get_course_completion_status"
        )
        rows = [r for r in status.get("completions") or [] if isinstance(r, dict)]
        done = sum(1 for r in rows if r.get("complete") is True)
        if status.get("completed") is True:
            times = [from_epoch(r.get("timecompleted")) for r in rows]
            when = max((t for t in times if t is not None), default=None)
            return Completion(
                course_id, user_id, CompletionState.COMPLETED, when, done, len(rows) or None
            )
        return Completion(course_id, user_id, CompletionState.IN_PROGRESS, None, done, len(rows))

    def find_user(self, *, user_id: str | None = None, email: str | None = None) -> User | None:
        if (user_id is None) == (email is None):
            raise ValueError("find_user takes exactly one of user_id and email")
        if user_id is not None and not user_id.isdigit():
            return None  # Moodle's ids are numbers: nobody has this one
        field, value = ("id", user_id) if user_id is not None else ("email", email)
        body = self._call("core_user_get_users_by_field", {"field": field, "values": [value]})
        if not isinstance(body, list):
            raise _bad("core_user_get_users_by_field", body)
        for raw in body:
            if isinstance(raw, dict) and "id" in raw:
                name = (
                    raw.get("fullname") or f"{raw.get('firstname', '')} {raw.get('lastname', '')}"
                )
                return User(
                    id=str(raw["id"]),
                    name=str(name).strip(),
                    email=str(raw.get("email") or ""),
                    username=str(raw.get("username") or ""),
                )
        return None

    # Moodle's REST protocol.

    def _call(
        self,
        function: str,
        params: Mapping[str, Any],
        *,
        token: str | None = None,
        read: bool = True,
    ) -> Any:
        secret = token if token is not None else self._token
        url = f"{self.base_url}{REST_PATH}?wsfunction={function}&moodlewsrestformat=json"
        asked = f"moodle {function}"
        try:
            response = self.http.request(
                "POST",
                url,
                data={"wstoken": secret, **flatten(params)},
                headers={"Accept": "application/json"},
                idempotent=read,
            )
        except HttpError as exc:
            raise _http_error(asked, exc, secret) from None
        try:
            body = json_without_nul(json.loads(response.text)) if response.text.strip() else None
        except ValueError:
            raise AdapterError(
                ErrorKind.BAD_ANSWER,
                asked,
                "the answer is not JSON: " + redact(response.text[:200], [secret]),
            ) from None
        if isinstance(body, dict) and body.get("exception") and "errorcode" in body:
            code = str(body.get("errorcode") or "")
            kind = ERROR_KINDS.get(code, ErrorKind.REFUSED)
            message = redact(str(body.get("message") or ""), [secret])
            raise AdapterError(kind, asked, message, code)
        return body

    def _fetch_all_courses(self) -> list[Course]:
        body = self._call("core_course_get_courses", {})
        if not isinstance(body, list):
            raise _bad("core_course_get_courses", body)
        return [
            self._course(raw)
            for raw in body
            if isinstance(raw, dict) and "id" in raw and raw.get("format") != "site"
        ]

    def _stale(self) -> bool:
        return self._courses is None or self._clock() - self._courses[0] > self.courses_ttl

    def _course(self, raw: Mapping[str, Any]) -> Course:
        if "id" not in raw:
            raise _bad("a course without an id", raw)
        methods = raw.get("enrollmentmethods")
        enrolment = Enrolment.UNKNOWN
        if isinstance(methods, list):
            if "self" in methods:
                enrolment = Enrolment.SELF
            elif methods:
                enrolment = Enrolment.MANUAL
        course_id = str(raw["id"])
        return Course(
            id=course_id,
            title=plain_text(str(raw.get("fullname") or raw.get("displayname") or "")),
            summary=plain_text(str(raw.get("summary") or "")),
            url=f"{self.base_url}/course/view.php?id={course_id}",
            category_id=str(raw["categoryid"]) if raw.get("categoryid") else None,
            short_name=str(raw.get("shortname") or ""),
            language=str(raw.get("lang") or ""),
            enrolment=enrolment,
            starts_at=from_epoch(raw.get("startdate")),
            ends_at=from_epoch(raw.get("enddate")),
            visible=bool(raw.get("visible", 1)),
        )


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Moodle's (PHP's) form encoding of nested parameters: `a[b][0]=1`."""
    out: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(flatten(value, name))
        elif isinstance(value, list | tuple):
            out.update(flatten({str(i): v for i, v in enumerate(value)}, name))
        elif isinstance(value, bool):
            out[name] = "1" if value else "0"
        elif value is not None:
            out[name] = str(value)
    return out


def _open(status: object) -> bool:
    # get_enrol_info's status is PARAM_RAW: true arrives as true or "1"; false or a reason otherwise.
    return status is True or status in ("1", 1, "true")


def _int(value: str | None) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise AdapterError(
            ErrorKind.NOT_FOUND, "moodle", f"not a Moodle id: {value!r}", "invalidid"
        ) from None


def _field(body: Any, name: str, kind: type, asked: str) -> Any:
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, kind):
        raise _bad(asked, body)
    return value


def _bad(asked: str, body: Any) -> AdapterError:
    return AdapterError(
        ErrorKind.BAD_ANSWER, f"moodle {asked}", "unexpected answer: " + json.dumps(body)[:200]
    )


def _http_error(asked: str, exc: HttpError, secret: str) -> AdapterError:
    if exc.status == 0 or exc.status >= 500 or exc.status == 429:
        kind = ErrorKind.UNAVAILABLE
    elif exc.status in (401, 403):
        kind = ErrorKind.FORBIDDEN
    else:
        # 404 and the like: no web services at this address (wrong site URL, or REST disabled).
        kind = ErrorKind.UNAVAILABLE if exc.status == 404 else ErrorKind.BAD_ANSWER
    return AdapterError(kind, asked, redact(str(exc), [secret]), str(exc.status or ""))
