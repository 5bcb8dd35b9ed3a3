"""The one HTTP helper for every outbound call: timeouts, a User-Agent, retries where safe, and one
error type that says what was asked and what came back.

Secrets: tokens travel in headers or POST bodies only. A URL whose query names a credential
(`wstoken`, `access_token`, ...) is refused before anything is sent, query strings are dropped from
errors and logs, and `redact` scrubs known secrets and credential-looking fields from any text an
error carries. `LinkPages` follows `Link: <...>; rel="next"` on the same site, up to a cap."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import requests

log = logging.getLogger(__name__)

USER_AGENT = "Wayfinder/0.1 (+LTI 1.3 tool)"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Query parameters that carry credentials: never allowed in a URL we send.
SECRET_PARAMETERS = frozenset(
    {"wstoken", "access_token", "refresh_token", "client_secret", "password", "api_key"}
)
REDACTED = "[redacted]"
_SECRET_FIELDS = re.compile(
    r"""(?P<key>(?<![A-Za-z0-9_])["']?(?:wstoken|token|access_token|refresh_token|client_secret|password)["']?\s*[:=]\s*["']?)"""
    r"""(?P<value>[^"'&\s,}]+)""",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


NUL = "\x00"  # in JSON as \u0000: valid there, refused by PostgreSQL in any text it keeps


def json_without_nul(data: Any) -> Any:
    """Decoded JSON with NUL characters dropped from every text, keys included."""
    if isinstance(data, str):
        return data.replace(NUL, "")
    if isinstance(data, list):
        return [json_without_nul(value) for value in data]
    if isinstance(data, dict):
        return {json_without_nul(key): json_without_nul(value) for key, value in data.items()}
    return data


def read_json(response: requests.Response) -> Any:
    """The answer's JSON as Wayfinder may keep it (no NUL characters). ValueError: not JSON."""
    return json_without_nul(response.json())


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without the given secrets, bearer tokens or credential-looking `key=value` pairs
    (nor NUL characters: it is kept as a problem or job message)."""
    text = text.replace(NUL, "")
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _BEARER.sub(r"\1" + REDACTED, text)
    return _SECRET_FIELDS.sub(lambda m: m.group("key") + REDACTED, text)


def same_site(url: str, other: str) -> bool:
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def next_link(response: requests.Response) -> str | None:
    """The `rel="next"` address of a `Link` header (RFC 8288), as requests parses it."""
    link = response.links.get("next")
    url = link.get("url") if link else None
    return url or None


def check_url(url: str) -> None:
    """Refuse a URL that carries a credential in its query: it would end up in server logs."""
    names = {name.lower() for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    leaked = names & SECRET_PARAMETERS
    if leaked:
        raise ValueError(
            f"refusing to send a credential ({', '.join(sorted(leaked))}) in the URL of "
            f"{redact_url(url)}: put it in a header or the POST body"
        )


@dataclass
class HttpError(Exception):
    """An outbound call failed: no answer (status 0) or an unexpected status."""

    method: str
    url: str
    status: int
    reason: str
    body_excerpt: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def retry_after(self) -> str:
        """The answer's Retry-After header (seconds or an HTTP date), as sent; "" when absent."""
        for name, value in self.headers.items():
            if name.lower() == "retry-after":
                return value
        return ""

    def __str__(self) -> str:
        where = f"{self.method} {redact_url(self.url)}"
        if self.status:
            return f"{where} answered HTTP {self.status}: {self.reason}"
        return f"{where} failed: {self.reason}"


class HttpClient:
    def __init__(
        self,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.3,
        session: requests.Session | None = None,
    ) -> None:
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def request(
        self, method: str, url: str, *, idempotent: bool | None = None, **kwargs: Any
    ) -> requests.Response:
        """Send one request. Safe methods are retried on no answer and on 429/502/503/504;
        `idempotent=True` allows the same for a POST that only reads (Moodle's web services)."""
        method = method.upper()
        check_url(url)
        kwargs.setdefault("timeout", self.timeout)
        retry = method in SAFE_METHODS if idempotent is None else idempotent
        attempts = 1 + (self.retries if retry else 0)
        last: HttpError | None = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.backoff * (2 ** (attempt - 1)))
            try:
                response = self.session.request(method, url, **kwargs)
            except requests.RequestException as exc:
                message = str(exc).replace(url, redact_url(url))
                last = HttpError(method, url, 0, type(exc).__name__ + ": " + _short(message))
                log.warning("%s", last)
                continue
            if 300 <= response.status_code < 400 and not kwargs.get("allow_redirects", True):
                raise HttpError(
                    method,
                    url,
                    response.status_code,
                    "redirected to another address, which is not followed here",
                )
            if response.status_code in RETRY_STATUSES and attempt + 1 < attempts:
                last = HttpError(method, url, response.status_code, response.reason or "")
                log.warning("%s (retrying)", last)
                continue
            if response.status_code >= 400:
                raise HttpError(
                    method,
                    url,
                    response.status_code,
                    response.reason or "",
                    _short(response.text),
                    dict(response.headers),
                )
            return response
        assert last is not None
        raise last

    def get_json(self, url: str, **kwargs: Any) -> Any:
        response = self.request("GET", url, **kwargs)
        try:
            return read_json(response)
        except ValueError as exc:
            raise HttpError(
                "GET", url, response.status_code, "the answer is not JSON", _short(response.text)
            ) from exc


class LinkPages:
    """GET `url`, then every `Link: rel="next"` page on the same site, at most `max_pages` in all.

    Iterate for the responses; afterwards `truncated` says whether the cap stopped it while the
    server still offered a next page. A next link to another site is not followed (it would
    receive our Authorization header) and counts as truncation."""

    def __init__(self, http: HttpClient, url: str, *, max_pages: int, **kwargs: Any) -> None:
        if max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        self.http = http
        self.url = url
        self.max_pages = max_pages
        self.kwargs = kwargs
        self.truncated = False
        self.pages_fetched = 0

    def __iter__(self) -> Iterator[requests.Response]:
        url: str | None = self.url
        while url:
            if self.pages_fetched >= self.max_pages:
                self.truncated = True
                log.warning(
                    "stopped following %s after %d pages (the cap)",
                    redact_url(self.url),
                    self.max_pages,
                )
                return
            response = self.http.request("GET", url, **self.kwargs)
            self.pages_fetched += 1
            yield response
            url = next_link(response)
            if url and not same_site(url, self.url):
                self.truncated = True
                log.warning("not following a next page on another site: %s", redact_url(url))
                return


def _short(text: str, limit: int = 300) -> str:
    text = text.replace(NUL, "")
    return text if len(text) <= limit else text[:limit] + "…"
