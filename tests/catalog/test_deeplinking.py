"""Placing the catalog, or one catalog item, in a course through LTI Deep Linking: the LMS gets
a link (and for an item a gradebook column), and launching it opens the catalog or the item."""

from __future__ import annotations

from typing import Any

from lti_tool.extensions import db
from lti_tool.tenancy import tenant_scope
from tests.catalog.test_search import add_item
from tests.deeplinking.test_deeplinking import (
    deep_link_as,
    launch_placed,
    moodle_settings,
    open_picker,
    round_trip,
)
from tests.harness import INSTRUCTOR, LEARNER, Browser, FakeLms, page_title


def test_the_catalog_and_one_item_can_be_placed(
    clean_app: Any, lms: FakeLms, browser: Browser, tool_server: str
) -> None:
    tenant = int(lms.registration_id)  # type: ignore[attr-defined]
    with clean_app.app_context(), tenant_scope(db.session, tenant):
        pk = add_item(tenant, "Calming angry customers", "Techniques for heated calls.")
        hidden = add_item(tenant, "Not for learners", hidden=True)
        db.session.commit()
    deep_link_as(lms, [INSTRUCTOR], moodle_settings(lms))
    picker = open_picker(lms, Browser())
    assert 'value="catalog:all"' in picker.text
    assert f'value="catalog:{pk}"' in picker.text
    assert f'value="catalog:{hidden}"' not in picker.text
    round_trip(lms, browser, ["catalog:all", f"catalog:{pk}"])
    assert lms.dl_errors == []
    whole, one = lms.dl_results[0].items
    assert whole["url"] == tool_server + "/catalog/"
    assert "lineItem" not in whole
    assert one["url"] == tool_server + f"/catalog/i/{pk}"
    assert one["custom"] == {"wayfinder_item": f"catalog:{pk}"}
    assert one["lineItem"]["scoreMaximum"] == 1.0
    assert one["lineItem"]["resourceId"] == f"catalog:{pk}"

    opened = launch_placed(lms, browser, one, [LEARNER])
    assert opened.status_code == 200
    assert page_title(opened) == "Calming angry customers"
    opened = launch_placed(lms, browser, whole, [LEARNER])
    assert page_title(opened) == "Catalog"
