"""Assignment and Grade Services 2.0 on the wire: find or create a line item, post a score.

Line item URLs may carry a query (Moodle's `...?type_id=3`): the scores URL is the line item's
path + `/scores` with the query kept, and lookups add their filters to the query already there.
Moodle drops the launch's `lineitem` claim as soon as a second line item is bound to a link, so
line items are always looked up (`resource_link_id`, then `resource_id` and `tag`) before one is
created; results are also filtered here, since a platform may ignore a filter it does not know.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from adapters.http import HttpClient, HttpError, read_json
from lti_tool.lti.nrps import next_link
from lti_tool.lti.service_tokens import PlatformAccount, ServiceTokens
from lti_tool.lti.toolinfo import SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_SCORE

LINEITEM_MEDIA = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_MEDIA = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_MEDIA = "application/vnd.ims.lis.v1.score+json"
MAX_LOOKUP_PAGES = 20


def scores_url(lineitem_url: str) -> str:
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, v) for k, v in params.items() if v]
    return urlunsplit(parts._replace(query=urlencode(query)))


def token_scopes(granted: Iterable[str]) -> list[str]:
    """The scopes to ask for: score and line item management, less what the platform did not
    grant in the launch (when it said what it granted)."""
    wanted = [SCOPE_SCORE, SCOPE_LINEITEM]
    granted = set(granted)
    if not granted:
        return wanted
    chosen = [s for s in wanted if s in granted]
    if SCOPE_LINEITEM not in granted and SCOPE_LINEITEM_READONLY in granted:
        chosen.append(SCOPE_LINEITEM_READONLY)
    return chosen or wanted


@dataclass(frozen=True)
class LineItemSpec:
    """What Wayfinder wants the gradebook column to be."""

    label: str
    score_maximum: float
    resource_id: str
    tag: str
    resource_link_id: str | None = None

    def matches_link(self, raw: dict[str, Any]) -> bool:
        return bool(self.resource_link_id) and raw.get("resourceLinkId") == self.resource_link_id

    def matches_item(self, raw: dict[str, Any]) -> bool:
        return raw.get("resourceId") == self.resource_id and raw.get("tag", self.tag) == self.tag

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "label": self.label[:255] or self.resource_id,
            "scoreMaximum": self.score_maximum,
            "resourceId": self.resource_id,
            "tag": self.tag,
        }
        if self.resource_link_id:
            data["resourceLinkId"] = self.resource_link_id
        return data


@dataclass(frozen=True)
class Score:
    user_id: str
    score_given: float | None
    score_maximum: float | None
    activity_progress: str
    grading_progress: str
    timestamp: str
    comment: str = ""

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "userId": self.user_id,
            "activityProgress": self.activity_progress,
            "gradingProgress": self.grading_progress,
            "timestamp": self.timestamp,
        }
        if self.score_given is not None and self.score_maximum is not None:
            data["scoreGiven"] = self.score_given
            data["scoreMaximum"] = self.score_maximum
        if self.comment:
            data["comment"] = self.comment
        return data


class AgsClient:
    """One platform account's AGS calls, with a cached token renewed once on a 401."""

    def __init__(
        self,
        account: PlatformAccount,
        tokens: ServiceTokens,
        http: HttpClient,
        scopes: Iterable[str] = (),
    ) -> None:
        self.account = account
        self.tokens = tokens
        self.http = http
        self.scopes = token_scopes(scopes)

    def token(self) -> str:
        """The cached token (fetched when there is none)."""
        return self.tokens.get(self.account, self.scopes)

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        token = self.tokens.get(self.account, self.scopes)
        for refreshed in (False, True):
            headers["Authorization"] = "Bearer " + token
            try:
                return self.http.request(method, url, headers=headers, **kwargs)
            except HttpError as exc:
                if exc.status == 401 and not refreshed:
                    # The platform dropped our token before its expiry: get a new one, once.
                    token = self.tokens.get(self.account, self.scopes, fresh=True)
                    continue
                raise
        raise AssertionError("unreachable")

    def find_line_item(self, lineitems_url: str, spec: LineItemSpec) -> str | None:
        """The platform's URL of the line item for this link or item, if it exists."""
        searches = []
        if spec.resource_link_id:
            searches.append(
                (
                    with_query(lineitems_url, resource_link_id=spec.resource_link_id),
                    spec.matches_link,
                )
            )
        searches.append(
            (
                with_query(lineitems_url, resource_id=spec.resource_id, tag=spec.tag),
                spec.matches_item,
            )
        )
        for url, matches in searches:
            found = self._search(url, matches)
            if found:
                return found
        return None

    def _search(self, url: str | None, matches: Any) -> str | None:
        pages = 0
        while url and pages < MAX_LOOKUP_PAGES:
            response = self._call("GET", url, headers={"Accept": LINEITEMS_MEDIA})
            pages += 1
            try:
                items = read_json(response)
            except ValueError as exc:
                raise HttpError("GET", url, response.status_code, "the answer is not JSON") from exc
            for raw in items if isinstance(items, list) else []:
                if isinstance(raw, dict) and matches(raw) and isinstance(raw.get("id"), str):
                    return str(raw["id"])
            url = next_link(response.headers.get("Link", ""))
        return None

    def create_line_item(self, lineitems_url: str, spec: LineItemSpec) -> str:
        response = self._call(
            "POST",
            lineitems_url,
            json=spec.body(),
            headers={"Content-Type": LINEITEM_MEDIA, "Accept": LINEITEM_MEDIA},
        )
        try:
            created = read_json(response)
        except ValueError:
            created = None
        url = created.get("id") if isinstance(created, dict) else None
        if not isinstance(url, str) or not url:
            raise HttpError(
                "POST", lineitems_url, response.status_code, "the new line item has no id"
            )
        return url

    def post_score(self, lineitem_url: str, score: Score) -> None:
        self._call(
            "POST",
            scores_url(lineitem_url),
            json=score.body(),
            headers={"Content-Type": SCORE_MEDIA},
        )
