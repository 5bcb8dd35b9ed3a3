"""Numbers from forms and addresses (``lti_tool.numbers``): "\u00b2", "\u2460" and 30-digit
ids are refused, never a 500 (``str.isdigit`` accepts them; ``int`` or the database does not)."""

from __future__ import annotations

from lti_tool.numbers import as_id, page_number, whole_number

SUPERSCRIPT_TWO, CIRCLED_ONE, FULL_WIDTH_30 = "\u00b2", "\u2460", "\uff13\uff10"
ODD = [SUPERSCRIPT_TWO, CIRCLED_ONE, "9" * 30, "-1", "1.5", " ", "x"]


def test_as_id_and_whole_number() -> None:
    assert as_id(" 42 ") == 42 and whole_number(" 42 ") == 42
    assert whole_number(FULL_WIDTH_30) == 30  # full-width digits, as int() reads them
    assert as_id(FULL_WIDTH_30) is None  # an id is plain ASCII
    for odd in ODD:
        assert as_id(odd) is None and whole_number(odd) is None, odd
    assert as_id(None) is None and whole_number("") is None
    assert as_id("999999999") == 999_999_999 and as_id("1234567890") is None


def test_page_number() -> None:
    assert page_number("3") == 3 and page_number(None) == 1 and page_number("0") == 1
    for odd in [*ODD, str(10**20)]:
        assert page_number(odd) == 1, odd
