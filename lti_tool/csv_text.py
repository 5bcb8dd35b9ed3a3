"""Uploaded CSV files as spreadsheets write them: their text and their separator.

Excel saves CSV in the encoding and with the separator of the computer's region settings:
"CSV UTF-8" (UTF-8 with a byte order mark), plain "CSV" (Windows-1252 on most Windows
computers), and "Unicode text" (UTF-16 with a byte order mark, fields separated by tabs). Where
the decimal mark is a comma (Spain, most of Latin America, much of Europe) its "CSV" separates
fields with semicolons. The HR import and the KPI import read all of these: ``decode`` gives the
text, ``reader`` reads it with the separator its header line uses.
"""

from __future__ import annotations

import codecs
import csv
import io
from typing import Any

SEPARATORS = (",", ";", "\t")


def decode(data: bytes) -> str | None:
    """The file's text, or None when it is no text file (a spreadsheet such as .xlsx, which is
    a zip, or an image): those hold NUL bytes, which no CSV export writes and PostgreSQL cannot
    keep as text. UTF-16 is recognised by its byte order mark, which Excel always writes."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    elif b"\x00" in data:
        return None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    return None if "\x00" in text else text


def separator(text: str) -> str:
    """The separator the header line uses: of comma, semicolon and tab, the one that splits it
    into the most fields (a comma when none splits it)."""
    first = text.split("\n", 1)[0]
    best, most = ",", 1
    for candidate in SEPARATORS:
        try:
            fields = next(csv.reader([first], delimiter=candidate), [])
        except csv.Error:
            continue
        if len(fields) > most:
            best, most = candidate, len(fields)
    return best


def reader(text: str) -> tuple[Any, str]:
    """A csv.reader over the text with its separator, and the separator."""
    found = separator(text)
    return csv.reader(io.StringIO(text), delimiter=found), found
