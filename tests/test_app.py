"""The app factory, settings and migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect

from lti_tool import create_app
from lti_tool.config import ConfigError, load_settings
from tests.conftest import SECRET


def test_create_app_has_no_side_effects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db_file = tmp_path / "untouched.db"
    monkeypatch.setattr(
        "socket.socket.connect", lambda *a: (_ for _ in ()).throw(AssertionError("network"))
    )
    app = create_app(
        {
            "SECRET_KEY": SECRET,
            "DATABASE_URL": f"sqlite:///{db_file}",
            "REDIS_URL": "redis://127.0.0.1:1/0",
        }
    )
    assert app.url_map.bind("x").match("/lti/jwks")[0] == "lti.jwks"
    assert not db_file.exists()  # no tables, no keys
    assert not list(tmp_path.iterdir())


def test_settings_load_order(tmp_path: Path) -> None:
    named = tmp_path / "site.toml"
    named.write_text('CLOCK_LEEWAY = 9\nJOB_ROLE_PARAMETER = "from_file"\n')
    env = {
        "WAYFINDER_CONFIG": str(named),
        "WAYFINDER_JOB_ROLE_PARAMETER": "from_env",
        "DATABASE_URL": "postgresql://db/x",
    }
    settings = load_settings(environ=env, overrides={"HTTP_TIMEOUT": 3})
    assert settings["CLOCK_LEEWAY"] == 9  # file over defaults
    assert settings["JOB_ROLE_PARAMETER"] == "from_env"  # environment over file
    assert settings["DATABASE_URL"] == "postgresql://db/x"  # unprefixed, as hosts set it
    assert settings["HTTP_TIMEOUT"] == 3  # overrides last
    assert settings["LOGIN_STATE_SECONDS"] == 600  # defaults


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": SECRET, "ENV": "production", "DEV_LAUNCHER": True}, "DEV_LAUNCHER"),
        ({"SECRET_KEY": SECRET, "DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"SECRET_KEY": SECRET, "REDIS_URL": "http://x"}, "REDIS_URL"),
    ],
)
def test_bad_settings_fail_fast_naming_the_setting(
    overrides: dict, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WAYFINDER_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match=message):
        create_app(overrides)


def test_bad_environment_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAYFINDER_CLOCK_LEEWAY", "five")
    with pytest.raises(ConfigError, match="WAYFINDER_CLOCK_LEEWAY must be a whole number"):
        load_settings()


def test_migrations_from_empty_match_the_models(app) -> None:
    """The session fixture applied every migration to an empty database; compare with the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from lti_tool.community.services import is_search_object
    from lti_tool.extensions import db

    def modelled(obj: Any, name: str | None, kind: str, reflected: bool, _model: Any) -> bool:
        # Search structures the migration makes by hand for one database (FTS5, tsvector).
        table = getattr(getattr(obj, "table", None), "name", None)
        return not (reflected and is_search_object(name, kind, table))

    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": modelled})
        diff = compare_metadata(context, db.metadata)
        tables = set(inspect(conn).get_table_names())
    assert diff == []
    assert {
        "registrations",
        "deployments",
        "tool_keys",
        "people",
        "courses",
        "memberships",
        "kv_entries",
    } <= tables


def migrated_sqlite_app(path: Path, redis_url: str = "") -> Any:
    """A new installation: an empty SQLite file with every migration applied."""
    from flask_migrate import upgrade

    app = create_app(
        {"SECRET_KEY": SECRET, "DATABASE_URL": f"sqlite:///{path}", "REDIS_URL": redis_url}
    )
    with app.app_context():
        upgrade()
    return app


def test_migrations_apply_to_a_fresh_sqlite_file(tmp_path: Path) -> None:
    migrated_sqlite_app(tmp_path / "fresh.db")
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    with engine.connect() as conn:
        assert "alembic_version" in inspect(conn).get_table_names()
    engine.dispose()


def test_store_outage_gives_a_clear_503(tmp_path: Path) -> None:
    app = migrated_sqlite_app(tmp_path / "x.db", redis_url="redis://127.0.0.1:1/0")
    response = app.test_client().get(
        "/lti/login?iss=https://lms.example&login_hint=1&target_link_uri=http://localhost/lti/launch"
    )
    # Registrations are looked up through the store's cache: the outage shows at once.
    assert response.status_code == 503
    with app.app_context():
        from lti_tool.extensions import db
        from lti_tool.lti.models import Registration

        db.session.add(
            Registration(
                issuer="https://lms.example",
                client_id="c",
                auth_login_url="https://lms.example/a",
                key_set_url="https://lms.example/k",
            )
        )
        db.session.commit()
    response = app.test_client().get(
        "/lti/login?iss=https://lms.example&client_id=c&login_hint=1&target_link_uri=http://localhost/lti/launch"
    )
    assert response.status_code == 503
    assert b"check that Redis (REDIS_URL)" in response.data
