"""A served fake of Moodle's web services (REST protocol, JSON format), shaped after moodle/moodle's
definitions (`lib/db/services.php` and the functions' `*_parameters`/`*_returns` in
`course/externallib.php`, `enrol/externallib.php`, `enrol/self/externallib.php`,
`enrol/manual/externallib.php`, `completion/classes/external.php`, `user/externallib.php`).

What it reproduces: one endpoint reading the query and the POST body together; PHP-style nested
parameters; the site course (id 1, format "site") in core_course_get_courses; search paging with
`page`/`perpage` and `total`; every failure as HTTP 200 with exception/errorcode/message; a
token bound to a service (a function outside it: accessexception) and to its owner (self-enrolment
enrols the token's owner). `faults` injects what a real site does on a bad day, one per request ("pass" lets one through)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, Response, jsonify, request

from tests.fakes import catalog

SERVICE_FUNCTIONS = frozenset(
    {
        "core_course_get_courses",
        "core_course_search_courses",
        "core_course_get_categories",
        "core_enrol_get_course_enrolment_methods",
        "enrol_manual_enrol_users",
        "enrol_self_enrol_user",
        "core_completion_get_course_completion_status",
        "core_user_get_users_by_field",
        "core_webservice_get_site_info",
    }
)
SERVICE_ACCOUNT = 2  # the admin user owning the service token


@dataclass
class Seen:
    url: str
    form: dict[str, str]


@dataclass
class FakeMoodle:
    service_token: str = "moodle-service-token-0123456789abcdef"
    courses: tuple[catalog.SeedCourse, ...] = catalog.COURSES
    # token -> user id, for people's own tokens (self-enrolment)
    user_tokens: dict[str, int] = field(default_factory=dict)
    functions: set[str] = field(default_factory=lambda: set(SERVICE_FUNCTIONS))
    faults: list[str] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    enrolled: dict[tuple[int, int], datetime | None] = field(default_factory=dict)
    enrol_methods: dict[tuple[int, int], str] = field(default_factory=dict)
    # course ids without a manual enrolment instance (self-enrolment only)
    no_manual: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.category_ids = {c.key: 2 + i for i, c in enumerate(catalog.CATEGORIES)}
        self.course_ids = {c.key: 10 + i for i, c in enumerate(self.courses)}
        self.user_ids = {u.key: 21 + i for i, u in enumerate(catalog.USERS)}
        self.reset()

    def reset(self) -> None:
        self.faults.clear()
        self.seen.clear()
        self.functions = set(SERVICE_FUNCTIONS)
        self.user_tokens.clear()
        self.enrolled = {
            (self.course_ids[c], self.user_ids[u]): when
            for (c, u), when in catalog.ENROLMENTS.items()
        }
        self.enrol_methods = {}
        self.no_manual = set()

    # The WSGI app.

    def app(self) -> Flask:
        app = Flask("fake_moodle")

        @app.post("/webservice/rest/server.php")
        def server() -> Response:
            # Moodle's REST server merges the query string and the POST body.
            params = {**request.args.to_dict(), **request.form.to_dict()}
            self.seen.append(Seen(request.url, request.form.to_dict()))
            if self.faults:
                fault = self.faults.pop(0)
                if fault == "unavailable":
                    return Response("Service Unavailable", status=503)
                if fault == "garbage":
                    return Response("<html><body>Debug: notice</body></html>", status=200)
                if fault == "maintenance":
                    return _error("moodle_exception", "sitemaintenance", "Site is in maintenance")
                if fault == "forbidden":
                    return _error(
                        "required_capability_exception",
                        "nopermissions",
                        "Sorry, but you do not currently have permissions to do that.",
                    )
            if params.get("moodlewsrestformat") != "json":
                return Response("<?xml version='1.0'?><EXCEPTION/>", mimetype="application/xml")
            token = params.get("wstoken", "")
            if token == "expired-" + self.service_token:
                return _error(
                    "moodle_exception", "invalidtimedtoken", "Invalid token - token expired"
                )
            if token == self.service_token:
                caller = SERVICE_ACCOUNT
            elif token in self.user_tokens:
                caller = self.user_tokens[token]
            else:
                return _error("moodle_exception", "invalidtoken", "Invalid token - token not found")
            function = params.get("wsfunction", "")
            if function not in self.functions:
                return _error(
                    "webservice_access_exception", "accessexception", "Access control exception"
                )
            handler = getattr(self, "_" + function)
            return handler(nested(params), caller)  # type: ignore[no-any-return]

        return app

    # The functions.

    def _core_course_get_courses(self, p: dict[str, Any], caller: int) -> Response:
        ids = {int(i) for i in _list(p.get("options", {}).get("ids"))}
        site = {
            "id": 1,
            "shortname": "acme",
            "fullname": "Acme LMS",
            "format": "site",
            "categoryid": 0,
            "summary": "",
            "visible": 1,
        }
        rows = [site] + [self._course_row(c) for c in self.courses]
        return jsonify([r for r in rows if not ids or r["id"] in ids])

    def _core_course_search_courses(self, p: dict[str, Any], caller: int) -> Response:
        if p.get("criterianame") != "search":
            return _error(
                "invalid_parameter_exception",
                "invalidparameter",
                "Invalid parameter value detected",
            )
        words = str(p.get("criteriavalue", "")).lower().split()
        found = [
            c
            for c in self.courses
            if c.visible and all(w in (c.title + " " + c.summary_html).lower() for w in words)
        ]
        page, perpage = int(p.get("page", 0)), int(p.get("perpage", 0))
        chunk = found[page * perpage : (page + 1) * perpage] if perpage else found
        rows = []
        for c in chunk:
            row = self._course_row(c)
            cid = self.course_ids[c.key]
            row["categoryname"] = next(x.name for x in catalog.CATEGORIES if x.key == c.category)
            row["enrollmentmethods"] = [m["type"] for m in self._methods(cid)] + (
                [] if c.refuses else ["manual"]
            )
            rows.append(row)
        return jsonify({"total": len(found), "courses": rows, "warnings": []})

    def _core_course_get_categories(self, p: dict[str, Any], caller: int) -> Response:
        rows = []
        for i, c in enumerate(catalog.CATEGORIES):
            parent = self.category_ids[c.parent] if c.parent else 0
            rows.append(
                {
                    "id": self.category_ids[c.key],
                    "name": c.name,
                    "idnumber": "",
                    "description": f"<p>{c.name}</p>",
                    "descriptionformat": 1,
                    "parent": parent,
                    "sortorder": 10000 * (i + 1),
                    "coursecount": sum(1 for x in self.courses if x.category == c.key),
                    "visible": 1,
                    "visibleold": 1,
                    "timemodified": 1700000000,
                    "depth": 2 if c.parent else 1,
                    "path": f"/{self.category_ids[c.key]}",
                    "theme": "",
                }
            )
        return jsonify(rows)

    def _core_enrol_get_course_enrolment_methods(self, p: dict[str, Any], caller: int) -> Response:
        cid = int(p["courseid"])
        if self._seed(cid) is None:
            return _missing("course")
        return jsonify(self._methods(cid))

    def _enrol_manual_enrol_users(self, p: dict[str, Any], caller: int) -> Response:
        if caller != SERVICE_ACCOUNT:
            return _error(
                "required_capability_exception",
                "nopermissions",
                "Sorry, but you do not currently have permissions to do that (Enrol users).",
            )
        for row in _list(p.get("enrolments")):
            cid, uid = int(row["courseid"]), int(row["userid"])
            seed = self._seed(cid)
            if seed is None:
                return _missing("course")
            if uid not in self.user_ids.values():
                return _missing("user")
            if seed.refuses or cid in self.no_manual:
                return _error(
                    "moodle_exception",
                    "wsnoinstance",
                    f"Manual enrolment plugin instance doesn't exist or is disabled for the course (id = {cid})",
                )
            self.enrolled.setdefault((cid, uid), None)
            self.enrol_methods[(cid, uid)] = "manual"
        return Response("null", mimetype="application/json")

    def _enrol_self_enrol_user(self, p: dict[str, Any], caller: int) -> Response:
        cid = int(p["courseid"])
        seed = self._seed(cid)
        if seed is None:
            return _missing("course")
        if not seed.self_enrol:
            return _error("moodle_exception", "canntenrol", "Enrolment is disabled or inactive")
        # The token's owner is the one enrolled: there is no user parameter.
        self.enrolled.setdefault((cid, caller), None)
        self.enrol_methods[(cid, caller)] = "self"
        return jsonify({"status": True, "warnings": []})

    def _core_webservice_get_site_info(self, p: dict[str, Any], caller: int) -> Response:
        u = next((x for x in catalog.USERS if self.user_ids[x.key] == caller), None)
        return jsonify(
            {
                "sitename": "Acme Moodle",
                "username": u.username if u else "admin",
                "fullname": u.name if u else "Admin User",
                "userid": caller,
                "siteurl": request.host_url.rstrip("/"),
                "functions": [{"name": f, "version": "2024100700"} for f in sorted(self.functions)],
            }
        )

    def _core_completion_get_course_completion_status(
        self, p: dict[str, Any], caller: int
    ) -> Response:
        cid, uid = int(p["courseid"]), int(p["userid"])
        seed = self._seed(cid)
        if seed is None:
            return _missing("course")
        if uid not in self.user_ids.values():
            return _missing("user")
        if (cid, uid) not in self.enrolled:
            return _error(
                "moodle_exception", "usernotenroled", "User is not enrolled in this course"
            )
        if not seed.tracked:
            return _error(
                "moodle_exception", "nocriteriaset", "No completion criteria set for this course"
            )
        when = self.enrolled[(cid, uid)]
        rows = []
        for i in range(catalog.REQUIREMENTS):
            done = when is not None or (i == 0 and (cid, uid) in _started(self))
            rows.append(
                {
                    "type": 4,
                    "title": f"Activity {i + 1}",
                    "status": "Yes" if done else "No",
                    "complete": done,
                    "timecompleted": int(when.timestamp()) if when and done else None,
                    "details": {
                        "type": "Activity completion",
                        "criteria": f"Activity {i + 1}",
                        "requirement": "Marking yourself complete",
                        "status": "",
                    },
                }
            )
        return jsonify(
            {
                "completionstatus": {
                    "completed": when is not None,
                    "aggregation": 1,
                    "completions": rows,
                },
                "warnings": [],
            }
        )

    def _core_user_get_users_by_field(self, p: dict[str, Any], caller: int) -> Response:
        fieldname = p.get("field")
        values = [str(v).lower() for v in _list(p.get("values"))]
        rows = []
        for u in catalog.USERS:
            uid = self.user_ids[u.key]
            key = {"id": str(uid), "email": u.email.lower(), "username": u.username}.get(
                str(fieldname)
            )
            if key is None:
                return _error(
                    "invalid_parameter_exception",
                    "invalidparameter",
                    "Invalid parameter value detected",
                )
            if key in values:
                first, last = u.name.split(" ", 1)
                rows.append(
                    {
                        "id": uid,
                        "username": u.username,
                        "firstname": first,
                        "lastname": last,
                        "fullname": u.name,
                        "email": u.email,
                        "department": "",
                        "firstaccess": 0,
                        "lastaccess": 0,
                        "auth": "manual",
                        "suspended": False,
                        "confirmed": True,
                        "lang": "en",
                        "theme": "",
                        "timezone": "99",
                        "mailformat": 1,
                    }
                )
        return jsonify(rows)

    # Helpers.

    def _seed(self, cid: int) -> catalog.SeedCourse | None:
        return next((c for c in self.courses if self.course_ids[c.key] == cid), None)

    def _methods(self, cid: int) -> list[dict[str, Any]]:
        seed = self._seed(cid)
        # Only plugins with get_enrol_info (self, guest) are listed; manual is not.
        if seed is None or not seed.self_enrol:
            return []
        return [
            {
                "id": 900 + cid,
                "courseid": cid,
                "type": "self",
                "name": "Self enrolment (Student)",
                "status": True,
                "wsfunction": "enrol_self_get_instance_info",
            }
        ]

    def _course_row(self, c: catalog.SeedCourse) -> dict[str, Any]:
        return {
            "id": self.course_ids[c.key],
            "shortname": c.key.upper(),
            "fullname": c.title,
            "displayname": c.title,
            "categoryid": self.category_ids[c.category],
            "summary": c.summary_html,
            "summaryformat": 1,
            "format": "topics",
            "lang": c.language,
            "startdate": 1704067200,
            "enddate": 0,
            "visible": 1 if c.visible else 0,
            "enablecompletion": 1 if c.tracked else 0,
            "timecreated": 1700000000,
            "timemodified": 1700000000,
        }


def _started(fake: FakeMoodle) -> set[tuple[int, int]]:
    # Enrolments from the seed have one requirement done; new ones have none.
    return {(fake.course_ids[c], fake.user_ids[u]) for (c, u) in catalog.ENROLMENTS}


def _error(exception: str, code: str, message: str) -> Response:
    # Moodle answers web-service failures with HTTP 200.
    return jsonify({"exception": exception, "errorcode": code, "message": message})


def _missing(what: str) -> Response:
    return _error(
        "dml_missing_record_exception",
        "invalidrecord",
        f"Can't find data record in database table {what}.",
    )


def _list(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value[k] for k in sorted(value, key=lambda k: int(k))]
    return list(value) if isinstance(value, list) else []


_KEY = re.compile(r"\[([^\]]*)\]")


def nested(flat: dict[str, str]) -> dict[str, Any]:
    """PHP's reading of `a[b][0]=1` into nested dicts (lists stay dicts keyed "0", "1")."""
    out: dict[str, Any] = {}
    for name, value in flat.items():
        head = name.split("[", 1)[0]
        keys = [head, *_KEY.findall(name[len(head) :])]
        node = out
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    return out
