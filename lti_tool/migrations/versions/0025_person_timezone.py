"""People keep the time zone their LMS last sent ($Person.address.timezone)

Revision ID: 0025_person_timezone
Revises: 0024_catalog_connection
Create Date: 2026-12-06 10:30:00

Coaching slots and live sessions are shown, and typed, in the zone of the person at the
keyboard. Empty until their next launch that carries one: until then, COACHING_TIMEZONE as
before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_person_timezone"
down_revision = "0024_catalog_connection"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(64), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("timezone")
