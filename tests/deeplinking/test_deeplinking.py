"""Deep Linking 2.0 round trips over real HTTP: a pretend LMS (lti1p3platform) sends an
LtiDeepLinkingRequest, the instructor picks in Wayfinder's picker (no cookies: the launch token
carries the launch), and the LMS validates the signed response at its return URL against
Wayfinder's JWKS. Then a launch of a placed link opens that item."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import jwt
import pytest
import requests

from lti_tool.deeplinking.content import ContentProvider, LineItem, Offer, content_registry
from lti_tool.devlauncher.platform import LaunchSpec, LaunchUser, deep_linking_settings
from tests.harness import (
    ADMIN,
    INSTRUCTOR,
    LEARNER,
    SYSADMIN,
    Browser,
    FakeLms,
    launch,
    page_title,
    problem_code,
)

CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"


def deep_link_as(lms: FakeLms, roles: list[str], settings: dict[str, Any]) -> None:
    lms.spec = LaunchSpec(
        user=LaunchUser("chloe", roles, "Chloe Chen", "chloe@example.com"),
        context_id="course-1",
        context_title="Call Handling 101",
        deep_linking=settings,
    )


def moodle_settings(lms: FakeLms) -> dict[str, Any]:
    """As Moodle 4.1 sends it: no data, accept_multiple true, accept_types ["ltiResourceLink"]."""
    return deep_linking_settings(lms.url + "/dl-return", accept_multiple=True)


def canvas_settings(lms: FakeLms, data: str) -> dict[str, Any]:
    """As Canvas's link selection sends it: a data string, one item, several accepted types."""
    return deep_linking_settings(
        lms.url + "/dl-return",
        accept_multiple=False,
        data=data,
        accept_types=("ltiResourceLink", "link", "file", "html", "image"),
        title="Wayfinder",
    )


def csrf(page: requests.Response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def picker_action(page: requests.Response) -> str:
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    return urljoin(page.url, html.unescape(action))


def choose(
    browser: Browser, picker: requests.Response, items: list[str], action: str = "place"
) -> requests.Response:
    return browser.post(
        picker_action(picker),
        data={"csrf_token": csrf(picker), "item": items, "action": action},
    )


def return_form(page: requests.Response) -> tuple[str, str]:
    action = html.unescape(
        re.search(r'id="deep-link-return" method="post" action="([^"]+)"', page.text).group(1)
    )  # type: ignore[union-attr]
    token = re.search(r'name="JWT" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    return action, token


def open_picker(lms: FakeLms, browser: Browser, status: int = 200) -> requests.Response:
    attempt = launch(browser, lms)
    assert attempt.launch is not None
    assert attempt.launch.status_code == status, attempt.launch.text[:2000]
    assert "/deeplinking/?lt=" in attempt.launch.headers["Content-Location"]
    # Third-party cookies blocked: nothing the tool set comes back from here on.
    browser.clear_cookies()
    return attempt.launch


def round_trip(
    lms: FakeLms, browser: Browser, items: list[str]
) -> tuple[requests.Response, requests.Response]:
    picker = open_picker(lms, browser)
    answer = choose(browser, picker, items)
    assert answer.status_code == 200, answer.text[:2000]
    action, token = return_form(answer)
    returned = browser.post(action, data={"JWT": token})
    return answer, returned


def test_moodle_shaped_round_trip_validated_by_the_platform(
    lms: FakeLms, browser: Browser, tool_server: str
) -> None:
    deep_link_as(lms, [INSTRUCTOR], moodle_settings(lms))
    picker = open_picker(lms, browser)
    assert page_title(picker) == "Add Wayfinder to your course"
    assert 'type="checkbox" name="item" value="home:home"' in picker.text  # accept_multiple
    assert 'value="roster:course"' in picker.text
    # Not-yet-built features are listed, but cannot be chosen.
    for coming in ("Learning path",):
        assert coming in picker.text
    assert 'value="path:' not in picker.text and picker.text.count("Coming soon") == 1
    assert 'value="community:space"' in picker.text  # lti_tool/community/content.py

    answer = choose(browser, picker, ["home:home", "roster:course"])
    assert answer.status_code == 200
    assert page_title(answer) == "Adding to your course"
    assert "Continue to the LMS" in answer.text  # works without JavaScript
    assert "deeplinking-return.js" in answer.text
    action, token = return_form(answer)
    assert action == lms.url + "/dl-return"
    returned = browser.post(action, data={"JWT": token})
    assert returned.status_code == 200, returned.text
    assert lms.dl_errors == []
    [result] = lms.dl_results
    assert [i["title"] for i in result.items] == ["Wayfinder", "Course roster (instructors)"]
    home, roster = result.items
    assert home["type"] == "ltiResourceLink"
    assert home["url"] == tool_server + "/"
    assert roster["url"] == tool_server + "/roster/"
    assert "lt=" not in home["url"] + roster["url"]  # no launch token in a placed link
    assert home["custom"] == {"wayfinder_item": "home:home"}
    assert roster["custom"] == {"wayfinder_item": "roster:course"}
    assert "lineItem" not in home
    assert "Learning paths" not in str(result.items)
    assert "data" not in str(result.claims.keys())  # Moodle sent none: none echoed
    assert result.message == "Added from Wayfinder: Wayfinder, Course roster (instructors)."
    header = jwt.get_unverified_header(token)
    jwks = requests.get(tool_server + "/lti/jwks", timeout=5).json()
    assert header["kid"] in [k["kid"] for k in jwks["keys"]]
    assert result.claims["exp"] - result.claims["iat"] == 600


def test_canvas_shaped_request_echoes_data_and_takes_one_item(
    lms: FakeLms, browser: Browser
) -> None:
    data = "eyJhbGciOiJIUzI1NiJ9.canvas-opaque.sig+/="
    deep_link_as(lms, [INSTRUCTOR], canvas_settings(lms, data))
    lms.dl_expected_data = data
    picker = open_picker(lms, browser)
    assert 'type="radio" name="item" value="home:home"' in picker.text
    two = choose(browser, picker, ["home:home", "roster:course"])
    assert two.status_code == 400
    assert "The LMS takes one item at a time here" in two.text
    answer = choose(browser, two, ["roster:course"])
    action, token = return_form(answer)
    assert browser.post(action, data={"JWT": token}).status_code == 200
    assert lms.dl_errors == []
    [result] = lms.dl_results
    assert result.data == data
    assert [i["custom"]["wayfinder_item"] for i in result.items] == ["roster:course"]


def test_object_data_is_echoed_unchanged(lms: FakeLms, browser: Browser) -> None:
    data = {"course": 7, "nested": {"a": [1, "two"]}, "padded": "  spaces  "}
    deep_link_as(lms, [INSTRUCTOR], deep_linking_settings(lms.url + "/dl-return", data=data))
    lms.dl_expected_data = data
    round_trip(lms, browser, ["home:home"])
    assert lms.dl_errors == []
    assert lms.dl_results[0].data == data


def test_cancel_returns_an_empty_response(lms: FakeLms, browser: Browser) -> None:
    deep_link_as(lms, [ADMIN, SYSADMIN], moodle_settings(lms))
    picker = open_picker(lms, browser)
    answer = choose(browser, picker, [], action="cancel")
    assert page_title(answer) == "Going back to the LMS"
    action, token = return_form(answer)
    assert browser.post(action, data={"JWT": token}).status_code == 200
    assert lms.dl_results[0].items == []
    assert lms.dl_results[0].message == "Nothing was added from Wayfinder."


def test_nothing_chosen_or_unknown_item_is_asked_again(lms: FakeLms, browser: Browser) -> None:
    deep_link_as(lms, [INSTRUCTOR], moodle_settings(lms))
    picker = open_picker(lms, browser)
    empty = choose(browser, picker, [])
    assert empty.status_code == 400
    assert "Choose what to add to the course" in empty.text
    forged = choose(browser, picker, ["path:sales-onboarding"])
    assert forged.status_code == 400
    assert "no longer available" in forged.text
    missing_csrf = browser.post(picker_action(picker), data={"item": ["home:home"]})
    assert missing_csrf.status_code == 400
    assert "This form has expired" in missing_csrf.text
    assert lms.dl_results == []


def test_learner_is_refused_kindly(lms: FakeLms, browser: Browser) -> None:
    deep_link_as(lms, [LEARNER], moodle_settings(lms))
    page = open_picker(lms, browser, status=403)
    assert page_title(page) == "Only instructors can add Wayfinder to a course"
    assert "Go to your Wayfinder home" in page.text
    assert 'name="item"' not in page.text
    # Posting anyway is refused too.
    forced = browser.post(picker_action_from_url(page), data={"item": ["home:home"]})
    assert forced.status_code in (400, 403)
    assert "JWT" not in forced.text


def picker_action_from_url(page: requests.Response) -> str:
    return urljoin(page.url, page.headers["Content-Location"])


@pytest.mark.parametrize(
    ("settings", "detail"),
    [
        (
            {
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe"],
            },
            "no deep_link_return_url",
        ),
        (
            {
                "deep_link_return_url": "javascript:alert(1)",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe"],
            },
            "is not an http(s) address",
        ),
        (
            {
                "deep_link_return_url": "https://evil.example.net/collect",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe"],
            },
            "not an origin registered for this LMS",
        ),
        ("link-only", "does not include ltiResourceLink"),
    ],
    ids=["missing", "not http", "foreign origin", "no ltiResourceLink"],
)
def test_bad_return_url_or_types_refused_with_a_clear_page(
    settings: Any, detail: str, lms: FakeLms, browser: Browser
) -> None:
    if settings == "link-only":
        settings = deep_linking_settings(lms.url + "/dl-return", accept_types=("link",))
    deep_link_as(lms, [INSTRUCTOR], settings)
    attempt = launch(browser, lms)
    page = attempt.final
    assert page.status_code == 400
    assert problem_code(page) == "deep_linking_invalid"
    assert page_title(page) == "The LMS asked for content in a way Wayfinder cannot answer"
    assert detail in html.unescape(page.text)
    assert "Nothing was added" in page.text


def test_resource_link_launch_cannot_open_the_picker(lms: FakeLms, browser: Browser) -> None:
    lms.spec = LaunchSpec(user=LaunchUser("chloe", [INSTRUCTOR], "Chloe", None), context_id="c1")
    home = launch(browser, lms).launch
    assert home is not None and page_title(home) == "Welcome, Chloe"
    token = home.headers["Content-Location"].split("lt=")[1]
    page = browser.get(lms.tool_url + "/deeplinking/?lt=" + token)
    assert page.status_code == 400
    assert page_title(page) == "Adding content starts in your LMS"


def launch_placed(
    lms: FakeLms, browser: Browser, item: dict[str, Any], roles: list[str]
) -> requests.Response:
    lms.spec = LaunchSpec(
        user=LaunchUser("chloe", roles, "Chloe Chen", None),
        context_id="course-1",
        context_title="Call Handling 101",
        resource_link_id="placed-1",
        resource_link_title=item["title"],
        target_link_uri=item["url"],
        custom=item["custom"],
    )
    attempt = launch(browser, lms, target_link_uri=item["url"])
    assert attempt.launch is not None
    return attempt.launch


def test_a_placed_link_opens_its_item(lms: FakeLms, browser: Browser, tool_server: str) -> None:
    deep_link_as(lms, [INSTRUCTOR], moodle_settings(lms))
    round_trip(lms, browser, ["home:home", "roster:course"])
    home, roster = lms.dl_results[0].items
    opened = launch_placed(lms, browser, roster, [INSTRUCTOR])
    assert opened.status_code == 200, opened.text[:1000]
    assert opened.headers["Content-Location"].startswith("/roster/?lt=")
    assert page_title(opened) == "Course roster"
    opened = launch_placed(lms, browser, home, [LEARNER])
    assert opened.headers["Content-Location"].startswith("/?lt=")
    assert page_title(opened) == "Welcome, Chloe Chen"
    # A learner launching the roster link meets the roster's own role check.
    refused = launch_placed(lms, browser, roster, [LEARNER])
    assert refused.status_code == 403


def test_custom_parameter_alone_opens_the_item(lms: FakeLms, browser: Browser) -> None:
    """An LMS that launches placed links at the tool's launch URL still reaches the item."""
    item = {
        "title": "Roster",
        "url": lms.tool_url + "/lti/launch",
        "custom": {"wayfinder_item": "roster:course"},
    }
    opened = launch_placed(lms, browser, item, [INSTRUCTOR])
    assert opened.headers["Content-Location"].startswith("/roster/?lt=")
    item["custom"] = {"wayfinder_item": "nothing:here"}
    opened = launch_placed(lms, browser, item, [INSTRUCTOR])
    assert opened.headers["Content-Location"].startswith("/?lt=")


@pytest.fixture
def graded_provider(app: Any) -> Iterator[None]:
    """A provider with a line item, as learning paths will register (the extension point)."""
    provider = ContentProvider(
        kind="quiz",
        title="Quiz",
        description="A graded check.",
        offers=lambda ctx: [
            Offer(
                kind="quiz",
                item_id="q1",
                title="Call opening check",
                text="Five questions.",
                endpoint="home.profile",
                custom={"quiz": "q1"},
                line_item=LineItem(
                    10, "Call opening check", tag="wayfinder-quiz", resource_id="quiz:q1"
                ),
            )
        ],
        route=lambda item_id: ("home.profile", {}) if item_id == "q1" else None,
    )
    content_registry(app).register(provider)
    yield
    content_registry(app).unregister("quiz")


@pytest.mark.usefixtures("graded_provider")
def test_line_item_and_custom_parameters_reach_the_platform(
    lms: FakeLms, browser: Browser, tool_server: str
) -> None:
    deep_link_as(lms, [INSTRUCTOR], moodle_settings(lms))
    picker = open_picker(lms, browser)
    assert "Graded · out of 10" in picker.text
    action, token = return_form(choose(browser, picker, ["quiz:q1"]))
    browser.post(action, data={"JWT": token})
    [item] = lms.dl_results[0].items
    assert item["url"] == tool_server + "/me"
    assert item["custom"] == {"quiz": "q1", "wayfinder_item": "quiz:q1"}
    assert item["lineItem"] == {
        "scoreMaximum": 10,
        "label": "Call opening check",
        "tag": "wayfinder-quiz",
        "resourceId": "quiz:q1",
    }


@pytest.mark.usefixtures("graded_provider")
def test_no_line_item_when_the_platform_ignores_them(lms: FakeLms, browser: Browser) -> None:
    settings = moodle_settings(lms)
    settings["accept_lineitem"] = False
    deep_link_as(lms, [INSTRUCTOR], settings)
    round_trip(lms, browser, ["quiz:q1"])
    assert "lineItem" not in lms.dl_results[0].items[0]


def test_a_forged_response_is_refused_by_the_platform(lms: FakeLms, browser: Browser) -> None:
    """The platform's check can fail: a response signed with another key is refused."""
    deep_link_as(lms, [INSTRUCTOR], moodle_settings(lms))
    answer = choose(browser, open_picker(lms, browser), ["home:home"])
    action, token = return_form(answer)
    claims = jwt.decode(token, options={"verify_signature": False})
    claims[CONTENT_ITEMS][0]["url"] = "https://evil.example.net/"
    forged = jwt.encode(
        claims, lms.private_pem, algorithm="RS256", headers=jwt.get_unverified_header(token)
    )
    assert browser.post(action, data={"JWT": forged}).status_code == 400
    assert lms.dl_results == [] and "Signature" in lms.dl_errors[0]


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://moodle.example.com", True),
        ("https://school.instructure.com", True),
        ("https://school.beta.instructure.com", True),
        ("http://school.instructure.com", False),
        ("https://instructure.com.evil.net", False),
        ("https://evilinstructure.com", False),
        ("https://moodle.example.com:8443", False),
    ],
)
def test_return_url_origins_match_as_the_csp_does(origin: str, allowed: bool) -> None:
    from lti_tool.deeplinking.settings import origin_allowed

    registered = ["https://moodle.example.com", "https://*.instructure.com"]
    assert origin_allowed(origin, registered) is allowed
