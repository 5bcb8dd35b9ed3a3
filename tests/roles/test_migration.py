"""Migration 0022 on the tests' database (SQLite or PostgreSQL): the JSON lists of skill ids
lose the ids that name no skill of their own registration, and SQLite rebuilds the skills table
with AUTOINCREMENT (its downgrade without), keeping every row and every reference to it."""

from __future__ import annotations

from typing import Any

from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text

from lti_tool.extensions import db
from lti_tool.lti.models import Registration
from lti_tool.roles.models import JobRole, RoleSkillTarget, Skill
from tests.roles.test_skill_deletion import LEVELS, lists, used_everywhere


def skills_table_sql() -> str:
    return db.session.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'skills'")) or ""


def test_lists_lose_ids_of_missing_skills_and_sqlite_never_gives_an_id_twice(
    clean_app: Any,
) -> None:
    with clean_app.app_context():
        regs = [
            Registration(
                issuer="https://lms.example.com",
                client_id=client,
                auth_login_url="https://lms.example.com/auth",
                key_set_url="https://lms.example.com/jwks",
            )
            for client in ("a", "b")
        ]
        db.session.add_all(regs)
        db.session.flush()
        ours, theirs = (r.id for r in regs)
        empathy, listening, gone = (
            Skill(registration_id=ours, name=n, levels=LEVELS)
            for n in ("Empathy", "Listening", "Gone")
        )
        elsewhere = Skill(registration_id=theirs, name="Empathy", levels=LEVELS)
        db.session.add_all([empathy, listening, gone, elsewhere])
        db.session.flush()
        role = JobRole(registration_id=ours, name="Tier 1 agent")
        db.session.add(role)
        db.session.flush()
        db.session.add(
            RoleSkillTarget(registration_id=ours, role_id=role.id, skill_id=empathy.id, level=3)
        )
        dead = gone.id
        db.session.delete(gone)  # before deletions cleaned the lists: its id stays in them
        db.session.flush()
        # Our lists hold a live skill, the deleted one, and another registration's skill.
        our_rows = used_everywhere(ours, [empathy.id, dead, elsewhere.id, listening.id])
        their_rows = used_everywhere(theirs, [elsewhere.id, empathy.id])
        db.session.commit()
        kept = {"ours": [empathy.id, listening.id], "theirs": [elsewhere.id]}
        sqlite = db.engine.dialect.name == "sqlite"

        try:
            downgrade(revision="0021_sqlite_orphans")
            if sqlite:
                assert "AUTOINCREMENT" not in skills_table_sql()
                db.session.remove()
            upgrade()
            db.session.remove()
            assert lists(our_rows) == {what: kept["ours"] for what in lists(our_rows)}
            assert lists(their_rows) == {what: kept["theirs"] for what in lists(their_rows)}
            # The rebuilt table kept its rows, and what refers to them.
            assert db.session.scalar(select(func.count()).select_from(Skill)) == 3
            assert db.session.scalar(select(RoleSkillTarget.skill_id)) == empathy.id
            if sqlite:
                assert "AUTOINCREMENT" in skills_table_sql()
                assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
            # The newest skill is deleted: the next one still gets a new id.
            newest = max(listening.id, elsewhere.id)
            db.session.execute(Skill.__table__.delete().where(Skill.id == newest))
            again = Skill(registration_id=ours, name="Patience", levels=LEVELS)
            db.session.add(again)
            db.session.commit()
            assert again.id > newest
        finally:
            db.session.remove()
            upgrade()
