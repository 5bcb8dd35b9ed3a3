"""Odd numbers in addresses and forms across features, as the community's personas send them:
a superscript two or a 30-digit id is ignored or refused with the usual message, never a 500."""

from __future__ import annotations

import pytest

from tests.community.conftest import Session


@pytest.mark.parametrize("odd", ["\u00b2", "9" * 30])
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
