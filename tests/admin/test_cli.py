"""The CLI equivalents of the admin pages (Flask's CLI runner), on the same services, and the
demo data Dev the admin sees."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lti_tool.devlauncher import demo
from lti_tool.extensions import db
from lti_tool.lti.models import (
    Deployment,
    DeploymentStatus,
    KeyStatus,
    LaunchEvent,
    Registration,
)


def test_registrations_add_fills_platform_endpoints_and_reports_every_bad_option(
    clean_app: Any,
) -> None:
    runner = clean_app.test_cli_runner()
    ok = runner.invoke(
        args=[
            "registrations", "add", "--platform", "canvas",
            "--issuer", "https://canvas.beta.instructure.com", "--client-id", "1000042",
            "--deployment", "12:abc", "--frame-origin", "https://acme.instructure.com",
        ]
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "deployment 12:abc approved" in ok.output
    with clean_app.app_context():
        reg = db.session.scalar(select(Registration).where(Registration.client_id == "1000042"))
        assert reg.auth_login_url == "https://sso.beta.canvaslms.com/api/lti/authorize_redirect"
        assert reg.key_set_url == "https://sso.beta.canvaslms.com/api/lti/security/jwks"
        assert reg.frame_origins == ["https://acme.instructure.com"]
    bad = runner.invoke(
        args=["registrations", "add", "--issuer", "https://lms.example", "--client-id", " ",
              "--jwks-url", "ftp://keys"]
    )  # fmt: skip
    assert bad.exit_code != 0
    # Each line names the option to fix, then says in a whole sentence what to give.
    lines = bad.output.splitlines()
    assert "Error: --client-id: Copy the client ID the LMS shows for Wayfinder." in lines
    assert "--jwks-url: Give a full http(s) URL, not 'ftp://keys'." in lines
    assert (
        "--auth-login-url: Copy this URL from the LMS: Wayfinder fills it in only for Moodle "
        "and Canvas."
    ) in lines
    long = runner.invoke(
        args=["registrations", "add", "--platform", "moodle", "--issuer", "https://lms.example",
              "--client-id", "c", "--deployment", "1", "--deployment", "d" * 256]
    )  # fmt: skip
    assert long.exit_code != 0 and "--deployment: Use at most 255 characters." in long.output


def test_deployments_list_approve_disable_and_registration_switch(clean_app: Any) -> None:
    runner = clean_app.test_cli_runner()
    add = ["registrations", "add", "--platform", "moodle", "--issuer", "https://m.example"]
    assert runner.invoke(args=[*add, "--client-id", "c1", "--deployment", "1"]).exit_code == 0
    with clean_app.app_context():
        reg_id = db.session.scalar(select(Registration.id))
        db.session.add(
            Deployment(registration_id=reg_id, deployment_id="9", status=DeploymentStatus.PENDING)
        )
        db.session.commit()
    listing = runner.invoke(args=["deployments", "list"]).output.splitlines()
    assert listing[0].endswith("deployment 9  pending")  # waiting for approval comes first
    pending = runner.invoke(args=["deployments", "list", "--pending"]).output
    assert "deployment 9  pending" in pending and "deployment 1 " not in pending
    assert runner.invoke(args=["deployments", "approve", str(reg_id), "9"]).exit_code == 0
    assert (
        "No pending deployments." in runner.invoke(args=["deployments", "list", "--pending"]).output
    )
    off = runner.invoke(args=["deployments", "disable", str(reg_id), "1"])
    assert off.exit_code == 0 and "disabled" in off.output
    missing = runner.invoke(args=["deployments", "disable", str(reg_id), "nope"])
    assert missing.exit_code != 0 and "has no deployment nope" in missing.output
    assert "deployment 1  disabled" in runner.invoke(args=["registrations", "list"]).output
    assert runner.invoke(args=["registrations", "disable", str(reg_id)]).exit_code == 0
    assert "DISABLED" in runner.invoke(args=["registrations", "list"]).output
    assert "No registration 77" in runner.invoke(args=["registrations", "enable", "77"]).output
    helps = runner.invoke(args=["registrations", "--help"]).output
    assert "Accept launches from a disabled registration again." in helps
    assert "re-enables it" in runner.invoke(args=["deployments", "disable", "--help"]).output


def test_keys_list_shows_states_and_retirement(app: Any) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    lines = runner.invoke(args=["keys", "list"]).output.splitlines()
    assert "current" in lines[0] and "next" in lines[1]
    assert any("retired" in line and "published until" in line for line in lines[2:])


def test_demo_gives_the_admin_pending_deployments_failures_and_keys(
    clean_app: Any, tmp_path: Any
) -> None:
    instance, clean_app.instance_path = clean_app.instance_path, str(tmp_path)
    try:
        _seed_twice_and_check(clean_app)
    finally:
        clean_app.instance_path = instance


def _seed_twice_and_check(clean_app: Any) -> None:
    with clean_app.app_context():
        for _ in range(2):  # idempotent
            reg = demo.seed("http://127.0.0.1:5000", "http://localhost:5000")
            db.session.commit()
        statuses = sorted(d.status.value for d in reg.deployments)
        assert statuses == ["active", "disabled", "pending", "pending"]
        codes = set(
            db.session.scalars(
                select(LaunchEvent.code).where(LaunchEvent.registration_id == reg.id)
            )
        )
        assert {"cookies_blocked", "token_expired", "unknown_deployment", "unknown_kid"} <= codes
        count = db.session.scalar(select(db.func.count()).select_from(LaunchEvent))
        assert count == len(demo.DEMO_FAILURES)
        from lti_tool.lti import keys

        for status in KeyStatus:
            assert keys.keys_by_status(status), status


def test_deployments_approve_refuses_a_blank_or_too_long_id_and_says_when_it_adds_one(
    clean_app: Any,
) -> None:
    runner = clean_app.test_cli_runner()
    add = ["registrations", "add", "--platform", "moodle", "--issuer", "https://m.example"]
    assert runner.invoke(args=[*add, "--client-id", "c1", "--deployment", "1"]).exit_code == 0
    with clean_app.app_context():
        reg_id = str(db.session.scalar(select(Registration.id)))
    for bad, why in (("", "is required"), ("   ", "is required"), ("x" * 256, "at most 255")):
        refused = runner.invoke(args=["deployments", "approve", reg_id, bad])
        assert refused.exit_code != 0 and why in refused.output, refused.output
    with clean_app.app_context():
        ids = list(db.session.scalars(select(Deployment.deployment_id)))
    assert ids == ["1"]  # nothing was added
    again = runner.invoke(args=["deployments", "approve", reg_id, " 1 "])
    assert again.exit_code == 0 and "Deployment 1 of registration" in again.output
    assert "new" not in again.output
    typo = runner.invoke(args=["deployments", "approve", reg_id, "l"])
    assert typo.exit_code == 0
    assert "was not seen before" in typo.output  # a typo does not pass for the known one
