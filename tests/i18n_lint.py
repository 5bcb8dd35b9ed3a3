"""Finding text that a page shows but no catalog can translate.

Templates: the text between tags, the attributes people read or hear (title, alt, placeholder,
aria-label, data-label and any data-* holding a sentence) and string literals with a space in
them inside ``{{ }}`` and ``{% %}``, unless they are inside ``{% trans %}`` or an argument of
``_``, ``gettext``, ``ngettext`` or ``pgettext`` (or a date pattern given to ``date_text``). "Wayfinder" itself is a name and stays.

Python: literal strings (or f-strings) handed straight to ``flash``.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
NOT_TRANSLATED = ("devlauncher",)  # plays the LMS; not part of what a company installs
GETTEXT = {"_", "gettext", "ngettext", "pgettext", "npgettext", "_l"}
# Calls whose string arguments are date patterns, not text. strftime's are, unless they name
# months or days in English (%a %A %b %B %p): those belong in date_text.
PATTERNS = {"date_text"}
ENGLISH_NAMES = re.compile(r"%[aAbBpc]")
READ_ATTRIBUTES = {
    "title",
    "alt",
    "placeholder",
    "aria-label",
    "aria-roledescription",
    "aria-valuetext",
    "label",
    "data-label",
}
NAMES = {"Wayfinder"}
HOLE = "\x00"
LETTER = re.compile(r"[^\W\d_]")


def _has_text(value: str) -> bool:
    text = value.replace(HOLE, " ")
    for name in NAMES:
        text = text.replace(name, " ")
    return bool(LETTER.search(text))


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        for name, value in attrs:
            if not value:
                continue
            read = name in READ_ATTRIBUTES or (
                name.startswith("data-") and " " in value.replace(HOLE, "").strip()
            )
            if name == "value" and tag == "input" and values.get("type") in ("submit", "button"):
                read = True
            if read and _has_text(value):
                self.found.append(f'<{tag} {name}="{value.replace(HOLE, "…")}">')

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and _has_text(data):
            self.found.append(" ".join(data.replace(HOLE, "…").split()))


def _not_text(call: str, value: str) -> bool:
    if call == "strftime":
        return not ENGLISH_NAMES.search(value)
    return call in GETTEXT or call in PATTERNS


def untranslated_in_template(source: str) -> list[str]:
    env = jinja2.Environment(autoescape=True, extensions=["jinja2.ext.i18n", "jinja2.ext.do"])
    skeleton: list[str] = []
    found: list[str] = []
    in_trans = 0
    in_block = False
    tag: str | None = None
    previous: tuple[str, str] = ("", "")
    calls: list[str] = []
    for _lineno, kind, value in env.lex(source):
        if kind == "data":
            skeleton.append(HOLE if in_trans else value)
        elif kind in ("block_begin", "variable_begin"):
            skeleton.append(HOLE)
            in_block = kind == "block_begin"
            tag = None
            calls = []
        elif kind in ("block_end", "variable_end"):
            in_block = False
        elif kind == "name" and in_block and tag is None:
            tag = value
            if value == "trans":
                in_trans += 1
            elif value == "endtrans":
                in_trans -= 1
        elif kind == "operator" and value == "(":
            calls.append(previous[1] if previous[0] == "name" else "")
        elif kind == "operator" and value == ")":
            if calls:
                calls.pop()
        elif (
            kind == "string"
            and not in_trans
            and not (calls and _not_text(calls[-1], value))
            and " " in value.strip()
            and _has_text(value)
            and tag not in ("extends", "include")
        ):
            found.append(value)
        if kind not in ("whitespace",):
            previous = (kind, value)
    page = _Page()
    page.feed("".join(skeleton))
    page.close()
    return found + page.found


def untranslated_templates() -> dict[str, list[str]]:
    result = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        relative = path.relative_to(TEMPLATES)
        if relative.parts[0] in NOT_TRANSLATED:
            continue
        found = untranslated_in_template(path.read_text(encoding="utf-8"))
        if found:
            result[str(relative)] = found
    return result


def untranslated_flashes() -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for path in sorted((ROOT / "lti_tool").rglob("*.py")):
        if "devlauncher" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "flash"
                and node.args
                and isinstance(node.args[0], ast.Constant | ast.JoinedStr)
            ):
                relative = str(path.relative_to(ROOT))
                result.setdefault(relative, []).append(f"line {node.lineno}")
    return result


PY_GETTEXT = {
    "_",
    "_l",
    "gettext",
    "lazy_gettext",
    "ngettext",
    "lazy_ngettext",
    "pgettext",
    "lazy_pgettext",
    "N_",
    "Nn_",
}


def python_messages() -> dict[str, str]:
    """Every literal message handed to a gettext function in lti_tool, with where it is.

    Babel's extractor silently skips some calls (one inside an f-string, one nested in another
    call's arguments); comparing these with the catalog finds them."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "lti_tool").rglob("*.py")):
        if "devlauncher" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in PY_GETTEXT
                and node.args
            ):
                continue
            index = 1 if node.func.id.endswith("pgettext") else 0
            if len(node.args) > index:
                message = node.args[index]
                if isinstance(message, ast.Constant) and isinstance(message.value, str):
                    found[message.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found
