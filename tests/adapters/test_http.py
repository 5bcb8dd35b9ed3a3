"""The HTTP helper's promises: no credential in a URL, redacted errors, retries only where a
repeat is harmless, Link pages followed on the same site only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, Response, request

from adapters.base import AdapterError, ErrorKind
from adapters.http import HttpClient, HttpError, LinkPages, redact
from tests.harness import ServerThread


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, dict[str, int]]]:
    app = Flask("http_helper")
    hits: dict[str, int] = {}

    @app.route("/flaky", methods=["GET", "POST"])
    def flaky() -> Response:
        hits["flaky"] = hits.get("flaky", 0) + 1
        if hits["flaky"] % 2:
            return Response("busy", status=503)
        return Response('{"ok": true}', mimetype="application/json")

    @app.get("/leaves")
    def leaves() -> Response:
        response = Response("[]", mimetype="application/json")
        response.headers["Link"] = '<https://elsewhere.example.com/steal?page=2>; rel="next"'
        return response

    @app.get("/echo")
    def echo() -> Response:
        return Response(request.headers.get("User-Agent", ""), status=400)

    thread = ServerThread(app)
    yield f"http://127.0.0.1:{thread.port}", hits
    thread.stop()


def test_a_credential_in_a_url_is_refused_before_sending(
    server: tuple[str, dict[str, int]],
) -> None:
    base, _ = server
    http = HttpClient(backoff=0)
    for name in ("wstoken", "access_token", "client_secret"):
        with pytest.raises(ValueError, match=name) as caught:
            http.request("GET", f"{base}/echo?{name}=s3cret-value")
        assert "s3cret-value" not in str(caught.value)


def test_errors_carry_status_body_and_headers_without_the_query(
    server: tuple[str, dict[str, int]],
) -> None:
    base, _ = server
    with pytest.raises(HttpError) as caught:
        HttpClient(backoff=0).request("GET", f"{base}/echo?q=private-search")
    assert caught.value.status == 400
    assert caught.value.body_excerpt.startswith("Wayfinder/")  # our User-Agent came back
    assert "private-search" not in str(caught.value)
    assert "Content-Type" in caught.value.headers


def test_posts_are_retried_only_when_declared_idempotent(
    server: tuple[str, dict[str, int]],
) -> None:
    base, hits = server
    http = HttpClient(backoff=0)
    hits["flaky"] = 0
    with pytest.raises(HttpError):
        http.request("POST", f"{base}/flaky")
    assert hits["flaky"] == 1
    hits["flaky"] = 0
    assert http.request("POST", f"{base}/flaky", idempotent=True).json() == {"ok": True}
    assert hits["flaky"] == 2


def test_link_pages_never_follow_to_another_site(server: tuple[str, dict[str, int]]) -> None:
    base, _ = server
    pages = LinkPages(HttpClient(backoff=0), f"{base}/leaves", max_pages=5)
    assert len(list(pages)) == 1
    assert pages.truncated


def test_redaction_scrubs_known_secrets_bearer_tokens_and_credential_fields() -> None:
    text = 'Authorization: Bearer abc.def-123 body wstoken=zzz9 {"access_token": "tok42"} mine'
    cleaned = redact(text, ["mine"])
    for secret in ("abc.def-123", "zzz9", "tok42", "mine"):
        assert secret not in cleaned
    assert "invalidtoken" in redact('{"errorcode":"invalidtoken"}')


def test_adapter_errors_redact_whatever_they_are_given() -> None:
    error = AdapterError(ErrorKind.AUTH, "GET x?access_token=abc123", "Bearer sekrit-token")
    assert "abc123" not in str(error) and "sekrit-token" not in str(error)
