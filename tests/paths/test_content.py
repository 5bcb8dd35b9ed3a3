"""Learning paths in the deep-linking picker, and where a launch of a placed path goes: the
instructor to the path's page, the learner to their own path or step, others to a plain
explanation. Another tenant's paths are neither offered nor opened."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

import requests
from sqlalchemy import select

from lti_tool.devlauncher.platform import LaunchSpec, LaunchUser
from lti_tool.extensions import db
from lti_tool.lti.context import AGS
from lti_tool.lti.models import Registration
from lti_tool.paths.placements import PathPlacement
from lti_tool.tenancy import tenant_scope
from tests.deeplinking.test_deeplinking import (
    choosable,
    choose,
    deep_link_as,
    moodle_settings,
    open_picker,
    picker_action,
    return_form,
)
from tests.harness import INSTRUCTOR, LEARNER, Browser, FakeLms, launch, page_title
from tests.paths.placing import published_path


def other_tenant_path(app: Any) -> int:
    with app.app_context():
        reg = Registration(
            issuer="https://other.example.com",
            client_id="other",
            name="Other LMS",
            auth_login_url="https://other.example.com/auth",
            key_set_url="https://other.example.com/jwks",
        )
        db.session.add(reg)
        db.session.commit()
        reg_id = reg.id
    pid, _ = published_path(app, reg_id, ("Secret step",), title="Other company's path")
    return pid


def follow(browser: Browser, page: requests.Response) -> requests.Response:
    for _ in range(5):
        if page.status_code not in (301, 302, 303):
            break
        page = browser.get(urljoin(page.url, page.headers["Location"]))
    return page


def launch_link(
    lms: FakeLms,
    item_id: str,
    roles: list[str],
    *,
    sub: str = "lee",
    job_role: str = "Tier 1 agent",
    context_id: str = "course-1",
    claims: dict[str, Any] | None = None,
) -> requests.Response:
    url = f"{lms.tool_url}/paths/placed/{item_id}"
    lms.spec = LaunchSpec(
        user=LaunchUser(sub, roles, sub.title() + " Example", None),
        context_id=context_id,
        context_title="Call Handling 101",
        resource_link_id=f"link-{item_id}",
        resource_link_title="Placed path",
        target_link_uri=url,
        custom={"wayfinder_item": f"path:{item_id}", "job_role": job_role},
        extra_claims=claims or {},
    )
    browser = Browser()
    attempt = launch(browser, lms, target_link_uri=url)
    assert attempt.launch is not None
    browser.clear_cookies()  # third-party cookies blocked
    return follow(browser, attempt.launch)


def test_the_picker_offers_published_paths_and_their_steps(
    app: Any, lms: FakeLms, browser: Browser, tool_server: str
) -> None:
    reg_id = lms.registration_id  # type: ignore[attr-defined]
    pid, keys = published_path(app, reg_id)
    foreign = other_tenant_path(app)
    deep_link_as(lms, [INSTRUCTOR], moodle_settings(lms))
    picker = open_picker(lms, browser)
    offered = choosable(picker)
    assert f"path:{pid}" in offered
    assert [f"path:{pid}.{key}" for key in keys] == [k for k in offered if "." in k]
    assert not [k for k in offered if k.startswith(f"path:{foreign}")]
    assert "Other company" not in picker.text
    assert "Graded · out of 100" in picker.text  # the whole path
    # Each step may get its own column: a tick box, labelled with the step.
    assert picker.text.count('name="graded"') == 3
    assert (
        'With its own gradebook column (out of 100)<span class="visually-hidden"> for '
        "“Billing basics”" in picker.text
    )
    assert "Tier 1 agent: first 90 days: one step on its own (3)" in picker.text

    # Forgetting to choose keeps the ticks; then the answer carries what was ticked.
    step = f"path:{pid}.{keys[1]}"
    again = browser.post(
        picker_action(picker),
        data={"csrf_token": csrf_of(picker), "graded": [step], "action": "place"},
    )
    assert again.status_code == 400
    assert f'value="{step}" checked' in again.text
    action, token = return_form(choose(browser, picker, [f"path:{pid}", step]))
    assert browser.post(action, data={"JWT": token}).status_code == 200
    items = lms.dl_results[0].items
    assert [("lineItem" in i) for i in items] == [True, False]  # the step was not ticked here
    with app.app_context(), tenant_scope(db.session, reg_id):
        rows = list(db.session.scalars(select(PathPlacement).order_by(PathPlacement.id)))
        assert [(r.item_key, r.graded, r.placed_by) for r in rows] == [
            (f"path:{pid}", True, "Chloe Chen"),
            (step, False, "Chloe Chen"),
        ]


def csrf_of(page: requests.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def test_a_placed_path_opens_the_right_page_for_each_person(app: Any, lms: FakeLms) -> None:
    reg_id = lms.registration_id  # type: ignore[attr-defined]
    pid, keys = published_path(app, reg_id)

    chloe = launch_link(lms, str(pid), [INSTRUCTOR], sub="chloe", job_role="")
    assert chloe.status_code == 200 and f"/paths/manage/{pid}?" in chloe.url
    assert page_title(chloe) == "Tier 1 agent: first 90 days"

    lee = launch_link(lms, str(pid), [LEARNER])
    assert lee.status_code == 200 and page_title(lee) == "My path"
    assert "/paths/?lt=" in lee.url and "Billing basics" in lee.text

    step = launch_link(lms, f"{pid}.{keys[1]}", [LEARNER])
    assert step.status_code == 200 and page_title(step) == "Billing basics"
    assert "/paths/a/" in step.url

    gone = launch_link(lms, f"{pid}.deadbeef0000", [LEARNER])
    assert page_title(gone) == "My path"
    assert "That step is not in your version of the path" in gone.text

    # Someone in another job role: told plainly, with where to go.
    sam = launch_link(lms, str(pid), [LEARNER], sub="sam", job_role="Team lead")
    assert sam.status_code == 200 and page_title(sam) == "Tier 1 agent: first 90 days"
    assert "This path is not assigned to you" in sam.text
    assert "Tier 1 agent" in sam.text and "Go to My path" in sam.text


def test_another_tenants_path_and_nonsense_are_not_opened(app: Any, lms: FakeLms) -> None:
    published_path(app, lms.registration_id)  # type: ignore[attr-defined]
    foreign = other_tenant_path(app)
    page = launch_link(lms, str(foreign), [INSTRUCTOR], job_role="")
    assert page.status_code == 404
    assert page_title(page) == "Learning path not found"
    assert "Secret step" not in page.text and "Other company" not in page.text
    # Not a path item at all: the custom parameter names nothing, the page URL is unknown.
    odd = launch_link(lms, "12;drop", [LEARNER])
    assert odd.status_code == 404


def test_a_copied_course_records_its_placement_at_the_first_launch(app: Any, lms: FakeLms) -> None:
    """The LMS copied the course with its activities: the first launch from the copy tells
    Wayfinder the path is placed there, graded when the launch carries a line item."""
    reg_id = lms.registration_id  # type: ignore[attr-defined]
    pid, _keys = published_path(app, reg_id)
    ags = {
        AGS: {
            "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
            "lineitems": "https://lms.example.com/ags/copy/lineitems",
            "lineitem": "https://lms.example.com/ags/copy/lineitems/9/lineitem",
        }
    }
    page = launch_link(lms, str(pid), [LEARNER], context_id="course-copy", claims=ags)
    assert page_title(page) == "My path"
    launch_link(lms, str(pid), [LEARNER], context_id="course-copy", claims=ags)
    with app.app_context(), tenant_scope(db.session, reg_id):
        [row] = db.session.scalars(select(PathPlacement))
        assert row.item_key == f"path:{pid}" and row.graded
        assert row.resource_link_id == f"link-{pid}" and row.confirmed_at is not None


def test_an_lms_that_ignores_line_items_gets_none_and_nothing_is_graded(
    app: Any, lms: FakeLms, browser: Browser
) -> None:
    reg_id = lms.registration_id  # type: ignore[attr-defined]
    pid, _keys = published_path(app, reg_id)
    settings = moodle_settings(lms)
    settings["accept_lineitem"] = False
    deep_link_as(lms, [INSTRUCTOR], settings)
    action, token = return_form(choose(browser, open_picker(lms, browser), [f"path:{pid}"]))
    assert browser.post(action, data={"JWT": token}).status_code == 200
    assert "lineItem" not in lms.dl_results[0].items[0]
    with app.app_context(), tenant_scope(db.session, reg_id):
        [row] = db.session.scalars(select(PathPlacement))
        assert row.graded is False  # no column: no score is recorded for it
