"""Numbers read from forms, query strings and HTTP headers.

``str.isdigit`` accepts "²" and "①", which ``int`` refuses, and any number of digits, which
the database's integer columns refuse: both made a wrong form or a hand-edited address a 500.
These read what was meant, or None, so the caller says what to fix.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_DIGITS = 9  # below 2**31: fits every integer column


def as_id(text: str | None) -> int | None:
    """A row id (or a page number): plain ASCII digits that fit an integer column, else None."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS else None


def page_number(text: str | None) -> int:
    """A page number from an address: 1 unless plain digits that fit (past the last page is
    each list's own business)."""
    return max(1, as_id(text) or 1)


def whole_number(text: str | None) -> int | None:
    """A whole number a person typed, else None. Decimal digits of any script count (30 typed in
    full-width digits is 30), as ``int`` reads them; "²" and "①" do not."""
    text = (text or "").strip()
    return int(text) if text.isdecimal() and len(text) <= MAX_DIGITS else None


def as_ids(texts: Iterable[str]) -> list[int]:
    """The row ids among several values (a form's checkboxes), in order; the rest left out."""
    return [pk for pk in map(as_id, texts) if pk is not None]
