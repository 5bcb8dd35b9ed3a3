"""The catalog's Canvas access can be an administrator's OAuth connection

Revision ID: 0024_catalog_connection
Revises: 0023_person_locale
Create Date: 2026-12-05 22:30:00

With a Canvas API developer key, a Canvas account administrator can connect the catalog as
themselves instead of pasting an admin token: the access token is kept where the pasted one is
(``token_encrypted``), with its refresh token (encrypted), when it expires, and the Canvas user
it belongs to (``connected_as``; empty for a pasted token).
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_catalog_connection"
down_revision = "0023_person_locale"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("catalog_sources", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("refresh_token_encrypted", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("token_expires_at", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("connected_as", sa.String(100), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("catalog_sources", schema=None) as batch_op:
        batch_op.drop_column("connected_as")
        batch_op.drop_column("token_expires_at")
        batch_op.drop_column("refresh_token_encrypted")
