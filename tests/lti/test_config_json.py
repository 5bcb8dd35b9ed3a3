"""GET /lti/config.json against the fields Canvas documents for a developer key's JSON
(instructure/canvas-lms doc/api/lti_dev_key_config.md), and its agreement with the dynamic
registration request (both come from lti_tool.lti.toolinfo)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from lti_tool import create_app
from lti_tool.lti import toolinfo
from tests.conftest import overrides

CANVAS_PLACEMENTS = {  # placements Canvas accepts for each message type (subset Wayfinder uses)
    "course_navigation": {"LtiResourceLinkRequest"},
    "account_navigation": {"LtiResourceLinkRequest"},
    "link_selection": {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"},
    "assignment_selection": {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"},
}
CANVAS_SCOPES = {  # the "Allowed values" Canvas lists for scopes
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
}


def test_config_json_has_what_canvas_documents(tool_server: str, clean_app: Any) -> None:
    response = requests.get(tool_server + "/lti/config.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    config = response.json()

    for key in ("title", "description", "oidc_initiation_url", "target_link_uri"):
        assert isinstance(config[key], str) and config[key], key
    assert config["oidc_initiation_url"] == tool_server + "/lti/login"
    assert config["target_link_uri"] == tool_server + "/lti/launch"
    assert set(config["scopes"]) == CANVAS_SCOPES  # AGS (all four) and NRPS, nothing Canvas refuses

    [extension] = config["extensions"]
    assert extension["platform"] == "canvas.instructure.com"
    assert extension["privacy_level"] == "public"
    assert extension["domain"] == tool_server.split("//")[1]
    placements = {p["placement"]: p for p in extension["settings"]["placements"]}
    assert {name: p["message_type"] for name, p in placements.items()} == {
        "course_navigation": "LtiResourceLinkRequest",
        "account_navigation": "LtiResourceLinkRequest",
        "link_selection": "LtiDeepLinkingRequest",
        "assignment_selection": "LtiDeepLinkingRequest",
    }
    for name, placement in placements.items():
        assert placement["message_type"] in CANVAS_PLACEMENTS[name]
        assert placement["target_link_uri"].startswith(tool_server + "/")
        assert placement["text"]

    assert config["custom_fields"]["canvas_user_id"] == "$Canvas.user.id"
    assert config["custom_fields"]["canvas_course_id"] == "$Canvas.course.id"
    assert config["custom_fields"]["timezone"] == "$Person.address.timezone"  # lti_tool.timezones
    assert "job_role" in config["custom_fields"]  # JOB_ROLE_PARAMETER's default
    assert all(isinstance(v, str) for v in config["custom_fields"].values())

    # public_jwk_url serves Wayfinder's keys, with the alg and use Canvas needs.
    jwks = requests.get(config["public_jwk_url"], timeout=10).json()
    assert jwks["keys"]
    for key in jwks["keys"]:
        assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
        assert key["kid"] and "d" not in key


def test_urls_come_from_the_request_host_behind_a_proxy(tmp_path: Path) -> None:
    settings = overrides(tmp_path)
    settings.update(PROXY_FIX=1, JOB_ROLE_PARAMETER="team_role")
    app = create_app(settings)
    response = app.test_client().get(
        "/lti/config.json",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "wayfinder.example.com"},
    )
    config = response.get_json()
    assert config["oidc_initiation_url"] == "https://wayfinder.example.com/lti/login"
    assert config["public_jwk_url"] == "https://wayfinder.example.com/lti/jwks"
    assert config["extensions"][0]["domain"] == "wayfinder.example.com"
    assert "team_role" in config["custom_fields"]


def test_config_json_and_dynamic_registration_agree() -> None:
    base = "https://wayfinder.example.com"
    canvas = toolinfo.canvas_config(base, "job_role")
    request = toolinfo.registration_request(base, "job_role", canvas=True)
    tool = request["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert request["initiate_login_uri"] == canvas["oidc_initiation_url"]
    assert request["jwks_uri"] == canvas["public_jwk_url"]
    assert tool["target_link_uri"] == canvas["target_link_uri"]
    assert request["scope"].split() == canvas["scopes"]
    assert tool["custom_parameters"] == canvas["custom_fields"]
    assert tool["domain"] == canvas["extensions"][0]["domain"]
    assert (
        tool["https://canvas.instructure.com/lti/privacy_level"]
        == (canvas["extensions"][0]["privacy_level"])
    )
    from_json = {
        (p["message_type"], p["placement"])
        for p in canvas["extensions"][0]["settings"]["placements"]
    }
    from_registration = {(m["type"], p) for m in tool["messages"] for p in m["placements"]}
    assert from_json == from_registration


def test_cli_prints_what_an_admin_pastes(clean_app: Any) -> None:
    import json

    runner = clean_app.test_cli_runner()
    result = runner.invoke(
        args=["registrations", "show-config", "--base-url", "https://wf.example.com"]
    )
    assert result.exit_code == 0, result.output
    assert "https://wf.example.com/lti/register" in result.output
    assert "https://wf.example.com/lti/config.json" in result.output
    assert "Redirect URI:                https://wf.example.com/lti/launch" in result.output
    assert "Domain:                      wf.example.com" in result.output

    result = runner.invoke(
        args=["registrations", "show-config", "--base-url", "https://wf.example.com", "--json"]
    )
    assert json.loads(result.output) == toolinfo.canvas_config("https://wf.example.com", "job_role")

    bad = runner.invoke(args=["registrations", "show-config", "--base-url", "wf.example.com"])
    assert bad.exit_code != 0 and "full http(s) URL" in bad.output


def test_registrations_list_names_what_was_not_granted(clean_app: Any) -> None:
    from lti_tool.extensions import db
    from lti_tool.lti.models import PlatformKind, Registration

    with clean_app.app_context():
        db.session.add(
            Registration(
                issuer="https://moodle.example.com",
                client_id="c1",
                platform=PlatformKind.MOODLE,
                auth_login_url="https://moodle.example.com/mod/lti/auth.php",
                key_set_url="https://moodle.example.com/mod/lti/certs.php",
                registered_via="dynamic",
                granted={"scopes": [toolinfo.SCOPE_NRPS], "messages": [], "claims": ["name"]},
            )
        )
        db.session.commit()
    output = clean_app.test_cli_runner().invoke(args=["registrations", "list"]).output
    assert "not granted: No gradebook access" in output
    assert "not granted: No roster access" not in output
    assert "email addresses" in output
