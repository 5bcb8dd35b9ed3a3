"""A platform's Assignment and Grade Services, strict the way Moodle is, on top of the roster
platform's token endpoint (client assertion checked against the tool's JWKS, JSON labelled
text/html): line item URLs carry `?type_id=` as Moodle's do; the line items container filters by
`resource_link_id`, `resource_id` and `tag`; creating a line item needs the line item media type;
a score needs the score media type, a Bearer token and a `timestamp` later (at 1-second
resolution) than the stored one, else 409 with an empty body.

Served by the development launcher (the practice page's scores land here) and by the tests and
bench/sync.py, which also make it fail for a while (`fail_next`: 500, (429, "Retry-After"),
"slow" = store the score but answer after `slow_seconds`).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from lti_tool.devlauncher.roster_platform import NRPS_SCOPE, RosterPlatform

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_MEDIA = "application/vnd.ims.lis.v2.lineitem+json"
SCORE_MEDIA = "application/vnd.ims.lis.v1.score+json"
TYPE_ID = "7"  # Moodle: line items are per tool type, and their URLs say which


def parse_timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def json_object() -> dict[str, Any]:
    """The request's JSON object; {} for anything else (no JSON, a list, a number), so that a
    client sending junk gets the endpoint's own "invalid request" answer, not a crash."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


class AgsPlatform(RosterPlatform):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("members_for", lambda _context: [])
        kwargs.setdefault("accepted_scopes", (NRPS_SCOPE, SCOPE_LINEITEM, SCOPE_SCORE))
        super().__init__(**kwargs)
        self.base_url = ""
        self.identity: tuple[str, str] | None = None
        self.line_items: dict[int, dict[str, Any]] = {}
        # Scores the platform accepted, in order: (line item number, body).
        self.scores: list[tuple[int, dict[str, Any]]] = []
        self.stored: dict[tuple[int, str], dict[str, Any]] = {}
        self.score_requests = 0
        self.lineitem_requests: list[str] = []  # "GET ?query" / "POST"
        self.conflicts = 0
        self.fail_scores: list[Any] = []  # what to answer the next score requests with
        self.slow_seconds = 0.5
        self._ags_lock = threading.Lock()

    # -- line items -----------------------------------------------------------------------------

    def _url(self, context_id: str, number: int) -> str:
        return f"{self.base_url}/ags/{context_id}/lineitems/{number}/lineitem?type_id={TYPE_ID}"

    def _authorised(self, scope: str) -> bool:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return False
        try:
            data = self._tokens.loads(auth[7:], max_age=self.token_lifetime)
        except Exception:
            return False
        return bool(
            data.get("c") == self.client_id
            and data.get("g") == self.generation
            and scope in data.get("s", [])
        )

    def lineitems(self, context_id: str) -> Response:
        if request.args.get("type_id") != TYPE_ID:
            return self._error("not_found", "no type_id: not a line items URL Moodle gave", 404)
        if request.method == "POST":
            self.lineitem_requests.append("POST")
            if not self._authorised(SCOPE_LINEITEM):
                return self._error("invalid_token", "token missing or lacking the scope", 401)
            if request.mimetype != LINEITEM_MEDIA:
                return self._error("invalid_request", "Content-Type must be a line item", 415)
            body = json_object()
            if not body.get("label") or not isinstance(body.get("scoreMaximum"), int | float):
                return self._error("invalid_request", "label and scoreMaximum are required")
            with self._ags_lock:
                number = len(self.line_items) + 1
                item = {**body, "id": self._url(context_id, number), "context": context_id}
                self.line_items[number] = item
            return Response(jsonify(item).get_data(), status=201, mimetype=LINEITEM_MEDIA)
        self.lineitem_requests.append("GET ?" + request.query_string.decode())
        if not self._authorised(SCOPE_LINEITEM):
            return self._error("invalid_token", "token missing or lacking the scope", 401)
        found = [i for i in self.line_items.values() if i["context"] == context_id]
        for name, field in (
            ("resource_link_id", "resourceLinkId"),
            ("resource_id", "resourceId"),
            ("tag", "tag"),
        ):
            wanted = request.args.get(name)
            if wanted:
                found = [i for i in found if i.get(field) == wanted]
        return jsonify([{k: v for k, v in i.items() if k != "context"} for i in found])

    def save_placed_line_item(
        self, context_id: str, line_item: dict[str, Any], resource_link_id: str
    ) -> str:
        """What Moodle does when the teacher saves an activity a deep-linking answer filled in:
        the content item's lineItem becomes the link's gradebook column (once per link)."""
        with self._ags_lock:
            for item in self.line_items.values():
                if item["context"] == context_id and item.get("resourceLinkId") == resource_link_id:
                    return str(item["id"])
            number = len(self.line_items) + 1
            item = {
                **{
                    k: v
                    for k, v in line_item.items()
                    if k in ("label", "scoreMaximum", "tag", "resourceId")
                },
                "resourceLinkId": resource_link_id,
                "id": self._url(context_id, number),
                "context": context_id,
            }
            self.line_items[number] = item
            return str(item["id"])

    # -- scores ---------------------------------------------------------------------------------

    def score(self, context_id: str, number: int) -> Response:
        with self._ags_lock:
            self.score_requests += 1
            failure = self.fail_scores.pop(0) if self.fail_scores else None
        if request.args.get("type_id") != TYPE_ID:
            return self._error("not_found", "the scores URL lost its type_id", 404)
        if not self._authorised(SCOPE_SCORE):
            return self._error("invalid_token", "token missing or lacking the score scope", 401)
        if request.mimetype != SCORE_MEDIA:
            return self._error("invalid_request", "Content-Type must be the score media type", 415)
        if number not in self.line_items:
            return self._error("not_found", "no such line item", 404)
        if isinstance(failure, int):
            return Response("platform failure", status=failure, mimetype="text/plain")
        if isinstance(failure, tuple):
            response = Response("slow down", status=failure[0], mimetype="text/plain")
            response.headers["Retry-After"] = failure[1]
            return response
        body = json_object()
        stamp = parse_timestamp(body.get("timestamp"))
        user = body.get("userId")
        if stamp is None or not isinstance(user, str) or not body.get("activityProgress"):
            return self._error("invalid_request", "userId, activityProgress, timestamp needed")
        with self._ags_lock:
            key = (number, user)
            previous = self.stored.get(key)
            if previous is not None and int(stamp.timestamp()) <= int(previous["_at"]):
                self.conflicts += 1
                return Response(b"", status=409)  # Moodle: no body at all
            self.stored[key] = {**body, "_at": stamp.timestamp()}
            self.scores.append((number, body))
        if failure == "slow":
            time.sleep(self.slow_seconds)  # stored, but the tool gives up waiting
        return Response(b"", status=204)

    def gradebook(self) -> Response:
        """What a teacher would see: each line item and its latest scores."""
        return jsonify(
            [
                {
                    **{k: v for k, v in item.items() if k != "context"},
                    "scores": {
                        user: {k: v for k, v in s.items() if k != "_at"}
                        for (n, user), s in self.stored.items()
                        if n == number
                    },
                }
                for number, item in self.line_items.items()
            ]
        )

    # -- serving --------------------------------------------------------------------------------

    def add_routes(self, target: Flask | Blueprint, prefix: str = "") -> None:
        super().add_routes(target, prefix)
        target.add_url_rule(
            prefix + "/ags/<context_id>/lineitems",
            "ags_lineitems",
            self.lineitems,
            methods=["GET", "POST"],
        )
        target.add_url_rule(
            prefix + "/ags/<context_id>/lineitems/<int:number>/lineitem/scores",
            "ags_score",
            self.score,
            methods=["POST"],
        )
        target.add_url_rule(prefix + "/gradebook", "ags_gradebook", self.gradebook)

    def lineitems_url(self, context_id: str) -> str:
        return f"{self.base_url}/ags/{context_id}/lineitems?type_id={TYPE_ID}"

    def ags_claim(self, context_id: str) -> dict[str, Any]:
        """The launch's AGS claim, as Moodle sends it (no `lineitem`: not relied upon)."""
        return {
            "scope": [SCOPE_LINEITEM, SCOPE_SCORE],
            "lineitems": self.lineitems_url(context_id),
        }
