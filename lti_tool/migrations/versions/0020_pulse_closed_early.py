"""Pulse surveys can be closed before their closing day

Revision ID: 0020_pulse_closed_early
Revises: 0019_notification_subject
Create Date: 2026-12-04 16:40:00

A trainer who has heard enough (or scheduled a survey by mistake) closes it now: it takes no
more answers and its results show, if enough people answered. The planned closing day is kept,
so the page can say both.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_pulse_closed_early"
down_revision = "0019_notification_subject"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("voice_pulse_surveys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_early_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("voice_pulse_surveys", schema=None) as batch_op:
        batch_op.drop_column("closed_early_at")
