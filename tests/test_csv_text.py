"""Uploaded CSV files as spreadsheets save them (lti_tool/csv_text.py)."""

from __future__ import annotations

import codecs

import pytest

from lti_tool import csv_text

ROWS = "email,date,csat\nana@example.com,2026-03-02,86\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (ROWS.encode(), ROWS),
        (codecs.BOM_UTF8 + "correo,año\n".encode(), "correo,año\n"),  # Excel's "CSV UTF-8"
        ("equipo,señal\n".encode("cp1252"), "equipo,señal\n"),  # Excel's plain "CSV" on Windows
        # Excel's "Unicode text": UTF-16 with a byte order mark, tab-separated.
        (
            "email\tcsat\nana@example.com\t86,5\n".encode("utf-16"),
            "email\tcsat\nana@example.com\t86,5\n",
        ),
        (codecs.BOM_UTF16_BE + "a;b\n".encode("utf-16-be"), "a;b\n"),
    ],
)
def test_spreadsheet_exports_are_read_as_text(data: bytes, expected: str) -> None:
    assert csv_text.decode(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04\x14\x00\x06\x00email,csat",  # an .xlsx file (a zip)
        "email,csat\n".encode("utf-16-le"),  # UTF-16 without its byte order mark
        codecs.BOM_UTF16_LE + b"\x00\x00a\x00",  # UTF-16 that holds a NUL character
        codecs.BOM_UTF16_LE + b"a",  # cut in half
    ],
)
def test_what_is_no_text_file_is_refused(data: bytes) -> None:
    assert csv_text.decode(data) is None


@pytest.mark.parametrize(
    ("text", "separator"),
    [
        ("email,date,csat\nana,2026-03-02,86\n", ","),
        ("email;date;csat\nana;2026-03-02;86,5\n", ";"),  # a comma-decimal region's "CSV"
        ("email\tdate\tcsat\n", "\t"),
        ('"last, first";email\n', ";"),  # a quoted comma is no separator
        ('"a;b",email\n', ","),
        ("email\n", ","),  # one column: nothing to tell, the default
        ("", ","),
    ],
)
def test_the_separator_is_the_header_line_s(text: str, separator: str) -> None:
    assert csv_text.separator(text) == separator
    reader, found = csv_text.reader(text)
    assert found == separator
    if text:
        assert len(next(reader)) >= 1
