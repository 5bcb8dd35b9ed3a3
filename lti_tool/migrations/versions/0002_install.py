"""Install: what a registration came from and what the platform granted it

Revision ID: 0002_install
Revises: 0001_lti_core

"""

import sqlalchemy as sa
from alembic import op

revision = "0002_install"
down_revision = "0001_lti_core"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "registered_via", sa.String(length=20), nullable=False, server_default="manual"
            )
        )
        batch_op.add_column(
            sa.Column("platform_version", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("granted", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_column("granted")
        batch_op.drop_column("platform_version")
        batch_op.drop_column("registered_via")
