"""Every bad payload of the LTI Advantage tool certification, and a few more, gets a 4xx page that
names the problem in plain words: never a 500, never a Wayfinder page."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.lti.models import Deployment, DeploymentStatus, LaunchEvent
from tests.harness import Browser, FakeLms, TokenMutation, launch, page_title, problem_code

C = "https://purl.imsglobal.org/spec/lti/claim/"
NOW = int(time.time())


def _public_pem(lms: FakeLms) -> bytes:
    key = serialization.load_pem_private_key(lms.private_pem.encode(), password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def alg_none(claims: dict, header: dict) -> str:
    return jwt.encode(claims, None, algorithm="none", headers=header)


CASES = {
    "no kid": (TokenMutation(drop_kid=True), "no_kid"),
    "unknown kid": (TokenMutation(header={"kid": "not-a-platform-key"}), "unknown_kid"),
    "wrong LTI version": (TokenMutation(claims={C + "version": "1.1.0"}), "wrong_version"),
    "missing LTI version": (TokenMutation(drop=(C + "version",)), "missing_claim"),
    "wrong message type": (
        TokenMutation(claims={C + "message_type": "LtiWhateverRequest"}),
        "wrong_message_type",
    ),
    "missing message type": (TokenMutation(drop=(C + "message_type",)), "missing_claim"),
    "missing roles": (TokenMutation(drop=(C + "roles",)), "missing_claim"),
    "missing deployment_id": (TokenMutation(drop=(C + "deployment_id",)), "missing_claim"),
    "missing resource_link": (TokenMutation(drop=(C + "resource_link",)), "missing_claim"),
    "missing sub": (TokenMutation(drop=("sub",)), "missing_claim"),
    "expired token": (
        TokenMutation(claims={"iat": NOW - 3700, "exp": NOW - 3600}),
        "token_expired",
    ),
    "future-dated token": (
        TokenMutation(claims={"iat": NOW + 3600, "exp": NOW + 3700}),
        "token_not_yet_valid",
    ),
    "wrong iss": (TokenMutation(claims={"iss": "https://evil.example"}), "wrong_issuer"),
    "aud without the client_id": (TokenMutation(claims={"aud": "another-tool"}), "wrong_audience"),
    "azp mismatch": (
        TokenMutation(claims={"aud": ["client-1", "other"], "azp": "other"}),
        "azp_mismatch",
    ),
    "several audiences, no azp": (
        TokenMutation(claims={"aud": ["client-1", "other"]}, drop=("azp",)),
        "azp_mismatch",
    ),
    "nonce mismatch": (
        TokenMutation(claims={"nonce": "a-nonce-wayfinder-never-issued"}),
        "nonce_mismatch",
    ),
    "tampered signature": (TokenMutation(tamper=True), "bad_signature"),
    "alg none": (TokenMutation(sign=alg_none), "bad_algorithm"),
    "unknown deployment": (
        TokenMutation(claims={C + "deployment_id": "dep-new"}),
        "unknown_deployment",
    ),
    "target_link_uri mismatch": (
        TokenMutation(claims={C + "target_link_uri": "https://evil.example/lti/launch"}),
        "target_link_uri_mismatch",
    ),
}


def assert_refused(response, code: str) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    assert problem_code(response) == code, response.text[:3000]
    assert page_title(response)  # a plain-words title
    assert "Welcome" not in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_id_token_is_refused(case: str, lms: FakeLms, browser: Browser, clean_app) -> None:
    mutation, code = CASES[case]
    lms.mutation = mutation
    attempt = launch(browser, lms)
    assert_refused(attempt.final, code)
    with clean_app.app_context():
        event = db.session.scalar(select(LaunchEvent).order_by(LaunchEvent.id.desc()))
        assert event is not None and not event.ok and event.code == code


def test_hs256_signed_with_the_platform_public_key(lms: FakeLms, browser: Browser) -> None:
    public = _public_pem(lms)

    def hs256(claims: dict, header: dict) -> str:
        # PyJWT refuses PEM keys as HMAC secrets; forge the token by hand as an attacker would.
        import base64
        import hashlib
        import hmac
        import json

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        head = b64(json.dumps({**header, "alg": "HS256", "typ": "JWT"}).encode())
        body = b64(json.dumps(claims).encode())
        sig = hmac.new(public, f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{b64(sig)}"

    lms.mutation = TokenMutation(sign=hs256)
    assert_refused(launch(browser, lms).final, "bad_algorithm")


def test_unknown_deployment_is_recorded_as_pending(
    lms: FakeLms, browser: Browser, clean_app
) -> None:
    lms.mutation = TokenMutation(claims={C + "deployment_id": "dep-new"})
    response = launch(browser, lms).final
    assert "waiting for approval" in page_title(response)
    assert f"deployments approve {lms.registration_id} dep-new" in response.text
    with clean_app.app_context():
        dep = db.session.scalar(select(Deployment).where(Deployment.deployment_id == "dep-new"))
        assert dep is not None and dep.status is DeploymentStatus.PENDING
        assert dep.registration_id == lms.registration_id
    # Approving it lets the next launch through.
    runner = clean_app.test_cli_runner()
    result = runner.invoke(args=["deployments", "approve", str(lms.registration_id), "dep-new"])
    assert result.exit_code == 0, result.output
    second = launch(browser, lms)
    assert second.final.status_code == 200


def test_replayed_id_token_same_browser(lms: FakeLms, browser: Browser) -> None:
    first = launch(browser, lms)
    assert first.final.status_code == 200
    again = browser.post(first.action, data=first.fields)
    assert_refused(again, "replayed")


def test_replayed_id_token_fresh_browser(lms: FakeLms, browser: Browser) -> None:
    first = launch(browser, lms)
    assert first.final.status_code == 200
    assert_refused(Browser().post(first.action, data=first.fields), "replayed")


def test_state_mismatch(lms: FakeLms, browser: Browser) -> None:
    login = browser.get(lms.login_url())
    auth = browser.get(login.headers["Location"])
    from tests.harness import form_fields

    action, fields = form_fields(auth.text)
    fields["state"] = "a-state-wayfinder-never-issued"
    assert_refused(browser.post(action, data=fields), "state_unknown")


def test_id_token_from_another_login_of_the_same_browser(lms: FakeLms, browser: Browser) -> None:
    from tests.harness import form_fields

    first = browser.get(browser.get(lms.login_url()).headers["Location"])
    second = browser.get(browser.get(lms.login_url()).headers["Location"])
    action, fields_a = form_fields(first.text)
    _, fields_b = form_fields(second.text)
    # The token of login A presented with the (valid, cookie-bound) state of login B.
    assert_refused(
        browser.post(action, data={"id_token": fields_a["id_token"], "state": fields_b["state"]}),
        "nonce_mismatch",
    )


def test_malformed_and_missing_token(lms: FakeLms, browser: Browser) -> None:
    from tests.harness import form_fields

    auth = browser.get(browser.get(lms.login_url()).headers["Location"])
    action, fields = form_fields(auth.text)
    assert_refused(
        browser.post(action, data={"state": fields["state"], "id_token": "not-a-jwt"}),
        "token_malformed",
    )
    assert_refused(browser.post(action, data={"state": fields["state"]}), "token_missing")
    assert_refused(browser.post(action, data={"id_token": fields["id_token"]}), "state_missing")


def test_launch_without_state_cookie_and_no_platform_storage(
    lms: FakeLms, browser: Browser
) -> None:
    login = browser.get(lms.login_url())
    auth = browser.get(login.headers["Location"])
    from tests.harness import form_fields

    action, fields = form_fields(auth.text)
    browser.clear_cookies()
    response = browser.post(action, data=fields)
    assert_refused(response, "cookies_blocked")
    assert "Open Wayfinder in a new window" in response.text
    # The new-window link starts a fresh login (top level, where cookies work) and is single-use.
    import re

    relaunch = re.search(r'href="([^"]+relaunch=[^"]+)"', response.text).group(1)  # type: ignore[union-attr]
    fresh = browser.get(relaunch.replace("&amp;", "&"))
    assert fresh.status_code == 302 and fresh.headers["Location"].startswith(lms.url + "/auth")
    assert_refused(browser.get(relaunch.replace("&amp;", "&")), "state_unknown")


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"client_id": "unknown-client"}, "unknown_registration"),
        ({"iss": "https://unknown.example"}, "unknown_registration"),
        ({"login_hint": ""}, "login_missing_param"),
        ({"target_link_uri": "https://evil.example/lti/launch"}, "target_link_uri_mismatch"),
    ],
    ids=["unknown client", "unknown issuer", "no login_hint", "foreign target_link_uri"],
)
def test_bad_login_requests(overrides: dict, code: str, lms: FakeLms, browser: Browser) -> None:
    assert_refused(browser.get(lms.login_url(**overrides)), code)


def test_disabled_registration(lms: FakeLms, browser: Browser, clean_app) -> None:
    result = clean_app.test_cli_runner().invoke(
        args=["registrations", "disable", str(lms.registration_id)]
    )
    assert result.exit_code == 0, result.output
    assert_refused(browser.get(lms.login_url()), "registration_disabled")


def test_login_by_post_as_moodle_sends_it(lms: FakeLms, browser: Browser) -> None:
    from urllib.parse import parse_qsl, urlsplit

    url = lms.login_url()
    response = browser.post(url.split("?")[0], data=dict(parse_qsl(urlsplit(url).query)))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(lms.url + "/auth?")


def test_platform_jwks_malformed(lms: FakeLms, browser: Browser) -> None:
    lms.jwks_broken = True
    response = launch(browser, lms).final
    assert response.status_code == 502 and problem_code(response) == "jwks_malformed"
    assert "keys" in response.text  # tells the admin what the keyset URL must return


def test_platform_jwks_unreachable(lms: FakeLms, browser: Browser, clean_app) -> None:
    from lti_tool.lti.models import Registration

    with clean_app.app_context():
        reg = db.session.get(Registration, lms.registration_id)
        reg.key_set_url = "http://127.0.0.1:1/jwks"
        db.session.commit()
    response = launch(browser, lms).final
    assert response.status_code == 502 and problem_code(response) == "jwks_unreachable"
    assert "Traceback" not in response.text


def test_get_on_the_launch_url_explains_itself(lms: FakeLms, browser: Browser) -> None:
    response = browser.get(lms.tool_url + "/lti/launch")
    assert response.status_code == 401 and problem_code(response) == "launch_required"


@pytest.mark.parametrize(
    "id_token",
    [
        "a.b.c",
        "eyJhbGciOiJSUzI1NiJ9.W10.c2ln",  # body is a JSON list
        "W10.e30.c2ln",  # header is a JSON list
        "x" * 5000,
        "é.é.é",
        "..",
    ],
    ids=["garbage parts", "list body", "list header", "huge", "non-ascii", "empty parts"],
)
def test_garbage_id_tokens_never_500(id_token: str, lms: FakeLms, browser: Browser) -> None:
    from tests.harness import form_fields

    auth = browser.get(browser.get(lms.login_url()).headers["Location"])
    action, fields = form_fields(auth.text)
    response = browser.post(action, data={"state": fields["state"], "id_token": id_token})
    assert 400 <= response.status_code < 500, response.text[:500]
    assert problem_code(response) in {"token_malformed", "no_kid", "bad_algorithm"}


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": 12345},
        {"exp": "tomorrow"},
        {C + "roles": "Learner"},
        {C + "context": "not an object", C + "custom": ["x"]},
        {C + "resource_link": {"id": ""}},
        {"sub": ""},
    ],
    ids=[
        "numeric aud",
        "string exp",
        "roles not a list",
        "context and custom malformed",
        "empty link id",
        "empty sub",
    ],
)
def test_malformed_claims_are_refused_or_ignored_without_500(
    claims: dict, lms: FakeLms, browser: Browser
) -> None:
    lms.mutation = TokenMutation(claims=claims)
    response = launch(browser, lms).final
    assert response.status_code in (200, 400, 401), response.text[:500]
    if response.status_code == 200:  # malformed optional claims are ignored, the launch works
        assert "Welcome" in response.text
        assert C + "context" in claims


def test_plain_http_behind_a_misconfigured_proxy_is_named(lms: FakeLms, browser: Browser) -> None:
    from tests.harness import form_fields

    auth = browser.get(browser.get(lms.login_url()).headers["Location"])
    action, fields = form_fields(auth.text)
    browser.clear_cookies()  # what a browser does with a Secure cookie over http
    response = browser.post(action, data=fields, headers={"Host": "wayfinder.example.com"})
    assert_refused(response, "not_https")
    assert "PROXY_FIX" in response.text


def test_login_without_client_id_for_a_shared_issuer_is_named(
    lms: FakeLms, browser: Browser, clean_app
) -> None:
    # Without client_id, one registration for the issuer is enough to find it ...
    assert launch(browser, lms, client_id=None).final.status_code == 200
    # ... but once a second client shares the issuer, the login cannot tell which one it is.
    from lti_tool.lti.models import Registration

    with clean_app.app_context():
        db.session.add(
            Registration(
                issuer=lms.issuer,
                client_id="another-client",
                auth_login_url=lms.url + "/auth",
                key_set_url=lms.url + "/jwks",
            )
        )
        db.session.commit()
    response = browser.get(lms.login_url(client_id=None))
    assert_refused(response, "ambiguous_registration")
    assert launch(browser, lms).final.status_code == 200  # with its client_id, it still works
