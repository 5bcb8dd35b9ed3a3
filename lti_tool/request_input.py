"""What a request brings, made safe to store and look up before any view reads it.

- Text in query strings and forms comes without NUL characters, and so do the names of
  uploaded files (their contents stay as sent). Nobody types one, but a pasted text, a
  hand-edited address (``%00``) or a broken client can send it; SQLite keeps it, and PostgreSQL
  refuses any text holding one, which made every search box and text field (and the KPI import,
  which keeps the file's name) a 500 there. Dropping the invisible character keeps everything
  the person meant.
- JSON Wayfinder reads from an LMS (its dynamic registration answers, a launch's claims, and
  every REST, roster and grade service answer through ``adapters.http.read_json``) is cleaned
  the same way with ``adapters.http.json_without_nul``: no LMS means one either.
- ``<int:…>`` in an address matches only an id an integer column can hold: a longer number is
  no row (PostgreSQL refuses to compare a column with it), so the address is a plain 404.
- ``<…>`` (text) in an address never matches one holding a NUL: a 404 as well.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request
from werkzeug.datastructures import FileStorage, ImmutableMultiDict
from werkzeug.routing import IntegerConverter, Map, UnicodeConverter, ValidationError

from adapters.http import NUL

MAX_ID = 2**31 - 1  # PostgreSQL's integer


class TextWithoutNul(ImmutableMultiDict[str, Any]):
    """Query string and form values, NUL characters dropped; files keep their contents as sent,
    their names lose NUL characters too."""

    def __init__(self, mapping: Any = None) -> None:
        if isinstance(mapping, list):
            mapping = [(key.replace(NUL, ""), _without_nul(value)) for key, value in mapping]
        super().__init__(mapping)


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(NUL, "")
    if isinstance(value, FileStorage) and value.filename:
        value.filename = value.filename.replace(NUL, "")
    return value


class WayfinderRequest(Request):
    parameter_storage_class = TextWithoutNul


class RowIdConverter(IntegerConverter):
    """``<int:pk>``: a non-negative id that fits an integer column, else the address is a 404."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


class TextConverter(UnicodeConverter):
    """``<key>``: any text but a NUL character."""

    def to_python(self, value: str) -> str:
        if NUL in value:
            raise ValidationError()
        return value


def init_app(app: Flask) -> None:
    """Before any blueprint: rules take their converters when they are added."""
    app.request_class = WayfinderRequest
    app.url_map.converters.update(int=RowIdConverter, default=TextConverter, string=TextConverter)
