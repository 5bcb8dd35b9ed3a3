"""Names and Role Provisioning Services 2.0: read a course's members page by page.

Moodle answers plain `application/json` with 400: the Accept header must be the NRPS media type.
Moodle pages only when asked (`limit`), then links the next page with `Link: <...>; rel="next"`.
Member roles may be short names (`Learner`) or full URIs; lti/roles.py maps both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from adapters.http import HttpClient, HttpError, read_json
from lti_tool.lti.context import CUSTOM, ID_MAX
from lti_tool.lti.service_tokens import PlatformAccount, ServiceTokens
from lti_tool.lti.toolinfo import SCOPE_NRPS

MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
SCOPE = SCOPE_NRPS
_NEXT = re.compile(r'<([^>]*)>\s*;[^,]*\brel="?next"?', re.IGNORECASE)


@dataclass(frozen=True)
class Member:
    user_id: str
    roles: tuple[str, ...]
    status: str = "Active"
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.status.lower() == "active"

    def custom(self, name: str) -> str:
        """A value the platform sent for this member: a member field, or a custom parameter in
        the member's message (sent when asked for a resource link). Moodle lowercases names."""
        for key in (name, name.lower()):
            value = self.fields.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        messages = self.fields.get("message")
        if isinstance(messages, dict):
            messages = [messages]
        for message in messages if isinstance(messages, list) else []:
            custom = message.get(CUSTOM) if isinstance(message, dict) else None
            if isinstance(custom, dict):
                for key in (name, name.lower()):
                    value = custom.get(key)
                    if isinstance(value, str) and value.strip():
                        return value.strip()
        return ""

    @classmethod
    def read(cls, raw: dict[str, Any]) -> Member | None:
        user_id = raw.get("user_id")
        if not isinstance(user_id, str | int) or not str(user_id).strip():
            return None
        if len(str(user_id).strip()) > ID_MAX:  # no launch could bring this person either
            return None

        def text(name: str) -> str:
            value = raw.get(name)
            return value.strip() if isinstance(value, str) else ""

        roles = raw.get("roles")
        return cls(
            user_id=str(user_id).strip(),
            roles=tuple(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else (),
            status=text("status") or "Active",
            name=text("name"),
            given_name=text("given_name"),
            family_name=text("family_name"),
            email=text("email"),
            fields=raw,
        )


@dataclass(frozen=True)
class Page:
    members: list[Member]
    next_url: str | None


def next_link(header: str) -> str | None:
    match = _NEXT.search(header.replace("\n", " "))
    return match.group(1).strip() if match else None


def with_limit(url: str, limit: int) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if limit <= 0 or "limit" in query:
        return url
    query["limit"] = str(limit)
    return urlunsplit(parts._replace(query=urlencode(query)))


class NrpsClient:
    def __init__(
        self,
        account: PlatformAccount,
        tokens: ServiceTokens,
        http: HttpClient,
        *,
        page_size: int = 500,
        max_pages: int = 200,
    ) -> None:
        self.account = account
        self.tokens = tokens
        self.http = http
        self.page_size = page_size
        self.max_pages = max_pages
        self.truncated = False

    def _get(self, url: str) -> tuple[Any, str | None]:
        token = self.tokens.get(self.account, [SCOPE])
        for refreshed in (False, True):
            try:
                response = self.http.request(
                    "GET",
                    url,
                    headers={"Accept": MEDIA_TYPE, "Authorization": "Bearer " + token},
                )
            except HttpError as exc:
                if exc.status == 401 and not refreshed:
                    # The platform dropped our token before its expiry: get a new one, once.
                    token = self.tokens.get(self.account, [SCOPE], fresh=True)
                    continue
                raise
            try:
                body = read_json(response)
            except ValueError as exc:
                raise HttpError(
                    "GET", url, response.status_code, "the roster is not JSON", response.text[:300]
                ) from exc
            return body, next_link(response.headers.get("Link", ""))
        raise AssertionError("unreachable")

    def pages(self, memberships_url: str) -> Iterator[Page]:
        """Every page of members; sets `truncated` when max_pages stopped it early."""
        url: str | None = with_limit(memberships_url, self.page_size)
        fetched = 0
        while url:
            if fetched >= self.max_pages:
                self.truncated = True
                return
            body, url = self._get(url)
            fetched += 1
            raw_members = body.get("members") if isinstance(body, dict) else None
            if not isinstance(raw_members, list):
                raise HttpError("GET", memberships_url, 200, "the answer has no members list")
            members = [Member.read(m) for m in raw_members if isinstance(m, dict)]
            yield Page([m for m in members if m is not None], url)
