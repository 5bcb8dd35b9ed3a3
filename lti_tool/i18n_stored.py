"""English stored as written, said again in the page's language when shown.

Some text is written once, in English, and read later by many: a job's messages (the job list,
logs and the command line read them as stored), who set a job role and why, a badge's evidence
(the exported badge carries it). Each is marked with ``N_`` / ``Nn_`` where it is defined, written
with ``written()`` and shown with ``said_again()``, which reads the message sentence by sentence,
finds the marked sentence each was written from and says it in the page's language with the same
values. A sentence no marked one matches (the LMS's own words, an older wording) is shown as
stored.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache

from lti_tool.i18n import _, date_text, ngettext


def written(forms: tuple[str, ...], **values: object) -> str:
    """The English a marked message (``N_`` / ``Nn_``, a count as ``num``) is stored as."""
    if len(forms) == 2:
        return (forms[0] if values["num"] == 1 else forms[1]) % values
    return forms[0] % values


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
_NEXT_SENTENCE = re.compile(r"(?<=[.;:])\s+")


def _regex(english: str) -> re.Pattern[str]:
    pieces = _PLACEHOLDER.split(english)
    parts = []
    for n, piece in enumerate(pieces):
        if n % 2 == 0:
            parts.append(re.escape(piece))
        elif n == len(pieces) - 2 and not pieces[-1]:
            parts.append(f"(?P<{piece}>.+)$")  # a value ending the message (a name) runs to its end
        else:
            parts.append(f"(?P<{piece}>.+?)")
    return re.compile("".join(parts) + r"(?=\s|$)")


@cache
def _patterns(
    sentences: tuple[tuple[str, ...], ...],
) -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    return tuple((_regex(english), forms) for forms in sentences for english in forms)


def _say(forms: tuple[str, ...], values: dict[str, str], dates: dict[str, tuple[str, str]]) -> str:
    for name, (stored, shown_as) in dates.items():
        if name in values:
            try:
                day = datetime.strptime(values[name], stored).date()
            except ValueError:
                continue
            values[name] = date_text(day, shown_as)
    if len(forms) == 2:
        try:
            num = int(values.pop("num"))
        except (KeyError, ValueError):
            return ""
        return ngettext(forms[0], forms[1], num, **values)
    return _(forms[0], **values)


def said_again(
    message: str | None,
    sentences: tuple[tuple[str, ...], ...],
    dates: dict[str, tuple[str, str]] | None = None,
) -> str:
    """The stored message in the page's language, sentence by sentence (``sentences``: the
    marked English it may have been written from). ``dates`` names the values that are dates:
    {value: (strftime pattern as stored, date_text pattern to show)}."""
    if not message:
        return ""
    out: list[str] = []
    rest = message.strip()
    while rest:
        for pattern, forms in _patterns(sentences):
            match = pattern.match(rest)
            said = _say(forms, match.groupdict(), dates or {}) if match else ""
            if match and said:
                out.append(said)
                rest = rest[match.end() :].lstrip()
                break
        else:
            boundary = _NEXT_SENTENCE.search(rest)
            cut = boundary.start() if boundary else len(rest)
            out.append(rest[:cut])
            rest = rest[boundary.end() :] if boundary else ""
    return " ".join(out)
