"""Numbers from forms and addresses: "²", "①" and 30-digit ids are refused or ignored with a
message, never a 500 (``str.isdigit`` accepts them; ``int`` or the database does not)."""

from __future__ import annotations

from typing import Any

import pytest

from lti_tool.numbers import as_id, whole_number
from tests.community.conftest import (  # noqa: F401 (fixtures)
    Session,
    ana,
    ben,
    chloe,
)

ODD = ["²", "①", "9" * 30, "-1", "1.5", " ", "x"]


def test_as_id_and_whole_number() -> None:
    assert as_id(" 42 ") == 42 and whole_number(" 42 ") == 42
    assert whole_number("３０") == 30  # full-width digits, as int() reads them
    assert as_id("３０") is None  # an id is plain ASCII
    for odd in ODD:
        assert as_id(odd) is None and whole_number(odd) is None, odd
    assert as_id(None) is None and whole_number("") is None
    assert as_id("999999999") == 999_999_999 and as_id("1234567890") is None


@pytest.mark.parametrize("odd", ["²", "9" * 30])
def test_odd_numbers_in_addresses_and_forms_are_not_errors(
    odd: str, ana: Session, ben: Session, chloe: Session
) -> None:
    # Filters and pages in addresses: ignored.
    for path in (
        f"/catalog/?level={odd}&skill={odd}&page={odd}",
        f"/paths/team?page={odd}",
        f"/leaders/scorecard?period={odd}&page={odd}",
    ):
        page = ben.get(path)
        assert page.status_code in (200, 403), (path, page.status_code)
    assert ana.get(f"/catalog/?level={odd}&skill={odd}").status_code == 200
    # Forms: refused with a message, or a plain 400 for a form no page draws that way.
    dismissed = ana.post("/paths/suggestions/dismiss", {"path_id": odd, "step_key": "k"})
    assert dismissed.status_code == 400
    rated = ana.post("/feedback/rate", {"kind": "catalog_item", "subject_id": odd, "stars": odd})
    assert rated.status_code in (400, 404), rated.status_code
    mapped = chloe.post("/roles/unmatched/map", {"value": "Agent II", "role_id": odd})
    assert mapped.status_code == 303
    assert "Choose the job role this LMS value means." in chloe.follow(mapped).text
