"""Wrong input never answers 5xx, on any route, for anyone.

Each demo persona, launched for real through the development launcher, asks every route of the
app with what a wrong form, a hand-edited address or a stale page sends:

- addresses with their ids and keys replaced: 0, a huge number, the id of another kind of row,
  another page's key, the same argument from another real address (a step of another path),
  "nope", a 300-character key, a NUL, unicode;
- query strings with pages, sorts, filters, periods and searches set to negatives, words, huge
  numbers, 5,000 digits, a NUL or an impossible date: every name at once, and one at a time for
  the names the pages' own links and filter forms use;
- forms: empty (the CSRF token alone), without the CSRF token, with every field of the form the
  pages draw set to the same junk (blank, spaces, 10,000 characters, "-1", "abc", "1.5",
  "<script>", "http://[", "2026-13-45", a NUL, a value sent twice; a file field gets it as the
  file), and
  with the page's own values but one field wrong.

The forms, ids and keys come from a crawl of every persona's pages first, so a learner also posts
the trainer's and the admin's forms. Addresses and query strings are asked before any form is
posted, and the forms that delete, withdraw or switch something off come last; a launch a
request ended is launched again. Junk may be valid input (a title "abc" is saved): only an
answer of 500 or more, or a page showing a traceback, is a failure. All of them are listed
together at the end, with method, address, form and status.

Run on PostgreSQL too (WAYFINDER_TEST_DATABASE_URL): it refuses what SQLite keeps (a NUL, a
string longer than its column, an integer past its column's range).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter, Rule

from lti_tool.devlauncher.demo import PERSONAS
from lti_tool.lti.session import issue_token, new_launch_id
from tests.community.conftest import launcher, persona

__all__ = ["launcher"]  # the fixture, imported for this module's tests

# The LTI endpoints have their own bad-launch tests; the launcher plays the LMS.
SKIP = ("/static/", "/lti/", "/dev/")
# Endpoints that delete, withdraw or switch off what later requests use: posted last.
DESTRUCTIVE = ("delete", "withdraw", "remove", "close", "disable", "rotate", "prune", "end_")
CRAWL_PAGES = 150  # kinds of page, per persona
ID = re.compile(r"\d+|(?=.*\d)[\w-]{8,}")  # a row id, or a step key such as 9de9ba2b0d49
ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")  # <int:pk>, <key>

NUL = "\x00"
INT_JUNK = ("0", str(10**12))
STRING_JUNK = ("nope", "x" * 300, NUL, "ñ…")
QUERY_NAMES = (
    "page", "sort", "order", "kind", "status", "q", "view", "filter", "days", "skill", "role"
)  # fmt: skip
# 10**20: past SQLite's and PostgreSQL's integers, short enough for int() to read.
QUERY_JUNK = ("-1", "abc", str(10**9), str(10**20), "9" * 5000, "", "ñ…", NUL, "2026-13-45", "1.5")
ONE_NAME_JUNK = ("-1", "abc", str(10**9), str(10**20), "9" * 5000, "2026-13-45")  # alone
FIELD_JUNK: tuple[str | list[str], ...] = (
    "",
    "   ",
    "x" * 10_000,
    "9" * 10_000,
    "-1",
    "abc",
    "1.5",
    "nan",
    "1e999",
    "<script>alert(1)</script>",
    "http://[",  # an address Python cannot split (a bracket that opens no IPv6 address)
    "2026-13-45",
    NUL,
    "ñ…",
    ["abc", "-1"],
)
# A word and a decimal where a whole number goes, as "nan" and "1e999" (infinity) also are.
ONE_FIELD_JUNK = ("", "x" * 10_000, "9" * 10_000, "-1", "nan", "1e999", "2026-13-45")
BINARY_FILE = b"PK\x03\x04\x14\x00\xff\xfe junk"  # a spreadsheet's first bytes, not text
NOT_FIELDS = {"csrf_token", "lt"}  # sent by the walker itself


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> the values offered
    files: set[str] = field(default_factory=set)

    def add(self, name: str, value: str) -> None:
        if name and name not in NOT_FIELDS:
            values = self.fields.setdefault(name, [])
            if value not in values:
                values.append(value)

    def own_values(self) -> dict[str, str]:
        return {name: next((v for v in vs if v), vs[0]) for name, vs in self.fields.items()}


class PageParser(HTMLParser):
    """A page's links and forms (inputs, selects with their options, textareas, buttons)."""

    def __init__(self, path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.path = path
        self.links: list[tuple[str, bool]] = []  # (href, a download)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append((a["href"], "download" in a))
        elif tag == "form":
            self._form = Form(a.get("action") or self.path, (a.get("method") or "get").lower())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("type") == "file":
            self._form.files.add(a.get("name", ""))
        elif tag in ("input", "textarea", "button"):
            self._form.add(a.get("name", ""), a.get("value", ""))
        elif tag == "select":
            self._select = a.get("name", "")
        elif tag == "option" and self._select:
            self._form.add(self._select, a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = ""


@dataclass
class Found:
    """What the crawl found: real arguments per endpoint, the query names its links and filter
    forms use, and the forms that post to it."""

    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    query_names: dict[str, set[str]] = field(default_factory=dict)
    forms: dict[str, list[Form]] = field(default_factory=dict)

    def sample(self, endpoint: str, args: dict[str, Any]) -> None:
        known = self.samples.setdefault(endpoint, [])
        if args not in known and len(known) < 3:
            known.append(args)

    def form(self, endpoint: str, form: Form) -> None:
        known = self.forms.setdefault(endpoint, [])
        if len(known) < 3 and all(f.fields.keys() != form.fields.keys() for f in known):
            known.append(form)

    def other_values(self, endpoint: str, kind: type) -> list[Any]:
        """Arguments of other endpoints' real addresses: another kind's ids, or keys."""
        own = {v for s in self.samples.get(endpoint, []) for v in s.values()}
        values = {
            v
            for other, samples in self.samples.items()
            if other != endpoint
            for s in samples
            for v in s.values()
            if isinstance(v, kind) and v not in own
        }
        return sorted(values)


def _short(value: Any) -> str:
    if isinstance(value, str | bytes):
        return repr(value) if len(value) <= 24 else f"{value[:10]!r}…({len(value)} chars)"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _clip(url: str) -> str:
    return url if len(url) <= 120 else f"{url[:100]}…({len(url)} chars)"


class Walker:
    """One persona after a real launch through the development launcher (over HTTP), asking the
    same app through Flask's test client, which is faster, with the launch token in the address
    as the pages send it. Launched again when a request ended the launch. ``launch``: another
    way to launch (a deep-linking launch, another LMS), returning the launch token."""

    def __init__(
        self, app: Any, tool: str, key: str, launch: Callable[[], str] | None = None
    ) -> None:
        self.tool, self.key = tool, key
        self.launch = launch or (lambda: persona(tool, key).token)
        self.client = app.test_client()
        self.failures: list[str] = []
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.relaunch = True
        self._launch()

    def _launch(self) -> None:
        self.token = self.launch()
        page = self.client.get(self._url("/me/edit"), base_url=self.tool).get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, (self.key, page[:500])
        self.csrf = match.group(1)

    def _url(self, path: str) -> str:
        return f"{path}{'&' if '?' in path else '?'}lt={self.token}"

    def get(self, path: str, query: str = "") -> Any:
        return self._ask("GET", f"{path}?{query}" if query else path)

    def post(
        self,
        path: str,
        data: dict[str, Any],
        files: dict[str, bytes] | None = None,
        csrf: bool = True,
    ) -> Any:
        return self._ask("POST", path, data, files or {}, csrf)

    def _ask(
        self,
        method: str,
        url: str,
        data: dict[str, Any] | None = None,
        files: dict[str, bytes] | None = None,
        csrf: bool = True,
    ) -> Any:
        for attempt in range(2):
            if method == "GET":
                response = self.client.get(self._url(url), base_url=self.tool)
            else:
                form: dict[str, Any] = {"csrf_token": self.csrf} if csrf else {}
                form.update(data or {})
                for name, raw in (files or {}).items():
                    form[name] = (io.BytesIO(raw), "junk.csv", "text/csv")
                response = self.client.post(self._url(url), data=form, base_url=self.tool)
            if response.status_code != 401 or attempt or not self.relaunch:
                break
            self._launch()  # a request ended this launch (a deleted team, a disabled key...)
        self.statuses[method, response.status_code] += 1
        sent = {**(data or {}), **{f"{n} (file)": raw for n, raw in (files or {}).items()}}
        if method == "POST" and not csrf:
            sent["(no CSRF token)"] = ""
        self._check(method, url, sent, response)
        return response

    def _check(self, method: str, url: str, sent: dict[str, Any], response: Any) -> None:
        body = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
        if response.status_code < 500 and not any(
            words in body for words in ("Traceback", "Internal Server Error")
        ):
            return
        self.failures.append(
            f"{self.key}: {method} {_clip(url)}"
            + (f" {_short(sent)}" if sent else "")
            + f" -> {response.status_code}"
        )


def _match(adapter: MapAdapter, url: str, method: str) -> tuple[str, dict[str, Any], str] | None:
    """The endpoint, arguments and query (less the launch token) of one of Wayfinder's URLs."""
    parts = urlsplit(url)
    if (parts.netloc and parts.netloc != adapter.server_name) or parts.path.startswith(SKIP):
        return None
    try:
        endpoint, args = adapter.match(parts.path, method=method)
    except HTTPException:
        return None
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "lt"])
    return str(endpoint), args, query


def _kind_of_page(path: str) -> str:
    """Pages that differ only by their ids are one kind of page: the crawl opens one of each."""
    parts = urlsplit(path).path.rstrip("/").split("/")
    return "/".join("#" if ID.fullmatch(p) else p for p in parts)


def crawl(
    walker: Walker, adapter: MapAdapter, rules: list[Rule], found: Found, per_kind: int = 1
) -> None:
    """Follow the persona's links from home (and open every page that needs no id), noting the
    ids and keys in addresses (downloads' too, without fetching them) and the forms. Opens
    ``per_kind`` pages of each kind."""
    queue = ["/", *(r.rule for r in rules if not r.arguments and "GET" in (r.methods or ()))]
    seen: Counter[str] = Counter()
    opened: set[str] = set()
    while queue and len(opened) < CRAWL_PAGES * per_kind:
        path = queue.pop(0)
        if seen[_kind_of_page(path)] >= per_kind or path in opened:
            continue
        seen[_kind_of_page(path)] += 1
        opened.add(path)
        response = walker.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        page = PageParser(urlsplit(path).path)
        page.feed(response.get_data(as_text=True))
        for link, download in page.links:
            matched = _match(adapter, link, "GET")
            if matched:
                endpoint, args, query = matched
                found.sample(endpoint, args)
                found.query_names.setdefault(endpoint, set()).update(k for k, _ in parse_qsl(query))
                if not download:
                    queue.append(urlsplit(link).path + (f"?{query}" if query else ""))
        for form in page.forms:
            method = "POST" if form.method == "post" else "GET"
            matched = _match(adapter, form.action, method)
            if not matched:
                continue
            endpoint, args, query = matched
            found.sample(endpoint, args)
            if method == "GET":
                found.query_names.setdefault(endpoint, set()).update(form.fields)
            else:
                form.action = urlsplit(form.action).path + (f"?{query}" if query else "")
                found.form(endpoint, form)


def _fill(rule: Rule, args: dict[str, Any]) -> str:
    """The rule's path with ``args`` put in as they are (junk included), each percent-encoded."""
    return ARGUMENT.sub(lambda m: quote(str(args[m.group(2)]), safe=""), rule.rule)


def addresses(rule: Rule, found: Found) -> Iterator[tuple[str, bool]]:
    """The rule's real paths (flagged True), then paths with one argument at a time replaced:
    junk, another kind's id or key, or the same argument from another real path."""
    if not rule.arguments:
        yield rule.rule, True
        return
    real = found.samples.get(rule.endpoint, [])
    for args in real:
        yield _fill(rule, args), True
    base = real[0] if real else dict.fromkeys(rule.arguments, "1")
    converters = {m.group(2): m.group(1) or "default" for m in ARGUMENT.finditer(rule.rule)}
    seen: set[str] = set()
    for name in sorted(rule.arguments):
        if converters[name] == "int":
            junk = [*INT_JUNK, *found.other_values(rule.endpoint, int)[-2:]]
        else:
            junk = [*STRING_JUNK, *found.other_values(rule.endpoint, str)[:2]]
        for value in [*junk, *(args[name] for args in real[1:])]:
            path = _fill(rule, {**base, name: value})
            if path not in seen:
                seen.add(path)
                yield path, False


def forms_with_junk(
    form: Form, one_field: bool = True
) -> Iterator[tuple[dict[str, Any], dict[str, bytes]]]:
    """The form with every field the same junk, then with its own values but one field junk."""
    for junk in FIELD_JUNK:
        raw = junk.encode() if isinstance(junk, str) else BINARY_FILE
        yield dict.fromkeys(form.fields, junk), dict.fromkeys(form.files, raw)
    if not one_field:
        return
    own = form.own_values()
    for name in form.fields:
        for junk in ONE_FIELD_JUNK:
            yield {**own, name: junk}, {}


def _destructive(rule: Rule) -> bool:
    return any(word in rule.endpoint for word in DESTRUCTIVE)


def ask_addresses(walker: Walker, rules: list[Rule], found: Found) -> None:
    """Junk in addresses and query strings: these change nothing."""
    for rule in rules:
        if "GET" not in (rule.methods or ()):
            continue
        names = found.query_names.get(rule.endpoint, set())
        for path, real in addresses(rule, found):
            if walker.get(path).status_code in (403, 404) or not real:
                continue
            for junk in QUERY_JUNK:
                walker.get(path, urlencode(dict.fromkeys(sorted({*QUERY_NAMES, *names}), junk)))
            for name in sorted(names):
                for junk in ONE_NAME_JUNK:
                    walker.get(path, urlencode({name: junk}))


def post_forms(walker: Walker, rules: list[Rule], found: Found) -> None:
    """Empty forms at every address, one without the CSRF token, and the forms with junk."""
    for rule in rules:
        if "POST" not in (rule.methods or ()):
            continue
        paths = [path for path, _real in addresses(rule, found)]
        refused = [walker.post(path, {}).status_code == 403 for path in paths]
        forms = found.forms.get(rule.endpoint, [])
        walker.post(forms[0].action if forms else paths[0], {}, csrf=False)
        for form in forms:
            # A form not for this persona gets the junk, but one field at a time only when
            # the empty form was not refused (403) already.
            for data, files in forms_with_junk(form, one_field=not all(refused)):
                walker.post(form.action, data, files)


@pytest.mark.parametrize("who", [p.key for p in PERSONAS])
def test_wrong_input_never_answers_5xx(launcher: tuple[Any, str], who: str) -> None:
    app, tool = launcher
    adapter = app.url_map.bind(urlsplit(tool).netloc)
    rules = sorted(
        (r for r in app.url_map.iter_rules() if not r.rule.startswith(SKIP)), key=lambda r: r.rule
    )
    found = Found()
    walkers = {p.key: Walker(app, tool, p.key) for p in PERSONAS}
    for walker in sorted(walkers.values(), key=lambda w: w.key != who):
        crawl(walker, adapter, rules, found)
    walker = walkers[who]
    ask_addresses(walker, rules, found)
    post_forms(walker, [r for r in rules if not _destructive(r)], found)
    # What the forms made (a draft of a path, a plan item, a booking) has pages and forms the
    # demo's first state had not: look again, and ask what is new.
    again = Found()
    crawl(walker, adapter, rules, again, per_kind=8)
    new = [r for r in rules if r.endpoint in again.samples.keys() | again.forms.keys()]
    new = [r for r in new if r.endpoint not in found.samples.keys() | found.forms.keys()]
    for rule in new:
        found.samples[rule.endpoint] = again.samples.get(rule.endpoint, [])
        found.forms[rule.endpoint] = again.forms.get(rule.endpoint, [])
        found.query_names[rule.endpoint] = again.query_names.get(rule.endpoint, set())
    ask_addresses(walker, new, found)
    post_forms(walker, [r for r in new if not _destructive(r)], found)
    # What deletes, withdraws or switches off comes last.
    post_forms(walker, [r for r in rules if _destructive(r)], found)

    failures = [failure for w in walkers.values() for failure in w.failures]
    assert not failures, f"{len(failures)} answers of 5xx:\n" + "\n".join(failures)
    # The walk reached the app: forms were accepted (the CSRF token and launch held), and
    # refused with a form error or a plain 4xx.
    asked = walker.statuses
    assert asked["GET", 200] > 30 and asked["POST", 400] > 20, asked
    assert asked["POST", 303] > 0, asked


def test_a_forged_or_forgotten_launch_is_never_a_5xx(launcher: tuple[Any, str]) -> None:
    """Every address the admin and the trainer reach, asked with a launch token that is forged
    (or expired: both fail its signature check) or names a launch the store no longer has: the
    "open Wayfinder again" page, another 4xx or a page open to all, never a 5xx."""
    app, tool = launcher
    adapter = app.url_map.bind(urlsplit(tool).netloc)
    rules = sorted(
        (r for r in app.url_map.iter_rules() if not r.rule.startswith(SKIP)), key=lambda r: r.rule
    )
    found = Found()
    walkers = [Walker(app, tool, key) for key in ("dev", "chloe")]
    for walker in walkers:
        crawl(walker, adapter, rules, found)
    with app.app_context():
        forgotten = issue_token(new_launch_id())  # signed, but for no launch
    stale = walkers[0]
    stale.client = app.test_client()  # no cookie naming the launch either
    stale.relaunch = False
    stale.statuses.clear()
    for token in (walkers[0].token[:-4] + "AAAA", forgotten):
        stale.token = token
        for rule in rules:
            path = next(addresses(rule, found))[0]
            if "GET" in (rule.methods or ()):
                stale.get(path)
            if "POST" in (rule.methods or ()):
                stale.post(path, {})
    failures = [failure for w in walkers for failure in w.failures]
    assert not failures, f"{len(failures)} answers of 5xx:\n" + "\n".join(failures)
    # Pages say to open Wayfinder again; forms, whose CSRF token was the lost launch's, that
    # the form has expired.
    assert stale.statuses["GET", 401] > 100 and stale.statuses["POST", 400] > 100, stale.statuses
