"""The app factory, settings and migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

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
    app = migrated_sqlite_app(tmp_path / "fresh.db")
    with app.app_context():
        from lti_tool.extensions import db

        with db.engine.connect() as conn:
            assert "alembic_version" in inspect(conn).get_table_names()
            # Migrating turns enforcement off on its connection; the pool gets it back on.
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
        db.engine.dispose()


def test_migrating_a_sqlite_file_keeps_the_rows_of_rebuilt_tables(tmp_path: Path) -> None:
    """SQLite changes most columns by rebuilding the table (copy, drop, rename), as 0002's
    downgrade does to registrations: dropping the old table must not cascade to the
    deployments and people of each registration."""
    from flask_migrate import downgrade, upgrade

    from tests.feedback.test_migration import _fill_defaults

    path = tmp_path / "old.db"
    app = create_app({"SECRET_KEY": SECRET, "DATABASE_URL": f"sqlite:///{path}"})
    engine = create_engine(f"sqlite:///{path}")
    with app.app_context():
        upgrade(revision="0002_install")
        with engine.begin() as conn:
            for statement in (
                "INSERT INTO registrations (id, issuer, client_id, auth_login_url, key_set_url, "
                "frame_origins) VALUES (1, 'https://lms', 'c', 'https://lms/a', 'https://lms/k', "
                "'[]')",
                "INSERT INTO deployments (registration_id, deployment_id, status, created_at) "
                "VALUES (1, 'd1', 'active', '2026-01-01')",
                "INSERT INTO people (registration_id, sub, created_at) "
                "VALUES (1, 'ana', '2026-01-01')",
            ):
                conn.execute(text(_fill_defaults(conn, statement)))
        downgrade(revision="0001_lti_core")
        with engine.connect() as conn:
            assert "registered_via" not in {
                c["name"] for c in inspect(conn).get_columns("registrations")
            }
        upgrade()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT deployment_id FROM deployments")).all() == [("d1",)]
        assert conn.execute(text("SELECT sub FROM people")).all() == [("ana",)]
    engine.dispose()


def test_upgrading_a_sqlite_file_removes_rows_left_by_deletions_that_never_cascaded(
    tmp_path: Path,
) -> None:
    """Before enforcement, deleting a registration or a person left their rows behind."""
    from flask_migrate import upgrade

    from tests.feedback.test_migration import _fill_defaults

    path = tmp_path / "orphans.db"
    app = create_app({"SECRET_KEY": SECRET, "DATABASE_URL": f"sqlite:///{path}"})
    engine = create_engine(f"sqlite:///{path}")  # a plain engine: enforcement off, as before
    with app.app_context():
        upgrade(revision="0020_pulse_closed_early")
        with engine.begin() as conn:
            for statement in (
                "INSERT INTO registrations (id, issuer, client_id, auth_login_url, key_set_url, "
                "frame_origins) VALUES (1, 'https://lms', 'c', 'https://lms/a', 'https://lms/k', "
                "'[]')",
                "INSERT INTO people (id, registration_id, sub) VALUES (5, 1, 'ana')",
                "INSERT INTO courses (id, registration_id, context_id) VALUES (3, 1, 'ctx')",
                # Person 6 was deleted; registration 2 too, with its person 7.
                "INSERT INTO people (id, registration_id, sub) VALUES (7, 2, 'gone')",
                "INSERT INTO memberships (registration_id, course_id, person_id) VALUES (1, 3, 5)",
                "INSERT INTO memberships (registration_id, course_id, person_id) VALUES (1, 3, 6)",
                "INSERT INTO memberships (registration_id, course_id, person_id) VALUES (1, 3, 7)",
                "INSERT INTO launch_events (stage, registration_id) VALUES ('launch', 1)",
                "INSERT INTO launch_events (stage, registration_id) VALUES ('launch', 2)",
            ):
                conn.execute(text(_fill_defaults(conn, statement)))
        upgrade()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id FROM people")).all() == [(5,)]
        assert conn.execute(text("SELECT person_id FROM memberships")).all() == [(5,)]
        logged = conn.execute(text("SELECT registration_id FROM launch_events ORDER BY id")).all()
        assert logged == [(1,), (None,)]
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
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
