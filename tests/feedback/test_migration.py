"""Migration 0014 moves catalog ratings into the one ratings table, and its downgrade moves them
back: on a SQLite file at 0013 with a rating in catalog_ratings."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from lti_tool import create_app
from tests.conftest import SECRET

ROWS = [
    "INSERT INTO registrations (id, issuer, client_id, name, auth_login_url, key_set_url, "
    "enabled, created_at) VALUES (1, 'https://lms', 'c', 'LMS', 'https://lms/a', "
    "'https://lms/k', 1, '2026-01-01')",
    "INSERT INTO people (id, registration_id, sub, name, given_name, family_name, email, "
    "preferred_name, job_role, created_at) VALUES (5, 1, 'ana', 'Ana', 'Ana', '', '', '', '', "
    "'2026-01-01')",
    "INSERT INTO catalog_items (id, registration_id, source, external_id, title) "
    "VALUES (7, 1, 'local', 'local-7', 'Empathy on the phone')",
    "INSERT INTO catalog_ratings (registration_id, item_id, person_id, role_id, stars, comment, "
    "created_at, updated_at) VALUES (1, 7, 5, NULL, 4, 'Good', '2026-02-01', '2026-02-03')",
]


def test_catalog_ratings_move_into_feedback_ratings_and_back(tmp_path: Path) -> None:
    path = tmp_path / "moving.db"
    app = create_app({"SECRET_KEY": SECRET, "DATABASE_URL": f"sqlite:///{path}"})
    engine = create_engine(f"sqlite:///{path}")
    with app.app_context():
        upgrade(revision="0013_recognition")
        with engine.begin() as conn:
            for statement in ROWS:
                conn.execute(text(_fill_defaults(conn, statement)))
        upgrade(revision="0014_feedback")
        with engine.connect() as conn:
            assert "catalog_ratings" not in inspect(conn).get_table_names()
            moved = conn.execute(
                text(
                    "SELECT kind, subject_id, item_key, title, person_id, stars, comment, "
                    "created_at, updated_at FROM feedback_ratings"
                )
            ).all()
        assert [tuple(r)[:7] for r in moved] == [
            ("catalog_item", "7", "7", "Empathy on the phone", 5, 4, "Good")
        ]
        assert str(moved[0][7]).startswith("2026-02-01")
        assert str(moved[0][8]).startswith("2026-02-03")
        downgrade(revision="0013_recognition")
        with engine.connect() as conn:
            back = conn.execute(
                text("SELECT item_id, person_id, stars, comment FROM catalog_ratings")
            ).all()
            assert [tuple(r) for r in back] == [(7, 5, 4, "Good")]
            assert "feedback_ratings" not in inspect(conn).get_table_names()
    engine.dispose()


def _fill_defaults(conn: object, statement: str) -> str:
    """Older tables have NOT NULL columns these rows do not name: give them empty values."""
    table = statement.split()[2]
    named = statement.split("(", 1)[1].split(")", 1)[0].replace(" ", "").split(",")
    missing = [
        c
        for c in inspect(conn).get_columns(table)  # type: ignore[arg-type]
        if not c["nullable"] and c["name"] not in named and c["name"] != "id"
    ]
    if not missing:
        return statement
    head, values = statement.split(" VALUES (", 1)
    cols = head.rstrip(")") + ", " + ", ".join(c["name"] for c in missing) + ")"
    fillers = [
        "0" if "INT" in str(c["type"]).upper() or "BOOL" in str(c["type"]).upper() else "''"
        for c in missing
    ]
    return f"{cols} VALUES ({values.rstrip(')')}, {', '.join(fillers)})"
