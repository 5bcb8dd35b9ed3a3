"""The Markdown renderer and the sanitizer, each on its own, against the XSS corpus."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from lti_tool.community import markdown
from tests.community.xss_corpus import PAYLOADS


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_safe(fragment: str) -> None:
    parser = _Collect()
    parser.feed(fragment)
    for tag, attrs in parser.tags:
        assert tag in markdown.ALLOWED_TAGS, (tag, fragment)
        for name, value in attrs:
            allowed = markdown.ALLOWED_ATTRIBUTES.get(tag, set()) | (
                {"rel"} if tag == "a" else set()
            )
            if name == "class":
                assert value in markdown.ALLOWED_CLASSES.get(tag, set()), (tag, value, fragment)
                continue
            assert name in allowed, (tag, name, fragment)
            if name == "href":
                assert value is not None
                scheme = urlsplit(html.unescape(value)).scheme.lower()
                assert scheme in markdown.URL_SCHEMES, (value, fragment)
            if name == "rel":
                assert value == "nofollow noopener"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_rendered_markdown_is_safe(payload: str) -> None:
    assert_safe(markdown.render(payload))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_sanitizer_alone_strips_raw_html(payload: str) -> None:
    """Even if Markdown let raw HTML through, nh3 would leave nothing that runs."""
    out = markdown.sanitize(payload)
    assert_safe(out)
    assert "window.__xss" not in out or "<script" not in out.lower()


def test_markdown_still_works() -> None:
    out = markdown.render(
        "# Title\n\nSome **bold**, *em*, `code`, ~~old~~ and [a link](https://kb.example.com/x).\n\n"
        "1. one\n2. two\n\n> quote\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    assert "<h3>Title</h3>" in out
    assert "<strong>bold</strong>" in out and "<em>em</em>" in out and "<code>code</code>" in out
    assert "<s>old</s>" in out and "<blockquote>" in out and "<table>" in out
    assert '<a href="https://kb.example.com/x" rel="nofollow noopener">a link</a>' in out
    assert "<ol>" in out


def test_no_images_raw_html_or_relative_links() -> None:
    assert "<img" not in markdown.render("![pixel](https://tracker.example/p.gif)")
    assert "&lt;b&gt;" in markdown.render("<b>raw</b>")
    # A relative link would carry the reader's launch token to a Wayfinder page: dropped.
    assert "href" not in markdown.render("[admin](/admin/keys)")
    assert "href" not in markdown.render("[proto](//evil.example/)")
    assert 'href="mailto:help@example.com"' in markdown.render("[mail](mailto:help@example.com)")


def test_mentions_are_marked_outside_code_only() -> None:
    out = markdown.render("Ask @[Ana Alvarez] but not `@[code]`, or @[<b>x</b>].")
    assert '<span class="mention">@Ana Alvarez</span>' in out
    assert "<code>@[code]</code>" in out
    assert '<span class="mention">@&lt;b&gt;x&lt;/b&gt;</span>' in out
    assert markdown.sanitize('<span class="mention x" onclick="y">s</span>') == (
        '<span class="mention">s</span>'
    )
