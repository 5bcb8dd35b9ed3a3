"""SQLite: rows left behind by deletions that never cascaded are removed (or unlinked)

Revision ID: 0021_sqlite_orphans
Revises: 0020_pulse_closed_early
Create Date: 2026-12-05 10:00:00

Until now SQLite ignored every ON DELETE: deleting a person, a skill or a path left the rows
that pointed at it, and a new row could get the deleted row's id and inherit them. The app now
turns enforcement on, so this applies once what the database should have done at each deletion:
rows of an ON DELETE CASCADE key are deleted, ON DELETE SET NULL columns are emptied, again
until nothing refers to a missing row (a deleted row may have had rows of its own). PostgreSQL
always enforced its keys: nothing to do there. There is no downgrade of deleted data.
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0021_sqlite_orphans"
down_revision = "0020_pulse_closed_early"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    while True:
        broken = defaultdict(list)
        for table, rowid, _parent, key in bind.exec_driver_sql("PRAGMA foreign_key_check"):
            if rowid is not None:
                broken[table, key].append(rowid)
        repaired = sum(_repair(bind, table, key, rowids) for (table, key), rowids in broken.items())
        if not repaired:
            return  # clean, or only keys without an ON DELETE rule: migrating names those


def _repair(bind, name, key, rowids):
    keys = [
        row for row in bind.exec_driver_sql(f'PRAGMA foreign_key_list("{name}")') if row[0] == key
    ]
    columns = [row[3] for row in keys]
    table = sa.table(name, *(sa.column(column) for column in columns))
    rule = keys[0][6]
    if rule == "CASCADE":
        change = sa.delete(table)
    elif rule == "SET NULL":
        change = sa.update(table).values(dict.fromkeys(columns))
    else:
        return 0
    for start in range(0, len(rowids), 500):  # older SQLite takes at most 999 parameters
        bind.execute(change.where(sa.literal_column("rowid").in_(rowids[start : start + 500])))
    return len(rowids)
