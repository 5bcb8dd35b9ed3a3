"""End-to-end launches over real HTTP from a pretend LMS built on lti1p3platform."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lti_tool.devlauncher.platform import LaunchSpec, LaunchUser
from lti_tool.extensions import db
from lti_tool.lti.context import LAUNCH_PRESENTATION
from lti_tool.lti.platform_keys import _parsed
from lti_tool.people.models import Course, Membership, Person
from tests.conftest import add_registration
from tests.harness import (
    ADMIN,
    INSTRUCTOR,
    LEARNER,
    LIS,
    MANAGER,
    SYSADMIN,
    Browser,
    FakeLms,
    form_fields,
    launch,
    page_title,
    problem_code,
)


def home_after(browser: Browser, lms: FakeLms, attempt):
    assert attempt.launch is not None
    # The launch is answered with its page, which names its own URL (with the launch token).
    assert attempt.launch.status_code == 200, attempt.launch.text[:2000]
    location = attempt.launch.headers["Content-Location"]
    assert "lt=" in location
    assert f'data-url="{location.replace("&", "&amp;")}"' in attempt.launch.text
    return attempt.launch


def test_learner_launch_lands_on_learner_home(lms: FakeLms, browser: Browser) -> None:
    page = home_after(browser, lms, launch(browser, lms))
    assert page.status_code == 200
    assert page_title(page) == "Welcome, Lee Learner"
    assert "Your next step" in page.text
    assert "Learning paths by job role" not in page.text
    assert "This installation" not in page.text


def as_user(
    lms: FakeLms,
    roles: list[str],
    *,
    name: str | None = "Pat Person",
    email: str | None = "pat@example.com",
    context: bool = True,
    sub: str = "user-1",
    custom: dict | None = None,
    locale: str = "",
) -> None:
    lms.spec = LaunchSpec(
        user=LaunchUser(sub, roles, name, email),
        context_id="course-1" if context else None,
        context_title="Call Handling 101" if context else None,
        custom=custom or {},
        extra_claims={LAUNCH_PRESENTATION: {"locale": locale}} if locale else {},
    )


def role_badge(page) -> str:
    match = re.search(r'<span class="badge">([^<]+)</span>', page.text)
    return match.group(1) if match else ""


@pytest.mark.parametrize(
    ("roles", "badge", "sees", "does_not_see"),
    [
        ([LEARNER], "Learner", "Your next step", "Learning paths by job role"),
        ([INSTRUCTOR], "Instructor", "Learning paths by job role", "Your next step"),
        ([MANAGER], "Leader", "Your team", "Learning paths by job role"),
        ([ADMIN, SYSADMIN, INSTRUCTOR], "Administrator", "This installation", "Your next step"),
        (["Instructor"], "Instructor", "Learning paths by job role", "Your next step"),
        (["Learner"], "Learner", "Your next step", "Your team"),
        (["http://example.com/roles#Astronaut"], "Learner", "Your next step", "Your team"),
        ([], "Learner", "Your next step", "Your team"),
        ([LEARNER, MANAGER], "Leader", "Your team", "This installation"),
        (
            [LIS + "membership/Instructor#TeachingAssistant"],
            "Instructor",
            "Learning paths by job role",
            "Your team",
        ),
    ],
    ids=[
        "learner",
        "instructor",
        "manager",
        "administrator",
        "short Instructor",
        "short Learner",
        "unknown role",
        "no roles",
        "several roles",
        "teaching assistant sub-role",
    ],
)
def test_roles_shape_the_home_page(
    roles, badge, sees, does_not_see, lms: FakeLms, browser: Browser
) -> None:
    as_user(lms, roles)
    page = home_after(browser, lms, launch(browser, lms))
    assert page.status_code == 200
    assert role_badge(page) == badge
    assert sees in page.text
    assert does_not_see not in page.text


def test_no_name_or_email_shared(lms: FakeLms, browser: Browser, clean_app) -> None:
    as_user(lms, [LEARNER], name=None, email=None)
    page = home_after(browser, lms, launch(browser, lms))
    assert page_title(page) == "Welcome, Colleague"
    profile = browser.get(
        lms.tool_url
        + re.search(r'href="(/me\?lt=[^"]+)"', page.text).group(1).replace("&amp;", "&")
    )
    assert "Not shared by your LMS" in profile.text
    with clean_app.app_context():
        person = db.session.scalar(select(Person).where(Person.sub == "user-1"))
        assert person is not None and person.email == "" and person.name == ""


def test_no_course_context(lms: FakeLms, browser: Browser, clean_app) -> None:
    as_user(lms, [LEARNER], context=False)
    page = home_after(browser, lms, launch(browser, lms))
    assert "You opened Wayfinder from your LMS." in page.text
    with clean_app.app_context():
        assert db.session.scalar(select(Course)) is None
        assert db.session.scalar(select(Person)) is not None


def test_people_courses_memberships_upserted_and_job_role_from_custom(
    lms: FakeLms, browser: Browser, clean_app
) -> None:
    as_user(lms, [LEARNER], custom={"job_role": "Tier 1 agent"})
    home_after(browser, lms, launch(browser, lms))
    as_user(lms, [LEARNER, MANAGER], name="Pat Renamed", custom={"job_role": "Team lead"})
    home_after(browser, lms, launch(browser, lms))
    with clean_app.app_context():
        people = list(db.session.scalars(select(Person)))
        assert [(p.name, p.job_role) for p in people] == [("Pat Renamed", "Team lead")]
        memberships = list(db.session.scalars(select(Membership)))
        assert len(memberships) == 1 and memberships[0].roles == ["leader", "learner"]
        assert db.session.scalar(select(Course)).title == "Call Handling 101"


def test_second_registration_never_sees_the_first(
    lms: FakeLms, browser: Browser, clean_app, tool_server
) -> None:
    as_user(lms, [ADMIN], sub="admin-a", name="Alice of Tenant A")
    home_after(browser, lms, launch(browser, lms))
    other = FakeLms(client_id="client-2", deployment_id="dep-2")
    other.connect(tool_server)
    try:
        add_registration(clean_app, other)
        # Same sub and same course id in the other tenant: still different people and courses.
        as_user(other, [ADMIN], sub="admin-a", name="Bob of Tenant B")
        second = Browser()
        page = home_after(second, other, launch(second, other))
        assert page_title(page) == "Welcome, Bob of Tenant B"
        assert "Alice" not in page.text
        assert re.search(r"<dt>People seen</dt><dd>1</dd>", page.text)
        assert re.search(r"<dt>Courses seen</dt><dd>1</dd>", page.text)
        profile = second.get(
            other.tool_url + re.search(r'href="(/me\?lt=[^"]+)"', page.text).group(1)
        )
        assert "Bob of Tenant B" in profile.text and "Alice" not in profile.text
        with clean_app.app_context():
            assert db.session.scalar(select(db.func.count()).select_from(Person)) == 2
    finally:
        other.server.stop()


def test_refreshing_after_launch_shows_the_same_page(lms: FakeLms, browser: Browser) -> None:
    attempt = launch(browser, lms)
    url = lms.tool_url + attempt.launch.headers["Content-Location"]
    assert browser.get(url).status_code == 200
    again = browser.get(url)
    assert again.status_code == 200 and page_title(again) == "Welcome, Lee Learner"


def test_navigation_and_form_without_any_cookie(lms: FakeLms, browser: Browser) -> None:
    attempt = launch(browser, lms)
    browser.clear_cookies()
    home = browser.get(lms.tool_url + attempt.launch.headers["Content-Location"])
    edit_link = re.search(r'href="(/me\?lt=[^"]+)"', home.text).group(1).replace("&amp;", "&")
    profile = browser.get(lms.tool_url + edit_link)
    assert page_title(profile) == "Your profile"
    edit = browser.get(
        lms.tool_url
        + re.search(r'href="(/me/edit\?lt=[^"]+)"', profile.text).group(1).replace("&amp;", "&")
    )
    action, fields = form_fields(edit.text)
    fields["preferred_name"] = "Lee"
    browser.clear_cookies()
    saved = browser.post(lms.tool_url + action, data=fields)
    assert saved.status_code == 303
    assert not browser.session.cookies  # everything above worked with no cookie at all
    shown = browser.get(lms.tool_url + saved.headers["Location"])
    assert "Your profile is saved." in shown.text
    assert "Lee" in shown.text


def test_form_without_csrf_token_is_refused_and_nothing_saved(
    lms: FakeLms, browser: Browser, clean_app
) -> None:
    attempt = launch(browser, lms)
    home = browser.get(lms.tool_url + attempt.launch.headers["Content-Location"])
    token = re.search(r"lt=([\w.\-]+)", home.text).group(1)
    response = browser.post(
        lms.tool_url + "/me/edit?lt=" + token, data={"preferred_name": "Mallory"}
    )
    assert response.status_code == 400 and "This form has expired" in response.text
    with clean_app.app_context():
        assert db.session.scalar(select(Person.preferred_name)) == ""


def test_too_long_name_keeps_what_was_typed(lms: FakeLms, browser: Browser) -> None:
    attempt = launch(browser, lms)
    home = browser.get(lms.tool_url + attempt.launch.headers["Content-Location"])
    profile = browser.get(
        lms.tool_url
        + re.search(r'href="(/me\?lt=[^"]+)"', home.text).group(1).replace("&amp;", "&")
    )
    edit = browser.get(
        lms.tool_url
        + re.search(r'href="(/me/edit\?lt=[^"]+)"', profile.text).group(1).replace("&amp;", "&")
    )
    action, fields = form_fields(edit.text)
    fields["preferred_name"] = "x" * 81
    response = browser.post(lms.tool_url + action, data=fields)
    assert response.status_code == 400
    assert "Use at most 80 characters." in response.text
    assert 'value="' + "x" * 81 + '"' in response.text


def test_pages_need_a_launch(lms: FakeLms, browser: Browser) -> None:
    response = browser.get(lms.tool_url + "/")
    assert response.status_code == 401 and problem_code(response) == "launch_required"
    forged = browser.get(lms.tool_url + "/?lt=forged.token.value")
    assert forged.status_code == 401


def test_expired_launch_token(lms: FakeLms, browser: Browser, clean_app) -> None:
    attempt = launch(browser, lms)
    browser.clear_cookies()
    clean_app.config["LAUNCH_TOKEN_SECONDS"] = -1
    try:
        response = browser.get(lms.tool_url + attempt.launch.headers["Content-Location"])
    finally:
        clean_app.config["LAUNCH_TOKEN_SECONDS"] = 3600
    assert response.status_code == 401 and problem_code(response) == "launch_required"


def test_platform_jwks_is_cached_and_refetched_for_an_unknown_kid(
    lms: FakeLms, browser: Browser
) -> None:
    for _ in range(3):
        assert launch(browser, lms).final.status_code == 200
    assert lms.jwks_hits == 1  # steady state: no fetch per launch
    _parsed.clear()  # a new process: the shared store still has the keys
    assert launch(browser, lms).final.status_code == 200
    assert lms.jwks_hits == 1
    # The platform rotates its key: the unknown kid triggers one re-fetch and the launch works.
    from lti_tool.devlauncher.platform import generate_private_pem

    lms.private_pem = generate_private_pem()
    lms.connect(lms.tool_url)
    assert launch(browser, lms).final.status_code == 200
    assert lms.jwks_hits == 2


def test_launch_through_platform_storage(lms: FakeLms, browser: Browser) -> None:
    login = browser.get(lms.login_url(storage_target="_parent"))
    assert login.status_code == 200 and 'data-mode="put"' in login.text
    auth_url = re.search(r'data-next="([^"]+)"', login.text).group(1).replace("&amp;", "&")
    auth = browser.get(auth_url)
    action, fields = form_fields(auth.text)
    browser.clear_cookies()  # the browser blocked the state cookie
    check = browser.post(action, data=fields)
    assert check.status_code == 200 and 'data-mode="get"' in check.text
    _, resubmit = form_fields(check.text)
    assert resubmit["storage_checked"] == "1" and resubmit["state"] == fields["state"]
    # Posted from another site (no same-origin Origin header), the claim of a storage check is ignored.
    forged = browser.post(action, data=resubmit, headers={"Origin": "https://evil.example"})
    assert problem_code(forged) == "cookies_blocked"
    done = browser.post(action, data=resubmit, headers={"Origin": lms.tool_url})
    assert done.status_code == 200 and "lt=" in done.headers["Content-Location"]


def test_a_second_launch_in_the_same_browser_replaces_the_first(
    lms: FakeLms, browser: Browser
) -> None:
    as_user(lms, [LEARNER], sub="first", name="First Person")
    assert page_title(home_after(browser, lms, launch(browser, lms))) == "Welcome, First Person"
    as_user(lms, [INSTRUCTOR], sub="second", name="Second Person")
    attempt = launch(browser, lms)
    assert attempt.launch.headers["Content-Location"].count("lt=") == 1
    page = home_after(browser, lms, attempt)
    assert page_title(page) == "Welcome, Second Person"
    assert role_badge(page) == "Instructor"


def test_a_moodle_shaped_launch(lms: FakeLms, browser: Browser, clean_app) -> None:
    """Moodle 4.1: custom names lowercased (both spellings when changed), a stray NRPS URL in custom,
    ext/lis/LTI 1.1 claims, institution and system admin roles, login by POST."""
    lms.spec = LaunchSpec(
        user=LaunchUser("2", [ADMIN, SYSADMIN, INSTRUCTOR], "Admin User", "admin@moodle.example"),
        context_id="4",
        context_title="Onboarding",
        custom={
            "Job_Role": "QA analyst",
            "job_role": "QA analyst",
            "context_memberships_url": "https://moodle.example/mod/lti/services.php/4/memberships",
        },
        extra_claims={
            "https://purl.imsglobal.org/spec/lti/claim/ext": {
                "lms": "moodle-2",
                "user_username": "admin",
            },
            "https://purl.imsglobal.org/spec/lti/claim/lis": {
                "person_sourcedid": "",
                "course_section_sourcedid": "",
            },
            "https://purl.imsglobal.org/spec/lti/claim/lti1p1": {
                "user_id": "2",
                "oauth_consumer_key": "k",
            },
            "https://purl.imsglobal.org/spec/lti/claim/tool_platform": {
                "product_family_code": "moodle",
                "version": "2022112800",
                "guid": "moodle.example",
            },
        },
    )
    page = home_after(browser, lms, launch(browser, lms))
    assert role_badge(page) == "Administrator"
    with clean_app.app_context():
        person = db.session.scalar(select(Person).where(Person.sub == "2"))
        assert person is not None and person.job_role == "QA analyst"


def test_a_canvas_shaped_launch_with_platform_storage_and_opaque_sub(
    lms: FakeLms, browser: Browser, clean_app
) -> None:
    lms.spec = LaunchSpec(
        user=LaunchUser(
            "535fa085f22b4655f48cd5a36a9215f64c062838", [LEARNER], "Casey Canvas", None
        ),
        context_id="4dde05e8ca1973bcca9bffc13e1548820eee93a3",
        context_title="Support Basics",
        custom={"canvas_user_id": "10042", "canvas_course_id": "311", "job_role": "Tier 1 agent"},
        extra_claims={
            "https://www.instructure.com/placement": "course_navigation",
            "https://purl.imsglobal.org/spec/lti/claim/launch_presentation": {
                "document_target": "iframe",
                "return_url": "https://school.instructure.com/courses/311",
                "locale": "en",
            },
        },
    )
    login = browser.get(
        lms.login_url(storage_target="post_message_forwarding", canvas_region="us-east-1")
    )
    assert 'data-target="post_message_forwarding"' in login.text
    auth = browser.get(re.search(r'data-next="([^"]+)"', login.text).group(1).replace("&amp;", "&"))
    action, fields = form_fields(auth.text)
    done = browser.post(
        action, data=fields
    )  # the state cookie worked, no storage round trip needed
    assert done.status_code == 200
    page = browser.get(lms.tool_url + done.headers["Content-Location"])
    assert page_title(page) == "Welcome, Casey Canvas"
    with clean_app.app_context():
        person = db.session.scalar(select(Person))
        assert person.email == "" and person.job_role == "Tier 1 agent"


def test_the_person_keeps_the_language_their_lms_last_sent(
    lms: FakeLms, browser: Browser, clean_app
) -> None:
    """What is written for them while someone else acts, or a job runs, uses it."""

    def stored() -> str:
        with clean_app.app_context():
            person = db.session.scalar(select(Person).filter_by(sub="lang-1"))
            assert person is not None
            return person.locale

    as_user(lms, [LEARNER], sub="lang-1", locale="es-419")
    home_after(browser, lms, launch(browser, lms))
    assert stored() == "es-419"
    as_user(lms, [LEARNER], sub="lang-1")  # a launch without it keeps what was known
    home_after(browser, lms, launch(browser, lms))
    assert stored() == "es-419"
    as_user(lms, [LEARNER], sub="lang-1", locale="en_US")  # changed in the LMS
    home_after(browser, lms, launch(browser, lms))
    assert stored() == "en_US"


@pytest.mark.parametrize(
    "unusable",
    ["99", "$Person.address.timezone", "Mars/Olympus_Mons", "", "+02:00"],
    ids=["moodle-site-zone", "variable-not-filled", "no-such-zone", "empty", "offset"],
)
def test_the_person_keeps_the_time_zone_their_lms_last_sent(
    lms: FakeLms, browser: Browser, clean_app, unusable: str
) -> None:
    """$Person.address.timezone, sent as the custom parameter timezone. What is not a time zone
    (Moodle's "99" for the site's zone, the variable itself, a typo) changes nothing."""

    def stored() -> str:
        with clean_app.app_context():
            person = db.session.scalar(select(Person).filter_by(sub="tz-1"))
            assert person is not None
            return person.timezone

    as_user(lms, [LEARNER], sub="tz-1", custom={"timezone": unusable})
    home_after(browser, lms, launch(browser, lms))
    assert stored() == ""
    as_user(lms, [LEARNER], sub="tz-1", custom={"timezone": "America/Mexico_City"})
    home_after(browser, lms, launch(browser, lms))
    assert stored() == "America/Mexico_City"
    as_user(lms, [LEARNER], sub="tz-1", custom={"timezone": unusable})
    home_after(browser, lms, launch(browser, lms))
    assert stored() == "America/Mexico_City"
    as_user(lms, [LEARNER], sub="tz-1", custom={"timezone": "Europe/Madrid"})  # they moved
    home_after(browser, lms, launch(browser, lms))
    assert stored() == "Europe/Madrid"


def test_repeat_launch_reads_in_one_transaction(lms: FakeLms, browser: Browser, clean_app) -> None:
    """A first launch commits its records before the page; a repeat launch minutes later has
    nothing to write, so with Redis holding the launch state it reads the records and serves
    its page in one database transaction (two round trips fewer on PostgreSQL). Without Redis
    the login's state is a database write of its own."""
    from sqlalchemy import event

    from tests.conftest import REDIS_URL

    statements: list[str] = []
    begins: list[int] = []

    def on_execute(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    def on_begin(_conn) -> None:
        begins.append(1)

    with clean_app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "begin", on_begin)
    try:
        as_user(lms, [LEARNER], sub="repeat-1", locale="en-US")
        home_after(browser, lms, launch(browser, lms))
        assert "INSERT" in statements
        with clean_app.app_context():  # committed: another session sees the new person
            assert db.session.scalar(select(Person).filter_by(sub="repeat-1")) is not None
        statements.clear()
        begins.clear()
        page = home_after(browser, lms, launch(browser, lms))
        assert page_title(page) == "Welcome, Pat Person"
        # With the database store: the login, then the launch (committed before its page), then the page.
        assert len(begins) == (1 if REDIS_URL else 3)
        if REDIS_URL:
            assert statements and not {"INSERT", "UPDATE", "DELETE"} & set(statements), statements
            # The person, course and membership in one; the home page's reads in eight more.
            assert len(statements) == 9, statements
        # The launch context reached the store: the next page (no cookie, token only) works.
        location = page.headers["Content-Location"]
        browser.clear_cookies()
        again = browser.get(lms.tool_url + location)
        assert again.status_code == 200 and page_title(again) == "Welcome, Pat Person"
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "begin", on_begin)
