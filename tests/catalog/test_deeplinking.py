"""Placing the catalog, or one catalog item, in a course through LTI Deep Linking: the LMS gets
a link (and for an item a gradebook column), and launching it opens the catalog or the item."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.tenancy import tenant_scope
from tests.catalog.test_search import add_item
from tests.community.conftest import text
from tests.deeplinking.test_deeplinking import (
    csrf,
    deep_link_as,
    launch_placed,
    moodle_settings,
    open_picker,
    picker_action,
    return_form,
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


def test_the_picker_searches_and_pages_through_a_catalog_of_thousands(
    clean_app: Any, lms: FakeLms, browser: Browser
) -> None:
    from sqlalchemy import insert

    from lti_tool.catalog.models import CatalogItem
    from lti_tool.lti.models import utcnow

    tenant = int(lms.registration_id)  # type: ignore[attr-defined]
    with clean_app.app_context(), tenant_scope(db.session, tenant):
        now = utcnow()
        db.session.execute(
            insert(CatalogItem),
            [
                {
                    "registration_id": tenant,
                    "source": "lms",
                    "external_id": str(n),
                    "title": f"Course {n:04d}",
                    "summary": "Speaking with customers." if n != 4321 else "Refund rules.",
                    "search_text": f"course {n:04d} "
                    + ("speaking with customers." if n != 4321 else "refund rules."),
                    "lms_format": "course",
                    "lms_enrolment": "manual",
                    "created_at": now,
                }
                for n in range(5000)
            ],
        )
        db.session.commit()
        far = db.session.scalar(select(CatalogItem.id).where(CatalogItem.title == "Course 4321"))
        last = db.session.scalar(select(CatalogItem.id).where(CatalogItem.title == "Course 4999"))
    deep_link_as(lms, [INSTRUCTOR], moodle_settings(lms))
    session = Browser()
    picker = open_picker(lms, session)
    assert "5,000 items, page 1 of 200" in text(picker)
    assert 'value="catalog:all"' in picker.text
    assert 'value="catalog:' + str(far) + '"' not in picker.text

    def post(page: Any, **data: Any) -> Any:
        return session.post(picker_action(page), data={"csrf_token": csrf(page), **data})

    # Paging: the last page holds the last title, far beyond the old limit of 200.
    page = post(picker, goto="catalog:200")
    assert page.status_code == 200 and "page 200 of 200" in text(page)
    assert f'value="catalog:{last}"' in page.text

    # Searching finds one item among 5,000.
    found = post(page, q_catalog="refund", action="search")
    assert "1 item matches “refund”" in text(found)
    assert f'value="catalog:{far}"' in found.text
    # Ticked, then searched again: the choice stays (listed as chosen elsewhere).
    kept = post(found, item=f"catalog:{far}", q_catalog="course 0001", action="search")
    assert "Chosen on another page or before your search" in text(kept)
    assert re.search(rf'value="catalog:{far}"[^>]*checked', kept.text)
    placed = post(kept, item=f"catalog:{far}", action="place")
    assert placed.status_code == 200, text(placed)[:400]
    assert "creates the link: Course 4321" in text(placed)
    action, token = return_form(placed)
    session.post(action, data={"JWT": token})
    assert lms.dl_errors == []
    (one,) = lms.dl_results[-1].items
    assert one["url"].endswith(f"/catalog/i/{far}")
    assert one["lineItem"]["resourceId"] == f"catalog:{far}"
