"""The one HTTP helper for every outbound call: timeouts, a User-Agent, retries where safe, and one
error type that says what was asked and what came back. Query strings are dropped from errors and
logs, so tokens passed there never leak (and callers should not pass tokens in URLs at all)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

log = logging.getLogger(__name__)

USER_AGENT = "Wayfinder/0.1 (+LTI 1.3 tool)"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


@dataclass
class HttpError(Exception):
    """An outbound call failed: no answer (status 0) or an unexpected status."""

    method: str
    url: str
    status: int
    reason: str
    body_excerpt: str = ""
    # The answer's Retry-After header (seconds or an HTTP date), as sent; "" when absent.
    retry_after: str = ""

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

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        method = method.upper()
        kwargs.setdefault("timeout", self.timeout)
        attempts = 1 + (self.retries if method in SAFE_METHODS else 0)
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
            if response.status_code in RETRY_STATUSES and attempt + 1 < attempts:
                last = HttpError(method, url, response.status_code, response.reason or "")
                continue
            if response.status_code >= 400:
                raise HttpError(
                    method,
                    url,
                    response.status_code,
                    response.reason or "",
                    _short(response.text),
                    response.headers.get("Retry-After", ""),
                )
            return response
        assert last is not None
        raise last

    def get_json(self, url: str, **kwargs: Any) -> Any:
        response = self.request("GET", url, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise HttpError(
                "GET", url, response.status_code, "the answer is not JSON", _short(response.text)
            ) from exc


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
