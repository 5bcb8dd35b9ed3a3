"""Notifications name the item they are about (a training suggestion)

Revision ID: 0019_notification_subject
Revises: 0018_catalog_browse
Create Date: 2026-12-03 17:50:00

Opening a notification that a trainer answered, planned or closed a training suggestion led to
the person's list of suggestions; with the suggestion's id it leads to the suggestion itself.
Older notifications keep no subject and still lead to the list.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_notification_subject"
down_revision = "0018_catalog_browse"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("community_notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_id", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("community_notifications", schema=None) as batch_op:
        batch_op.drop_column("subject_id")
