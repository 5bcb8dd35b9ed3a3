"""Tool keys: created by a command, rotated with overlap, published at /lti/jwks."""

from __future__ import annotations

import base64
from datetime import timedelta

from lti_tool.extensions import db
from lti_tool.lti.models import KeyStatus, ToolKey, utcnow


def kids(client) -> list[str]:
    return [k["kid"] for k in client.get("/lti/jwks").get_json()["keys"]]


def test_rotation_publishes_current_next_and_retired_within_grace(app) -> None:
    client = app.test_client()
    runner = app.test_cli_runner()
    before = kids(client)
    assert len(before) >= 2
    with app.app_context():
        current = db.session.scalar(db.select(ToolKey).where(ToolKey.status == KeyStatus.CURRENT))
        upcoming = db.session.scalar(db.select(ToolKey).where(ToolKey.status == KeyStatus.NEXT))
        old_kid, next_kid = current.kid, upcoming.kid
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0 and f"Current key is now {next_kid}" in result.output
    after = kids(client)
    assert old_kid in after and next_kid in after and len(after) == len(before) + 1
    for key in client.get("/lti/jwks").get_json()["keys"]:
        assert key["alg"] == "RS256" and key["use"] == "sig" and "d" not in key  # public only
    with app.app_context():
        retired = db.session.scalar(db.select(ToolKey).where(ToolKey.kid == old_kid))
        retired.retired_at = utcnow() - timedelta(days=app.config["TOOL_KEY_GRACE_DAYS"] + 1)
        db.session.commit()
    assert old_kid not in kids(client)
    assert "Deleted 1 retired key" in runner.invoke(args=["keys", "prune"]).output


def test_keys_create_is_idempotent(app) -> None:
    result = app.test_cli_runner().invoke(args=["keys", "create"])
    assert result.exit_code == 0 and "nothing created" in result.output


def test_registration_commands(clean_app) -> None:
    runner = clean_app.test_cli_runner()
    add = "registrations add --platform moodle --issuer https://moodle.example.com --client-id abc"
    ok = runner.invoke(args=[*add.split(), "--deployment", "7"])
    assert ok.exit_code == 0, ok.output
    listing = runner.invoke(args=["registrations", "list"]).output
    assert "https://moodle.example.com" in listing and "deployment 7  active" in listing
    dup = runner.invoke(args=add.split())
    assert dup.exit_code != 0 and "already has issuer" in dup.output
    bad = runner.invoke(args=["registrations", "add", "--issuer", "not a url", "--client-id", "x"])
    assert bad.exit_code != 0 and "--issuer: Give a full http(s) URL" in bad.output
    other = runner.invoke(
        args=["registrations", "add", "--issuer", "https://lms.example", "--client-id", "x"]
    )
    assert other.exit_code != 0 and "--auth-login-url: Copy this URL from the LMS" in other.output
    missing = runner.invoke(args=["deployments", "approve", "999", "x"])
    assert missing.exit_code != 0 and "No registration 999" in missing.output


def test_purge_store_removes_expired_state_and_old_launch_records(clean_app) -> None:
    from datetime import timedelta

    from lti_tool.lti.models import LaunchEvent
    from lti_tool.store import DatabaseStore

    with clean_app.app_context():
        store = DatabaseStore()
        store.set("old", 1, -5)
        store.set("fresh", 1, 600)
        db.session.add_all(
            [
                LaunchEvent(
                    stage="launch", code="replayed", created_at=utcnow() - timedelta(days=100)
                ),
                LaunchEvent(stage="launch", code="replayed", created_at=utcnow()),
            ]
        )
        db.session.commit()
    runner = clean_app.test_cli_runner()
    result = runner.invoke(args=["purge-store"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 expired entries and 1 launch records older than 90 days." in result.output
    with clean_app.app_context():
        assert DatabaseStore().get("fresh") == 1
        assert db.session.scalar(db.select(db.func.count()).select_from(LaunchEvent)) == 1
    assert runner.invoke(args=["purge-store", "--keep-days", "0"]).exit_code != 0


def test_private_keys_encrypted_with_the_passphrase_and_re_encrypted_on_change(app) -> None:
    """TOOL_KEY_PASSPHRASE: `keys encrypt` stores every private key encrypted (a copy of the
    database alone cannot sign), keys made afterwards are encrypted too, signing still works,
    a missing or wrong passphrase is a clear error, and the passphrase can be changed."""
    import pytest

    from lti_tool.lti import keys

    runner = app.test_cli_runner()
    with app.app_context():
        original = {
            k.kid: (k.private_pem, k.status, k.retired_at)
            for k in db.session.scalars(db.select(ToolKey))
        }
    saved = {n: app.config.get(n) for n in ("TOOL_KEY_PASSPHRASE", "TOOL_KEY_PREVIOUS_PASSPHRASE")}

    def stored() -> dict[str, str]:
        with app.app_context():
            return {k.kid: k.private_pem for k in db.session.scalars(db.select(ToolKey))}

    def public_n(kid: str) -> int:
        with app.app_context():
            key = db.session.scalar(db.select(ToolKey).where(ToolKey.kid == kid))
            return keys.private_key_object(kid, key.private_pem).public_key().public_numbers().n

    try:
        assert "stored unencrypted" in runner.invoke(args=["keys", "list"]).output
        refused = runner.invoke(args=["keys", "encrypt"])
        assert refused.exit_code != 0 and "Set TOOL_KEY_PASSPHRASE first" in refused.output
        n_before = {kid: public_n(kid) for kid in original}

        app.config["TOOL_KEY_PASSPHRASE"] = "first passphrase, long enough"
        done = runner.invoke(args=["keys", "encrypt"])
        assert done.exit_code == 0 and f"Encrypted {len(original)} key(s)" in done.output
        assert all(keys.is_encrypted(pem) for pem in stored().values())
        assert "stored unencrypted" not in runner.invoke(args=["keys", "list"]).output
        assert {kid: public_n(kid) for kid in original} == n_before  # the same keys
        rotated = runner.invoke(args=["keys", "rotate"])
        assert rotated.exit_code == 0
        assert all(keys.is_encrypted(pem) for pem in stored().values())  # new keys too
        with app.app_context():
            current = keys.current_key()
            pem = keys.signing_pem(current)  # what pylti1p3 gets: plain, in memory only
            assert not keys.is_encrypted(pem) and "PRIVATE KEY" in pem

        app.config["TOOL_KEY_PASSPHRASE"] = ""
        with (
            app.app_context(),
            pytest.raises(keys.KeyLocked, match="TOOL_KEY_PASSPHRASE is not set"),
        ):
            keys.private_key_object(current.kid, current.private_pem)
        app.config["TOOL_KEY_PASSPHRASE"] = "a wrong one"
        with app.app_context(), pytest.raises(keys.KeyLocked, match="not the passphrase"):
            keys.private_key_object(current.kid, current.private_pem)

        changing = runner.invoke(args=["keys", "encrypt"])  # new passphrase, old one not given
        assert changing.exit_code != 0 and "TOOL_KEY_PREVIOUS_PASSPHRASE" in changing.output
        app.config["TOOL_KEY_PREVIOUS_PASSPHRASE"] = "first passphrase, long enough"
        assert runner.invoke(args=["keys", "encrypt"]).exit_code == 0
        n = current.public_jwk["n"]
        assert public_n(current.kid) == int.from_bytes(
            base64.urlsafe_b64decode(n + "=" * (-len(n) % 4))
        )
    finally:
        app.config.update(saved)
        with app.app_context():  # the other tests' keys as they were
            for key in db.session.scalars(db.select(ToolKey)):
                if key.kid in original:
                    key.private_pem, key.status, key.retired_at = original[key.kid]
                else:
                    db.session.delete(key)
            db.session.commit()
