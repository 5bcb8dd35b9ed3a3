"""A served fake of Canvas's REST API and OAuth2 endpoints, shaped after instructure/canvas-lms
`doc/api` (oauth.md, oauth_endpoints.md, and the controllers' API docs for courses, accounts,
search, enrollments, users and course progress).

What it reproduces: Bearer tokens; 401 with `WWW-Authenticate: Bearer realm="canvas-lms"` for a
bad, expired or revoked token and 401 *without* it for "user not authorized to perform that
action"; 404 `{"errors": [{"message": ...}]}`; a concluded course refusing enrolments with 400;
`Link` headers (`current`, `next`, `first`, `last`) with `page`/`per_page` (capped, as Canvas caps at
100); the OAuth2 web flow (code, then tokens lasting an hour, refresh answers without a new
refresh token); course progress answering 400 when it has nothing to say."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, redirect, request

from tests.fakes import catalog

ROOT_ACCOUNT = 1
NO_PROGRESS = (
    "no progress available because this course is not module based (has modules and module "
    "completion requirements) or the user is not enrolled as a student in this course"
)


@dataclass
class FakeCanvas:
    admin_token: str = "canvas-admin-token-0123456789abcdef"
    client_id: str = "10000000000042"
    client_secret: str = "canvas-client-secret-0123456789"
    courses: tuple[catalog.SeedCourse, ...] = catalog.COURSES
    max_per_page: int = 100
    browser_user: str = "ben"  # who is logged in to Canvas when the OAuth dialog opens
    faults: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    tokens: dict[str, int] = field(default_factory=dict)  # access token -> user id
    refresh_tokens: dict[str, int] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    refreshes: int = 0
    revoked: int = 0  # connections ended with DELETE /login/oauth2/token
    paired: dict[str, str] = field(default_factory=dict)  # access token -> its refresh token
    enrolled: dict[tuple[int, int], datetime | None] = field(default_factory=dict)
    self_enrolled: set[tuple[int, int]] = field(default_factory=set)
    deny: bool = False  # the person clicks "Cancel" on Canvas's authorise page
    admin_may_enrol: bool = True  # False: the admin token lacks the enrolment permission
    # Users who administer the account: their OAuth tokens have the admin token's rights.
    admin_users: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.account_ids = {c.key: 2 + i for i, c in enumerate(catalog.CATEGORIES)}
        self.course_ids = {c.key: 101 + i for i, c in enumerate(self.courses)}
        self.user_ids = {u.key: 501 + i for i, u in enumerate(catalog.USERS)}
        self.reset()

    def reset(self) -> None:
        for bucket in (
            self.faults,
            self.seen,
            self.tokens,
            self.refresh_tokens,
            self.codes,
            self.paired,
        ):
            bucket.clear()
        self.refreshes = self.revoked = 0
        self.deny = False
        self.admin_may_enrol = True
        self.admin_users = set()
        self.self_enrolled = set()
        self.enrolled = {
            (self.course_ids[c], self.user_ids[u]): when
            for (c, u), when in catalog.ENROLMENTS.items()
        }

    def issue_token(self, user_key: str, refresh: bool = True) -> tuple[str, str]:
        """An access token (and refresh token) for a person, as the OAuth flow would give."""
        uid = self.user_ids[user_key]
        access, refresh_token = "acc-" + secrets.token_hex(8), "ref-" + secrets.token_hex(8)
        self.tokens[access] = uid
        if refresh:
            self.refresh_tokens[refresh_token] = uid
        return access, refresh_token

    def join_code(self, course_key: str) -> str:
        return f"JOIN{self.course_ids[course_key]}"

    def revoke(self, token: str) -> None:
        self.tokens.pop(token, None)
        self.refresh_tokens.pop(token, None)

    def app(self) -> Flask:
        app = Flask("fake_canvas")
        fake = self

        @app.before_request
        def faults() -> Response | None:
            fake.seen.append(request.url)
            if request.path == "/login/oauth2/token" and fake.faults[:1] == ["oauth_down"]:
                fake.faults.pop(0)
                return Response("<html>Service Unavailable</html>", status=503)
            if not request.path.startswith("/api/") or not fake.faults:
                return None
            fault = fake.faults.pop(0)
            if fault == "unavailable":
                return Response("<html>Service Unavailable</html>", status=503)
            if fault == "garbage":
                return Response("<html>Canvas is down for maintenance</html>", status=200)
            if fault == "rate_limit":
                return Response("403 Forbidden (Rate Limit Exceeded)", status=403)
            if fault == "forbidden":
                return _unauthorized()
            return None

        @app.get("/login/oauth2/auth")
        def authorize() -> Any:
            args = request.args
            if args.get("client_id") != fake.client_id or args.get("response_type") != "code":
                return Response("unknown client", status=400)
            state = {"state": args["state"]} if "state" in args else {}
            if fake.deny:
                # oauth.md: "If the user denies access, the redirect has error=access_denied".
                query: dict[str, str] = {"error": "access_denied", **state}
                return redirect(f"{args['redirect_uri']}?{urlencode(query)}")
            code = "code-" + secrets.token_hex(6)
            fake.codes[code] = fake.user_ids[fake.browser_user]
            query = {"code": code, **state}
            return redirect(f"{args['redirect_uri']}?{urlencode(query)}")

        @app.post("/login/oauth2/token")
        def token() -> Any:
            form = request.form
            if (
                form.get("client_id") != fake.client_id
                or form.get("client_secret") != fake.client_secret
            ):
                return jsonify(error="invalid_client", error_description="unknown client"), 401
            grant = form.get("grant_type")
            if grant == "authorization_code":
                uid = fake.codes.pop(form.get("code", ""), None)
                if uid is None:
                    return jsonify(
                        error="invalid_grant", error_description="authorization_code not found"
                    ), 400
                access, refresh_token = "acc-" + secrets.token_hex(8), "ref-" + secrets.token_hex(8)
                fake.tokens[access] = uid
                fake.refresh_tokens[refresh_token] = uid
                fake.paired[access] = refresh_token
                return jsonify(
                    access_token=access,
                    token_type="Bearer",
                    user=fake._user_json(uid, brief=True),
                    refresh_token=refresh_token,
                    expires_in=3600,
                    canvas_region="none",
                )
            if grant == "refresh_token":
                uid = fake.refresh_tokens.get(form.get("refresh_token", ""))
                if uid is None:
                    return jsonify(
                        error="invalid_grant", error_description="refresh_token not found"
                    ), 400
                fake.refreshes += 1
                access = "acc-" + secrets.token_hex(8)
                fake.tokens[access] = uid
                fake.paired[access] = form.get("refresh_token", "")
                # Canvas's refresh answer carries no new refresh token.
                return jsonify(
                    access_token=access,
                    token_type="Bearer",
                    user=fake._user_json(uid, brief=True),
                    expires_in=3600,
                )
            return jsonify(error="unsupported_grant_type"), 400

        @app.delete("/login/oauth2/token")
        def logout() -> Any:
            # One Canvas access token record holds both tokens: ending it ends both.
            header = request.headers.get("Authorization", "")
            token = header[7:] if header.startswith("Bearer ") else ""
            if token not in fake.tokens:
                return _invalid_token()
            refresh = fake.paired.pop(token, "")
            fake.refresh_tokens.pop(refresh, None)
            for other in [a for a, r in fake.paired.items() if r == refresh] + [token]:
                fake.tokens.pop(other, None)
                fake.paired.pop(other, None)
            fake.revoked += 1
            return jsonify({})

        def caller() -> int | str | None:
            header = request.headers.get("Authorization", "")
            token = header[7:] if header.startswith("Bearer ") else ""
            if token == fake.admin_token:
                return "admin"
            uid = fake.tokens.get(token)
            return "admin" if uid is not None and uid in fake.admin_users else uid

        @app.get("/api/v1/accounts/<int:account>")
        def account(account: int) -> Any:
            who = caller()
            if who is None:
                return _invalid_token()
            if who != "admin":
                return _unauthorized()
            if account != ROOT_ACCOUNT:
                return _not_found()
            return jsonify(fake._account_json(None))

        @app.get("/api/v1/accounts/<int:account>/sub_accounts")
        def sub_accounts(account: int) -> Any:
            who = caller()
            if who is None:
                return _invalid_token()
            if who != "admin":
                return _unauthorized()
            return fake._paged([fake._account_json(c) for c in catalog.CATEGORIES])

        @app.get("/api/v1/accounts/<int:account>/courses")
        def account_courses(account: int) -> Any:
            who = caller()
            if who is None:
                return _invalid_token()
            if who != "admin":
                return _unauthorized()
            term = request.args.get("search_term", "").lower()
            rows = [
                fake._course_json(c)
                for c in fake.courses
                if (c.visible or request.args.get("published") != "true")
                and (not term or term in c.title.lower() or term in c.key)
            ]
            return fake._paged(rows)

        @app.get("/api/v1/search/all_courses")
        def all_courses() -> Any:
            if caller() is None:
                return _invalid_token()
            term = request.args.get("search", "").lower()
            rows = [
                {
                    **fake._course_json(c),
                    "self_enrollment": c.self_enrol,
                    "open_enrollment": c.self_enrol,
                }
                for c in fake.courses
                if c.visible and (not term or term in c.title.lower())
            ]
            return fake._paged(rows)

        @app.get("/api/v1/courses/<int:course_id>")
        def course(course_id: int) -> Any:
            if caller() is None:
                return _invalid_token()
            seed = fake._seed(course_id)
            if seed is None:
                return _not_found()
            body = fake._course_json(seed)
            if seed.self_enrol:
                # A course open to self-enrolment shows its join code (Course.self_enrollment_code).
                body.update(self_enrollment=True, self_enrollment_code=fake.join_code(seed.key))
            return jsonify(body)

        @app.post("/api/v1/courses/<int:course_id>/enrollments")
        def enrol(course_id: int) -> Any:
            who = caller()
            if who is None:
                return _invalid_token()
            seed = fake._seed(course_id)
            if who != "admin":
                # enrollments_api#create: someone who may not manage enrolments can still enrol
                # themselves with user_id=self and the course's self_enrollment_code.
                code = request.form.get("enrollment[self_enrollment_code]")
                if request.form.get("enrollment[user_id]") != "self" or not code:
                    return _unauthorized()
                if seed is None:
                    return _not_found()
                if not seed.self_enrol or code != fake.join_code(seed.key):
                    return jsonify(errors=[{"message": "self_enrollment_code is invalid"}]), 400
                fake.enrolled.setdefault((course_id, int(who)), None)
                fake.self_enrolled.add((course_id, int(who)))
                return jsonify(fake._enrollment_json(course_id, int(who)))
            if not fake.admin_may_enrol:
                return _unauthorized()
            if seed is None:
                return _not_found()
            if seed.refuses:
                return jsonify(message="Can't add an enrollment to a concluded course."), 400
            uid = int(request.form.get("enrollment[user_id]", "0"))
            if uid not in fake.user_ids.values():
                return _not_found()
            if request.form.get("enrollment[type]") != "StudentEnrollment":
                return jsonify(errors={"type": [{"message": "invalid"}]}), 400
            fake.enrolled.setdefault((course_id, uid), None)
            return jsonify(fake._enrollment_json(course_id, uid))

        @app.get("/api/v1/courses/<int:course_id>/enrollments")
        def enrollments(course_id: int) -> Any:
            who = caller()
            if who is None:
                return _invalid_token()
            uid = request.args.get("user_id")
            if who != "admin" and str(who) != uid:
                return _unauthorized()
            rows = [
                fake._enrollment_json(c, u)
                for (c, u) in fake.enrolled
                if c == course_id and (uid is None or str(u) == uid)
            ]
            return fake._paged(rows)

        @app.get("/api/v1/courses/<int:course_id>/users/<user>/progress")
        def progress(course_id: int, user: str) -> Any:
            who = caller()
            if who is None:
                return _invalid_token()
            uid = who if user == "self" else int(user)
            if who != "admin" and who != uid:
                return _unauthorized()
            seed = fake._seed(course_id)
            if seed is None:
                return _not_found()
            if (course_id, uid) not in fake.enrolled or not seed.tracked:
                return jsonify(error={"message": NO_PROGRESS}), 400
            when = fake.enrolled[(course_id, uid)]
            started = any(
                (fake.course_ids[c], fake.user_ids[u]) == (course_id, uid)
                for (c, u) in catalog.ENROLMENTS
            )
            done = catalog.REQUIREMENTS if when else (1 if started else 0)
            return jsonify(
                requirement_count=catalog.REQUIREMENTS,
                requirement_completed_count=done,
                next_requirement_url=None
                if when
                else f"{request.host_url}courses/{course_id}/modules/items/1",
                completed_at=when.isoformat().replace("+00:00", "Z") if when else None,
            )

        @app.get("/api/v1/users/<user>")
        def user(user: str) -> Any:
            who = caller()
            if who is None:
                return _invalid_token()
            uid = who if user == "self" else int(user)
            if who != "admin" and who != uid:
                return _unauthorized()
            if uid not in fake.user_ids.values():
                return _not_found()
            return jsonify(fake._user_json(int(uid)))

        @app.get("/api/v1/accounts/<int:account>/users")
        def account_users(account: int) -> Any:
            who = caller()
            if who is None:
                return _invalid_token()
            if who != "admin":
                return _unauthorized()
            term = request.args.get("search_term", "").lower()
            if term and len(term) < 2:
                return jsonify(errors=[{"message": "2 or more characters is required"}]), 400
            rows = [fake._user_json(uid) for uid in fake.user_ids.values()]
            rows = [
                r
                for r in rows
                if not term or term in r["name"].lower() or term in r["email"].lower()
            ]
            return fake._paged(rows)

        return app

    # Shapes.

    def _seed(self, course_id: int) -> catalog.SeedCourse | None:
        return next((c for c in self.courses if self.course_ids[c.key] == course_id), None)

    def _course_json(self, c: catalog.SeedCourse) -> dict[str, Any]:
        return {
            "id": self.course_ids[c.key],
            "name": c.title,
            "course_code": c.key.upper(),
            "workflow_state": "available" if c.visible else "unpublished",
            "account_id": self.account_ids[c.category],
            "root_account_id": ROOT_ACCOUNT,
            "public_description": c.summary_html,
            "locale": c.language,
            "start_at": "2024-01-01T00:00:00Z",
            "end_at": None,
            "is_public": False,
            "default_view": "modules",
            "enrollment_term_id": 1,
            "uuid": f"uuid-{c.key}",
            "course_format": "online",
        }

    def _account_json(self, c: catalog.SeedCategory | None) -> dict[str, Any]:
        if c is None:
            return {
                "id": ROOT_ACCOUNT,
                "name": "Acme Contact Center",
                "parent_account_id": None,
                "root_account_id": None,
                "workflow_state": "active",
            }
        parent = self.account_ids[c.parent] if c.parent else ROOT_ACCOUNT
        return {
            "id": self.account_ids[c.key],
            "name": c.name,
            "parent_account_id": parent,
            "root_account_id": ROOT_ACCOUNT,
            "workflow_state": "active",
        }

    def _user_json(self, uid: int, brief: bool = False) -> dict[str, Any]:
        u = next(x for x in catalog.USERS if self.user_ids[x.key] == uid)
        if brief:
            return {"id": uid, "name": u.name}
        return {
            "id": uid,
            "name": u.name,
            "sortable_name": ", ".join(reversed(u.name.split(" ", 1))),
            "short_name": u.name.split()[0],
            "login_id": u.username,
            "email": u.email,
        }

    def _enrollment_json(self, course_id: int, uid: int) -> dict[str, Any]:
        return {
            "id": course_id * 1000 + uid,
            "course_id": course_id,
            "user_id": uid,
            "type": "StudentEnrollment",
            "role": "StudentEnrollment",
            "role_id": 3,
            "enrollment_state": "active",
            "course_section_id": course_id,
        }

    def _paged(self, rows: list[dict[str, Any]]) -> Response:
        per_page = min(int(request.args.get("per_page", 10)), self.max_per_page)
        page = int(request.args.get("page", 1))
        chunk = rows[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(rows) // per_page))
        args = request.args.to_dict(flat=False)

        def link(n: int, rel: str) -> str:
            query = urlencode({**args, "page": [str(n)], "per_page": [str(per_page)]}, doseq=True)
            return f'<{request.base_url}?{query}>; rel="{rel}"'

        links = [link(page, "current")]
        if page < last:
            links.append(link(page + 1, "next"))
        links += [link(1, "first"), link(last, "last")]
        response = jsonify(chunk)
        response.headers["Link"] = ",".join(links)
        return response


def _invalid_token() -> Response:
    response = jsonify(errors=[{"message": "Invalid access token."}])
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="canvas-lms"'
    return response


def _unauthorized() -> Response:
    response = jsonify(
        status="unauthorized", errors=[{"message": "user not authorized to perform that action"}]
    )
    response.status_code = 401
    return response


def _not_found() -> Response:
    response = jsonify(errors=[{"message": "The specified resource does not exist."}])
    response.status_code = 404
    return response
