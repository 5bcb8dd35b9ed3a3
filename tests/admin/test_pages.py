"""The admin pages through real launches over loopback: deployments, manual setup, keys and
launch diagnostics, each scoped to the administrator's own registration."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import requests
from sqlalchemy import select

from lti_tool.errors import PROBLEMS
from lti_tool.extensions import db
from lti_tool.lti.models import (
    Deployment,
    DeploymentStatus,
    KeyStatus,
    LaunchEvent,
    PlatformKind,
    Registration,
    ToolKey,
    utcnow,
)
from tests.conftest import add_registration
from tests.harness import (
    ADMIN,
    INSTRUCTOR,
    LEARNER,
    LIS,
    SYSADMIN,
    Browser,
    FakeLms,
    TokenMutation,
    form_fields,
    launch,
    page_title,
    problem_code,
)
from tests.lti.test_launch import as_user

C = "https://purl.imsglobal.org/spec/lti/claim/"


class Admin:
    """A person launched from an LMS, moving around the admin pages with the launch token."""

    def __init__(self, lms: FakeLms, roles: list[str] | None = None, sub: str = "admin-1") -> None:
        self.lms = lms
        self.browser = Browser()
        as_user(lms, roles or [ADMIN, SYSADMIN], sub=sub, name="Dee Admin")
        saved, lms.mutation = lms.mutation, TokenMutation()
        attempt = launch(self.browser, lms)
        lms.mutation = saved
        assert attempt.launch is not None and attempt.launch.status_code == 200, attempt.final.text
        self.token = re.search(r"lt=([\w.\-]+)", attempt.launch.headers["Content-Location"]).group(
            1
        )  # type: ignore[union-attr]

    def url(self, path: str) -> str:
        separator = "&" if "?" in path else "?"
        return f"{self.lms.tool_url}{path}{separator}lt={self.token}"

    def get(self, path: str) -> requests.Response:
        return self.browser.get(self.url(path))

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        return self.browser.post(self.url(path), data=data)

    def submit(
        self, page: requests.Response, action_part: str, **changes: str
    ) -> requests.Response:
        """Post the form whose action contains action_part, as the page rendered it."""
        action, fields = form_with(page.text, action_part)
        fields.update(changes)
        return self.browser.post(self.lms.tool_url + action, data=fields)

    def follow(self, response: requests.Response) -> requests.Response:
        assert response.status_code == 303, response.text[:2000]
        return self.browser.get(self.lms.tool_url + response.headers["Location"])


def form_with(page: str, action_part: str) -> tuple[str, dict[str, str]]:
    for match in re.finditer(r"<form[^>]*>.*?</form>", page, re.S):
        form = match.group(0)
        if action_part in html.unescape(re.search(r'action="([^"]*)"', form).group(1)):  # type: ignore[union-attr]
            fields = {
                name: html.unescape(value)
                for name, value in re.findall(
                    r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form
                )
            }
            for name, body in re.findall(
                r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S
            ):
                chosen = re.search(r'<option value="([^"]*)" selected', body)
                fields[name] = html.unescape(chosen.group(1)) if chosen else ""
            return form_fields(form)[0], fields
    raise AssertionError(f"no form posting to {action_part!r}")


def text_of(response: requests.Response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.text))


def field_error(page: requests.Response, name: str) -> str:
    """The message shown under field ``name``, which must be marked invalid and point to it."""
    found = re.search(rf'<p class="error" id="{name}-error">(.*?)</p>', page.text, re.S)
    assert found, f"no error under {name}"
    control = re.search(rf'<(?:input|select|textarea)\b[^>]*\bid="{name}"[^>]*>', page.text)
    assert control, name
    assert 'aria-invalid="true"' in control.group(0), control.group(0)
    described = re.search(r'aria-describedby="([^"]*)"', control.group(0))
    assert described and f"{name}-error" in described.group(1).split(), control.group(0)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def deployment_row(app: Any, registration_id: int, deployment_id: str) -> Deployment | None:
    with app.app_context():
        return db.session.scalar(
            select(Deployment).where(
                Deployment.registration_id == registration_id,
                Deployment.deployment_id == deployment_id,
            )
        )


def add_deployment(
    app: Any, registration_id: int, deployment_id: str, status: DeploymentStatus
) -> int:
    with app.app_context():
        dep = Deployment(
            registration_id=registration_id, deployment_id=deployment_id, status=status
        )
        db.session.add(dep)
        db.session.commit()
        return dep.id


@pytest.fixture
def other_lms(clean_app: Any, tool_server: str):
    platform = FakeLms(client_id="client-b", deployment_id="dep-b")
    platform.connect(tool_server)
    platform.registration_id = add_registration(clean_app, platform)  # type: ignore[attr-defined]
    yield platform
    platform.server.stop()


@pytest.fixture
def installation_wide(clean_app: Any):
    clean_app.config["ADMIN_PAGES_INSTALLATION_WIDE"] = True
    yield
    clean_app.config["ADMIN_PAGES_INSTALLATION_WIDE"] = False


# -- deployments ------------------------------------------------------------------------------


def test_admin_approves_a_pending_deployment_then_it_launches(lms: FakeLms, clean_app: Any) -> None:
    lms.mutation = TokenMutation(claims={C + "deployment_id": "dep-new"})
    refused = launch(Browser(), lms).final
    assert problem_code(refused) == "unknown_deployment"
    admin = Admin(lms)
    page = admin.get("/admin/")
    assert page.status_code == 200 and page_title(page) == "Deployments"
    # Waiting for approval comes first, before the active deployment the admin launched from.
    assert page.text.index("dep-new") < page.text.index("<code>dep-1</code>")
    assert "Waiting for approval" in page.text
    shown = admin.follow(admin.submit(page, "/approve"))
    assert "Deployment dep-new is approved" in shown.text
    assert (
        deployment_row(clean_app, lms.registration_id, "dep-new").status is DeploymentStatus.ACTIVE
    )  # type: ignore[union-attr,attr-defined]
    lms.mutation = TokenMutation(claims={C + "deployment_id": "dep-new"})
    assert launch(Browser(), lms).final.status_code == 200


def test_disable_asks_first_then_refuses_launches(lms: FakeLms, clean_app: Any) -> None:
    pk = add_deployment(clean_app, lms.registration_id, "dep-2", DeploymentStatus.ACTIVE)  # type: ignore[attr-defined]
    admin = Admin(lms)
    page = admin.get("/admin/")
    assert f"/admin/deployments/{pk}/disable" in page.text
    confirm = admin.get(f"/admin/deployments/{pk}/disable")
    assert confirm.status_code == 200 and page_title(confirm) == "Disable deployment dep-2?"
    # Opening the question changed nothing.
    assert deployment_row(clean_app, lms.registration_id, "dep-2").status is DeploymentStatus.ACTIVE  # type: ignore[union-attr,attr-defined]
    done = admin.follow(admin.submit(confirm, "/disable"))
    assert "Deployment dep-2 is disabled" in done.text
    assert (
        deployment_row(clean_app, lms.registration_id, "dep-2").status is DeploymentStatus.DISABLED
    )  # type: ignore[union-attr,attr-defined]
    lms.mutation = TokenMutation(claims={C + "deployment_id": "dep-2"})
    assert problem_code(launch(Browser(), lms).final) == "deployment_disabled"
    # Who switched it off is not recorded (it may have been the people who run Wayfinder), so
    # the page offers no Enable: only the CLI, or an installation-wide administrator, can.
    lms.mutation = TokenMutation()
    assert f"/deployments/{pk}/approve" not in done.text
    assert "the people who run Wayfinder can enable it" in done.text
    setup = admin.get("/admin/setup").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', setup).group(1)  # type: ignore[union-attr]
    refused = admin.follow(admin.post(f"/admin/deployments/{pk}/approve", {"csrf_token": token}))
    assert "Ask the people who run Wayfinder to enable it" in refused.text
    assert (
        deployment_row(clean_app, lms.registration_id, "dep-2").status is DeploymentStatus.DISABLED
    )  # type: ignore[union-attr,attr-defined]
    clean_app.config["ADMIN_PAGES_INSTALLATION_WIDE"] = True
    try:
        again = admin.follow(admin.submit(admin.get("/admin/"), f"/deployments/{pk}/approve"))
    finally:
        clean_app.config["ADMIN_PAGES_INSTALLATION_WIDE"] = False
    assert "Deployment dep-2 is enabled again: launches from it work now." in again.text


def test_a_course_level_administrator_may_look_but_not_change(lms: FakeLms, clean_app: Any) -> None:
    pk = add_deployment(clean_app, lms.registration_id, "dep-9", DeploymentStatus.PENDING)  # type: ignore[attr-defined]
    course_admin = Admin(lms, roles=[LIS + "membership#Administrator"], sub="course-admin")
    page = course_admin.get("/admin/")
    assert page.status_code == 200 and "dep-9" in page.text
    assert f"/deployments/{pk}/approve" not in page.text
    assert "site administrator can change this" in page.text
    csrf = course_admin.get("/admin/setup")
    field = re.search(r'name="csrf_token" value="([^"]+)"', csrf.text).group(1)  # type: ignore[union-attr]
    refused = course_admin.post(f"/admin/deployments/{pk}/approve", {"csrf_token": field})
    assert refused.status_code == 403 and problem_code(refused) == "forbidden_role"
    assert (
        deployment_row(clean_app, lms.registration_id, "dep-9").status is DeploymentStatus.PENDING
    )  # type: ignore[union-attr,attr-defined]


def test_the_admins_own_deployment_cannot_be_disabled_from_the_page(
    lms: FakeLms, clean_app: Any
) -> None:
    admin = Admin(lms)
    own = deployment_row(clean_app, lms.registration_id, "dep-1")  # type: ignore[attr-defined]
    assert own is not None
    page = admin.get("/admin/")
    assert f"/admin/deployments/{own.id}/disable" not in page.text
    refused = admin.follow(admin.get(f"/admin/deployments/{own.id}/disable"))
    assert "would lock you out" in refused.text
    assert deployment_row(clean_app, lms.registration_id, "dep-1").status is DeploymentStatus.ACTIVE  # type: ignore[union-attr,attr-defined]


@pytest.mark.parametrize("roles", [[LEARNER], [INSTRUCTOR], [LIS + "membership#Manager"]])
@pytest.mark.parametrize("path", ["/admin/", "/admin/setup", "/admin/keys", "/admin/diagnostics"])
def test_people_who_are_not_administrators_get_a_friendly_refusal(
    roles: list[str], path: str, lms: FakeLms
) -> None:
    person = Admin(lms, roles=roles, sub="not-an-admin")
    response = person.get(path)
    assert response.status_code == 403
    assert problem_code(response) == "forbidden_role"
    assert page_title(response) == PROBLEMS["forbidden_role"].title
    assert "Administration" not in response.text
    home = person.get("/")
    assert "/admin/" not in home.text


def test_pages_need_a_launch(lms: FakeLms) -> None:
    response = Browser().get(lms.tool_url + "/admin/")
    assert response.status_code == 401 and problem_code(response) == "launch_required"


# -- tenants ----------------------------------------------------------------------------------


def test_another_tenants_admin_never_sees_nor_changes_the_first_tenants_rows(
    lms: FakeLms, other_lms: FakeLms, clean_app: Any
) -> None:
    # Tenant A: a pending deployment and a failed launch, both from real launches.
    lms.mutation = TokenMutation(claims={C + "deployment_id": "dep-secret-a"})
    launch(Browser(), lms)
    lms.mutation = TokenMutation(header={"kid": "kid-of-tenant-a"})
    assert problem_code(launch(Browser(), lms).final) == "unknown_kid"
    lms.mutation = TokenMutation()
    pending_a = deployment_row(clean_app, lms.registration_id, "dep-secret-a")  # type: ignore[attr-defined]
    active_a = deployment_row(clean_app, lms.registration_id, "dep-1")  # type: ignore[attr-defined]
    assert pending_a is not None and active_a is not None

    admin_b = Admin(other_lms, sub="admin-b")
    for path in ("/admin/", "/admin/diagnostics", "/admin/diagnostics?cause=unknown_kid"):
        page = admin_b.get(path)
        assert page.status_code == 200
        assert "dep-secret-a" not in page.text and "kid-of-tenant-a" not in page.text
        assert lms.issuer not in page.text and "client-1" not in page.text
    assert "No failed launches" in admin_b.get("/admin/diagnostics").text

    # Approving or disabling A's deployments by their ids, with B's valid launch and CSRF token.
    _, fields = form_with(admin_b.get("/admin/setup").text, "/admin/setup")
    for path in (
        f"/admin/deployments/{pending_a.id}/approve",
        f"/admin/deployments/{active_a.id}/disable",
    ):
        attempt = admin_b.browser.post(admin_b.url(path), data={"csrf_token": fields["csrf_token"]})
        assert attempt.status_code == 404, attempt.text[:500]
        assert "There is nothing at this address" in attempt.text
    assert admin_b.get(f"/admin/deployments/{active_a.id}/disable").status_code == 404
    assert (
        deployment_row(clean_app, lms.registration_id, "dep-secret-a").status
        is DeploymentStatus.PENDING
    )  # type: ignore[union-attr,attr-defined]
    assert deployment_row(clean_app, lms.registration_id, "dep-1").status is DeploymentStatus.ACTIVE  # type: ignore[union-attr,attr-defined]

    # Nor can B's setup form take over A's registration.
    taken = admin_b.submit(
        admin_b.get("/admin/setup"), "/admin/setup", issuer=lms.issuer, client_id="client-1"
    )
    assert taken.status_code == 400
    assert field_error(taken, "client_id").startswith(
        "This client ID is already registered with this Wayfinder for another LMS."
    )
    with clean_app.app_context():
        reg_a = db.session.get(Registration, lms.registration_id)  # type: ignore[attr-defined]
        assert reg_a.key_set_url == lms.url + "/jwks" and reg_a.name == "LMS client-1"


# -- manual setup -----------------------------------------------------------------------------


def test_manual_setup_shows_absolute_urls_to_paste_with_copy_buttons(lms: FakeLms) -> None:
    admin = Admin(lms)
    page = admin.get("/admin/setup")
    assert page.status_code == 200
    base = lms.tool_url
    for label, value in (
        ("Tool URL", base + "/lti/launch"),
        ("Initiate login URL", base + "/lti/login"),
        ("Redirection URI(s)", base + "/lti/launch"),
        ("Public keyset", base + "/lti/jwks"),
        ("OpenID Connect Initiation Url", base + "/lti/login"),
        ("Target Link URI", base + "/lti/launch"),
        ("Public JWK URL", base + "/lti/jwks"),
        ("JSON URL", base + "/lti/config.json"),
    ):
        match = re.search(
            r'<dt id="([\w-]+)-label">' + re.escape(html.escape(label)) + r"</dt>\s*<dd>.*?"
            r'value="([^"]*)".*?data-copy="([\w-]+)"',
            page.text,
            re.S,
        )
        assert match, label
        assert html.unescape(match.group(2)) == value and match.group(3) == match.group(1)
    words = text_of(page)
    for choice in ("LTI 1.3", "Keyset URL", "Public JWK URL", "job_role=", "$Canvas.user.id"):
        assert choice in words
    assert "IMS LTI Assignment and Grade Services" in words
    # The copy script is a file of Wayfinder's own: no inline script, allowed by the CSP.
    assert re.search(r'<script src="/static/admin\.js[^"]*" defer></script>', page.text)
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page.text)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "navigator.clipboard" in Browser().get(base + "/static/admin.js").text


def test_setup_form_rejects_bad_values_field_by_field_and_keeps_them(
    lms: FakeLms, clean_app: Any
) -> None:
    admin = Admin(lms)
    response = admin.submit(
        admin.get("/admin/setup"),
        "/admin/setup",
        platform="other",
        issuer="moodle.example.com",
        client_id="  ",
        deployment_id="dep-x",
        auth_login_url="javascript:alert(1)",
        key_set_url="ftp://lms.example/keys",
    )
    assert response.status_code == 400
    words = text_of(response)
    assert "Nothing was saved." in words
    # Each field says, in a whole sentence under it, what to put there instead.
    assert field_error(response, "issuer") == (
        "Give a full http(s) URL, such as https://moodle.example.com, not 'moodle.example.com'."
    )
    assert field_error(response, "client_id") == "Copy the client ID the LMS shows for Wayfinder."
    assert field_error(response, "auth_login_url") == (
        "Give a full http(s) URL, not 'javascript:alert(1)'."
    )
    assert field_error(response, "key_set_url") == (
        "Give a full http(s) URL, not 'ftp://lms.example/keys'."
    )
    assert "-error" not in re.search(r'<input[^>]*id="name"[^>]*>', response.text).group(0)  # type: ignore[union-attr]
    for kept in ("moodle.example.com", "dep-x", "javascript:alert(1)", "ftp://lms.example/keys"):
        assert f'value="{html.escape(kept)}"' in response.text, kept
    with clean_app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Registration)) == 1
        assert deployment_row(clean_app, lms.registration_id, "dep-x") is None  # type: ignore[attr-defined]


def test_setup_form_says_what_to_choose_shorten_or_copy(lms: FakeLms, clean_app: Any) -> None:
    admin = Admin(lms)
    response = admin.submit(
        admin.get("/admin/setup"),
        "/admin/setup",
        platform="blackboard",
        issuer="",
        name="n" * 201,
    )
    assert response.status_code == 400
    assert field_error(response, "platform") == (
        "Choose Moodle, Canvas or another LTI 1.3 platform."
    )
    assert field_error(response, "issuer") == "Copy the platform ID (issuer) the LMS shows."
    assert field_error(response, "name") == "Use at most 200 characters."
    other = admin.submit(
        admin.get("/admin/setup"),
        "/admin/setup",
        platform="other",
        issuer="https://lms.example.com",
        client_id="new-client",
        auth_login_url="",
        key_set_url="",
    )
    assert other.status_code == 400
    for name in ("auth_login_url", "key_set_url"):
        assert field_error(other, name) == (
            "Copy this URL from the LMS: Wayfinder fills it in only for Moodle and Canvas."
        )


def test_in_production_the_setup_form_refuses_addresses_into_wayfinders_network(
    lms: FakeLms, clean_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = Admin(lms)
    page = admin.get("/admin/setup")
    monkeypatch.setitem(clean_app.config, "ENV", "production")
    monkeypatch.setitem(clean_app.config, "ALLOW_PRIVATE_LMS_ADDRESSES", False)
    refused = admin.submit(
        page, "/admin/setup", auth_token_url="http://10.1.2.3/token", key_set_url=lms.url + "/jwks"
    )
    assert refused.status_code == 400
    assert field_error(refused, "auth_token_url") == (
        "This address leads to a private network address (10.1.2.3). Set "
        "ALLOW_PRIVATE_LMS_ADDRESSES = true in Wayfinder's settings if your LMS is on your own "
        "network."
    )
    assert field_error(refused, "key_set_url") == (
        "This address leads to 127.0.0.1, which Wayfinder never calls. Give the address of "
        "the LMS itself."
    )


def test_setup_form_updates_the_own_registration_and_approves_a_deployment(
    lms: FakeLms, clean_app: Any
) -> None:
    admin = Admin(lms)
    saved = admin.submit(
        admin.get("/admin/setup"), "/admin/setup", name="Acme support", deployment_id="dep-added"
    )
    shown = admin.follow(saved)
    assert "Your registration is saved. Deployment dep-added is approved." in shown.text
    with clean_app.app_context():
        reg = db.session.get(Registration, lms.registration_id)  # type: ignore[attr-defined]
        assert reg.name == "Acme support" and reg.key_set_url == lms.url + "/jwks"
    lms.mutation = TokenMutation(claims={C + "deployment_id": "dep-added"})
    assert launch(Browser(), lms).final.status_code == 200


def test_another_lms_is_registered_only_by_an_installation_admin(
    lms: FakeLms, clean_app: Any, installation_wide: None
) -> None:
    values = {
        "platform": "moodle",
        "issuer": "https://moodle.example.com",
        "client_id": "moodle-client",
        "deployment_id": "3",
        "auth_login_url": "",
        "auth_token_url": "",
        "key_set_url": "",
        "name": "",
    }
    # A course-level administrator, not the LMS's site administrator: gets the command instead.
    course_admin = Admin(lms, roles=[LIS + "membership#Administrator"], sub="course-admin")
    offered = course_admin.submit(course_admin.get("/admin/setup"), "/admin/setup", **values)
    assert offered.status_code == 200
    assert (
        "flask --app lti_tool registrations add --platform moodle --issuer "
        "https://moodle.example.com --client-id moodle-client --deployment 3"
    ) in text_of(offered)
    with clean_app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Registration)) == 1

    site_admin = Admin(lms)
    created = site_admin.follow(
        site_admin.submit(site_admin.get("/admin/setup"), "/admin/setup", **values)
    )
    assert "Registered moodle.example.com" in created.text
    with clean_app.app_context():
        reg = db.session.scalar(
            select(Registration).where(Registration.client_id == "moodle-client")
        )
        assert reg is not None and reg.platform is PlatformKind.MOODLE
        assert reg.auth_login_url == "https://moodle.example.com/mod/lti/auth.php"
        assert reg.auth_token_url == "https://moodle.example.com/mod/lti/token.php"
        assert reg.key_set_url == "https://moodle.example.com/mod/lti/certs.php"
        assert [d.deployment_id for d in reg.deployments] == ["3"]
        assert reg.deployments[0].status is DeploymentStatus.ACTIVE


def test_without_the_setting_a_site_admin_also_gets_the_command(
    lms: FakeLms, clean_app: Any
) -> None:
    admin = Admin(lms)
    offered = admin.submit(
        admin.get("/admin/setup"),
        "/admin/setup",
        platform="canvas",
        issuer="https://canvas.instructure.com",
        client_id="10000000000042",
        auth_login_url="",
        auth_token_url="",
        key_set_url="",
    )
    assert offered.status_code == 200
    assert "registrations add --platform canvas" in text_of(offered)
    with clean_app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Registration)) == 1


# -- keys -------------------------------------------------------------------------------------


def published(lms: FakeLms) -> list[str]:
    return [k["kid"] for k in Browser().get(lms.tool_url + "/lti/jwks").json()["keys"]]


def test_rotate_keys_with_confirmation_publishes_a_new_next_key(
    lms: FakeLms, clean_app: Any, installation_wide: None
) -> None:
    admin = Admin(lms)
    page = admin.get("/admin/keys")
    assert page.status_code == 200
    before = published(lms)
    for kid in before:
        assert kid in page.text
    assert "Current (signing)" in page.text and "Next (published, not signing yet)" in page.text
    # The tests' keys are stored without TOOL_KEY_PASSPHRASE: the page says what to do.
    assert "stored unencrypted in the database" in page.text and "keys encrypt" in page.text
    confirm = admin.get("/admin/keys/rotate")
    assert page_title(confirm) == "Rotate Wayfinder's signing keys?"
    assert published(lms) == before  # asking changed nothing
    done = admin.follow(admin.submit(confirm, "/admin/keys/rotate"))
    after = published(lms)
    new = [kid for kid in after if kid not in before]
    assert len(new) == 1 and set(before) <= set(after)  # the old current key is still published
    assert "is published as the next key" in done.text and new[0] in done.text
    assert "Retired" in done.text
    # A retired key past the grace period is no longer published, and Prune deletes it.
    from datetime import timedelta

    with clean_app.app_context():
        old = db.session.scalar(
            select(ToolKey).where(ToolKey.status == KeyStatus.RETIRED).order_by(ToolKey.id.desc())
        )
        old.retired_at = utcnow() - timedelta(days=clean_app.config["TOOL_KEY_GRACE_DAYS"] + 1)
        old_kid = old.kid
        db.session.commit()
    listed = admin.get("/admin/keys")
    assert "no longer published, can be deleted" in listed.text
    pruned = admin.follow(admin.submit(listed, "/admin/keys/prune"))
    assert "Deleted 1 retired key(s)" in pruned.text or "Deleted " in pruned.text
    assert old_kid not in pruned.text and old_kid not in published(lms)
    assert new[0] in published(lms)


def test_without_the_setting_keys_are_rotated_on_the_server(lms: FakeLms) -> None:
    admin = Admin(lms)
    page = admin.get("/admin/keys")
    assert "flask --app lti_tool keys rotate" in page.text
    assert "/admin/keys/rotate" not in page.text
    before = published(lms)
    refused = admin.get("/admin/keys/rotate")
    assert refused.status_code == 403 and "done on the Wayfinder server" in refused.text
    assert published(lms) == before


# -- diagnostics ------------------------------------------------------------------------------


def _cookie_blocked_launch(lms: FakeLms) -> requests.Response:
    browser = Browser()
    login = browser.get(lms.login_url())
    auth = browser.get(login.headers["Location"])
    action, fields = form_fields(auth.text)
    browser.clear_cookies()  # the browser blocked the state cookie in the iframe
    return browser.post(action, data=fields)


def test_diagnostics_explain_real_failed_launches_in_plain_words(
    lms: FakeLms, clean_app: Any
) -> None:
    now = int(__import__("time").time())
    bad = {
        "token_expired": TokenMutation(claims={"iat": now - 160, "exp": now - 100}),
        "unknown_kid": TokenMutation(header={"kid": "rotated-away"}),
        "wrong_audience": TokenMutation(claims={"aud": "someone-else"}),
        "unknown_deployment": TokenMutation(claims={C + "deployment_id": "dep-waiting"}),
    }
    for code, mutation in bad.items():
        lms.mutation = mutation
        assert problem_code(launch(Browser(), lms).final) == code
    lms.mutation = TokenMutation()
    assert problem_code(_cookie_blocked_launch(lms)) == "cookies_blocked"

    admin = Admin(lms)
    page = admin.get("/admin/diagnostics")
    assert page.status_code == 200
    words = text_of(page)
    for code in (*bad, "cookies_blocked"):
        assert PROBLEMS[code].title in words, code
        assert PROBLEMS[code].explanation in words, code
    # The clock difference, in seconds, read from the expired token.
    skew = re.search(r"reached Wayfinder (\d+) seconds after it expired", words)
    assert skew and 99 <= int(skew.group(1)) <= 130
    assert "clock is about" in words
    # The waiting deployment can be approved from its failure.
    approved = admin.follow(admin.submit(page, "/approve"))
    assert "Deployment dep-waiting is approved" in approved.text
    assert page_title(approved) == "Launch diagnostics"  # back where the admin was
    assert "Approve deployment dep-waiting" not in approved.text
    assert "It has been approved since: nothing left to do." in approved.text

    # Summary per cause, and the filter.
    for code in (*bad, "cookies_blocked"):
        row = re.search(
            re.escape(html.escape(PROBLEMS[code].title))
            + r".*?<td class=\"num\">(\d+)</td>\s*<td class=\"num\">(\d+)</td>",
            page.text,
            re.S,
        )
        assert row and row.groups() == ("1", "1"), code
    only = admin.get("/admin/diagnostics?cause=unknown_kid")
    only_words = text_of(only)
    assert "1 failed launch." in only_words
    failures = only.text[only.text.index('<ol class="failures">') :]
    assert PROBLEMS["unknown_kid"].title in html.unescape(failures)
    assert PROBLEMS["wrong_audience"].title not in html.unescape(failures)
    home = admin.get("/")
    assert "/admin/diagnostics" in home.text and "/admin/?lt=" in home.text


def test_diagnostics_pages_through_many_failures(lms: FakeLms, clean_app: Any) -> None:
    from datetime import timedelta

    with clean_app.app_context():
        start = utcnow() - timedelta(days=3)
        db.session.add_all(
            LaunchEvent(
                created_at=start + timedelta(minutes=i),
                stage="launch",
                code="replayed",
                detail=f"failure number {i}",
                registration_id=lms.registration_id,  # type: ignore[attr-defined]
            )
            for i in range(45)
        )
        db.session.commit()
    admin = Admin(lms)
    first = admin.get("/admin/diagnostics")
    assert "45 failed launches, page 1 of 3" in text_of(first)
    assert "failure number 44" in first.text and "failure number 24" not in first.text
    older = re.search(r'href="([^"]+)" rel="next"', first.text).group(1)  # type: ignore[union-attr]
    second = admin.browser.get(lms.tool_url + html.unescape(older))
    assert "failure number 24" in second.text and "failure number 44" not in second.text
    last = admin.get("/admin/diagnostics?page=99")
    assert "page 3 of 3" in text_of(last) and "failure number 0\n" in last.text.replace(
        "</code>", "\n"
    )
    summary = re.search(
        r"This launch was already used.*?(\d+)</td>\s*<td class=\"num\">(\d+)</td>",
        first.text,
        re.S,
    )
    assert summary and summary.groups() == ("0", "45")


# -- every tab ----------------------------------------------------------------------------------


def test_every_admin_tab_is_headed_and_titled_with_its_own_name(lms: FakeLms) -> None:
    """The tabs share one navigation, but each page says which one it is: the heading and the
    browser's title name the tab, and the tab is marked as the current one."""
    admin = Admin(lms)
    tabs = re.findall(
        r'<a href="([^"?]+)[^"]*"[^>]*>([^<]+)</a>',
        re.search(
            r'<nav class="subnav" aria-label="Administration">(.*?)</nav>',
            admin.get("/admin/").text,
            re.S,
        ).group(1),  # type: ignore[union-attr]
    )
    assert [label for _href, label in tabs] == [
        "Deployments",
        "Manual setup",
        "Signing keys",
        "Launch diagnostics",
        "Grade sync",
    ]
    for href, label in tabs:
        page = admin.get(href)
        assert page.status_code == 200, href
        assert page_title(page) == label, href
        title = re.search(r"<title>([^<]+)</title>", page.text).group(1)  # type: ignore[union-attr]
        assert html.unescape(title) == f"{label} · Wayfinder", href
        current = re.findall(r'<a href="[^"]*" aria-current="page">([^<]+)</a>', page.text)
        assert label in current, href
