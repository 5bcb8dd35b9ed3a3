"""People keep the language their LMS last sent (launch_presentation.locale)

Revision ID: 0023_person_locale
Revises: 0022_skill_ids
Create Date: 2026-12-05 04:00:00

What Wayfinder writes for a person while someone else is at the keyboard (a leader's approval,
a coach's sign-off) or while nobody is (a background job), such as the comment that goes with a
score to the LMS gradebook, is written in that person's language. Empty until their next launch
that carries a locale: until then, as before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_person_locale"
down_revision = "0022_skill_ids"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(35), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("locale")
