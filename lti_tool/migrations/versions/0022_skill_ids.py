"""Skills: no id is given twice on SQLite, and lists of skill ids lose the ids of deleted skills

Revision ID: 0022_skill_ids
Revises: 0021_sqlite_orphans
Create Date: 2026-12-06 10:00:00

Path steps, coaching offers and sessions, and learners' interests list skill ids in JSON, which
no foreign key follows: deleting a skill left its id in them. SQLite then gave the next skill
the id of the newest deleted one (without AUTOINCREMENT a new row takes the largest rowid plus
one), and that skill showed on the old steps, offers and interests.

Upgrade: every such list loses the ids that name no skill of its own registration (on both
databases), and SQLite rebuilds the skills table with AUTOINCREMENT, so no id comes back from
now on. An id SQLite already gave to a new skill of the same registration cannot be told from a
real use, and stays. PostgreSQL's sequences never give an id twice: its table is left as it is.
The downgrade rebuilds the table without AUTOINCREMENT on SQLite; removed ids do not come back.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_skill_ids"
down_revision = "0021_sqlite_orphans"
branch_labels = None
depends_on = None

# The JSON columns listing skill ids (lti_tool.id_lists.ids_of("skills") marks them today).
LISTS = (
    ("path_nodes", "skill_ids"),
    ("coaching_offers", "skill_ids"),
    ("coaching_sessions", "skill_ids"),
    ("learner_profiles", "interests"),
)


def upgrade():
    bind = op.get_bind()
    _drop_ids_of_missing_skills(bind)
    if bind.dialect.name == "sqlite":
        _rebuild_skills(autoincrement=True)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_skills(autoincrement=False)


def _rebuild_skills(*, autoincrement):
    with op.batch_alter_table(
        "skills", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def _drop_ids_of_missing_skills(bind):
    skills = sa.table("skills", sa.column("id"), sa.column("registration_id"))
    known = {tuple(row) for row in bind.execute(sa.select(skills.c.registration_id, skills.c.id))}
    for name, column in LISTS:
        table = sa.table(
            name, sa.column("id"), sa.column("registration_id"), sa.column(column, sa.JSON)
        )
        changes = []
        rows = bind.execute(sa.select(table.c.id, table.c.registration_id, table.c[column]))
        for pk, registration_id, ids in rows:
            kept = [i for i in ids or [] if (registration_id, i) in known]
            if kept != list(ids or []):
                changes.append({"pk": pk, "kept": kept})
        if changes:
            bind.execute(
                sa.update(table)
                .where(table.c.id == sa.bindparam("pk"))
                .values({column: sa.bindparam("kept", type_=sa.JSON)}),
                changes,
            )
