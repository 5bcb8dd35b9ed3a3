"""What a request brings (``lti_tool.request_input``): NUL characters never reach a view, and ids
or keys no row can have are a 404. On PostgreSQL both were 500s: it refuses text holding a NUL
and integers past its integer columns, where SQLite takes anything."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import request
from werkzeug.exceptions import NotFound

from tests.community.conftest import launcher, persona
from tests.community.conftest import text as page_text

__all__ = ["launcher"]  # the fixture, imported for this module's tests

HUGE = str(10**12)


def test_nul_characters_are_dropped_from_query_strings_forms_and_file_names(app: Any) -> None:
    with app.test_request_context(
        "/?q=bil%00ling&pa%00ge=2",
        method="POST",
        data={
            "title": "Re\x00funds",
            "tags": ["a\x00", "b"],
            "file": (io.BytesIO(b"x\x00y"), "kp\x00is.csv"),
        },
    ):
        assert request.args["q"] == "billing" and request.args["page"] == "2"
        assert request.form["title"] == "Refunds"
        assert request.form.getlist("tags") == ["a", "b"]
        assert request.files["file"].read() == b"x\x00y"  # files stay as sent
        assert request.files["file"].filename == "kpis.csv"  # their names do not


@pytest.mark.parametrize(
    "path",
    [f"/catalog/i/{HUGE}", f"/community/p/{2**31}", "/feedback/i/step/a%00b"],
)
def test_addresses_no_row_can_match_are_not_found(app: Any, path: str) -> None:
    adapter = app.url_map.bind("localhost")
    with pytest.raises(NotFound):
        adapter.match(path.replace("%00", "\x00"), method="GET")


def test_largest_integer_id_still_matches(app: Any) -> None:
    endpoint, args = app.url_map.bind("localhost").match(f"/catalog/i/{2**31 - 1}")
    assert endpoint == "catalog.item" and args == {"pk": 2**31 - 1}


def test_wrong_input_reaches_the_database_plainly(launcher: tuple[Any, str]) -> None:
    _app, tool = launcher
    ana = persona(tool, "ana")
    for path in (f"/catalog/i/{HUGE}", f"/community/p/{HUGE}", f"/paths/people/{HUGE}"):
        assert ana.get(path).status_code == 404, path
    assert ana.post(f"/catalog/i/{HUGE}/plan").status_code == 404
    for path in ("/catalog/?q=%00", "/community/?q=ti%00p", "/voice/?q=%00"):
        assert ana.get(path).status_code == 200, path
    assert ana.get("/feedback/i/step/%00").status_code == 404
    saved = ana.post("/me/edit", {"preferred_name": "An\x00nie"})
    assert saved.status_code == 303, saved.status_code
    assert "Annie" in page_text(ana.follow(saved))
