"""Leaders: a leader's dismissal of the stall nudge for one of their teams

Revision ID: 0016_leaders
Revises: 0015_voice
Create Date: 2026-12-03 13:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016_leaders"
down_revision = "0015_voice"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "leader_nudge_dismissals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_leader_nudge_dismissals_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_leader_nudge_dismissals_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_leader_nudge_dismissals_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leader_nudge_dismissals")),
        sa.UniqueConstraint("team_id", "person_id", name="uq_leader_nudge_dismissals_team_person"),
    )
    with op.batch_alter_table("leader_nudge_dismissals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_leader_nudge_dismissals_registration_id"),
            ["registration_id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("leader_nudge_dismissals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leader_nudge_dismissals_registration_id"))
    op.drop_table("leader_nudge_dismissals")
