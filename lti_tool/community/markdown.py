"""Markdown to safe HTML, done once when a post or answer is saved (the HTML is stored beside
the source and shown as is).

Two layers, each enough on its own:

1. markdown-it-py in CommonMark mode with raw HTML off (``<script>`` arrives as text), images
   off (no picture from another site can track readers or pose as part of the page) and its
   link validation (no ``javascript:``, ``vbscript:``, ``file:`` or ``data:`` links).
2. nh3 (the ammonia sanitizer) with an allow-list: the tags Markdown makes, ``href`` on links
   only, the http/https/mailto schemes, no ``style``, ``class``, ``id`` or event attribute, and
   ``rel="nofollow noopener"`` on every link. Relative links are dropped too: a post cannot
   point at Wayfinder's own pages (which would carry the reader's launch token).

Headings are moved down two levels (``#`` becomes ``<h3>``) so a post never outranks the page's
own headings.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td", "span",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
ALLOWED_CLASSES = {"span": {"mention"}}
MENTION = re.compile(r"@\[([^\]\n]{1,120})\]")
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"
HEADING_SHIFT = 2

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.enable(["table", "strikethrough"])
_md.disable(["image", "html_inline", "html_block"])


def _shift_headings(tokens: list) -> None:  # type: ignore[type-arg]
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + HEADING_SHIFT, 6)
            token.tag = f"h{level}"


def _mark_mentions(tokens: list) -> None:  # type: ignore[type-arg]
    """``@[Name]`` in text (not in code) becomes ``<span class="mention">@Name</span>``."""
    for block in tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        for child in block.children:
            if child.type != "text" or "@[" not in child.content:
                children.append(child)
                continue
            pos = 0
            for match in MENTION.finditer(child.content):
                children.append(_text(child.content[pos : match.start()]))
                opening = Token("mention_open", "span", 1)
                opening.attrSet("class", "mention")
                children += [
                    opening,
                    _text("@" + match.group(1)),
                    Token("mention_close", "span", -1),
                ]
                pos = match.end()
            children.append(_text(child.content[pos:]))
        block.children = children


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def sanitize(html: str) -> str:
    """Keep only the allow-listed tags and attributes of an HTML fragment."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        # "*" empty: none of ammonia's default generic attributes (lang, title) either.
        attributes={"*": set(), **{k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()}},
        url_schemes=set(URL_SCHEMES),
        allowed_classes={k: set(v) for k, v in ALLOWED_CLASSES.items()},
        link_rel=LINK_REL,
        strip_comments=True,
        url_relative="deny",
    )


def render(source: str) -> str:
    """The sanitized HTML of a Markdown text."""
    env: dict[str, object] = {}
    tokens = _md.parse(source, env)
    _shift_headings(tokens)
    _mark_mentions(tokens)
    return sanitize(_md.renderer.render(tokens, _md.options, env))
