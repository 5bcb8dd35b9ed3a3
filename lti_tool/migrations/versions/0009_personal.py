"""Personalisation: learner profiles (onboarding, interests, formats), skill ratings by the
person and their leader, dismissed suggestions

Revision ID: 0009_personal
Revises: 0007_paths
Create Date: 2026-12-03 08:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009_personal"
down_revision = "0008_grades_paths"
branch_labels = None
depends_on = None


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["registration_id"],
        ["registrations.id"],
        name=op.f(f"fk_{table}_registration_id_registrations"),
        ondelete="CASCADE",
    )


def _person_fk(table: str, column: str = "person_id", ondelete: str = "CASCADE"):
    return sa.ForeignKeyConstraint(
        [column], ["people.id"], name=op.f(f"fk_{table}_{column}_people"), ondelete=ondelete
    )


def upgrade():
    op.create_table(
        "learner_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("interests", sa.JSON(), nullable=False),
        sa.Column("formats", sa.JSON(), nullable=False),
        sa.Column("onboarding_step", sa.String(length=20), nullable=False),
        sa.Column("onboarded_at", sa.DateTime(), nullable=True),
        sa.Column("skipped_at", sa.DateTime(), nullable=True),
        sa.Column("share_with_team", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        _person_fk("learner_profiles"),
        _tenant_fk("learner_profiles"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learner_profiles")),
        sa.UniqueConstraint("person_id", name="uq_learner_profiles_person"),
    )
    with op.batch_alter_table("learner_profiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_learner_profiles_registration_id"), ["registration_id"], unique=False
        )

    op.create_table(
        "skill_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("rater", sa.String(length=10), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("rated_by", sa.String(length=255), nullable=False),
        sa.Column("rated_by_person_id", sa.Integer(), nullable=True),
        sa.Column("rated_at", sa.DateTime(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        _person_fk("skill_ratings"),
        _person_fk("skill_ratings", "rated_by_person_id", "SET NULL"),
        sa.ForeignKeyConstraint(
            ["skill_id"],
            ["skills.id"],
            name=op.f("fk_skill_ratings_skill_id_skills"),
            ondelete="CASCADE",
        ),
        _tenant_fk("skill_ratings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skill_ratings")),
        sa.UniqueConstraint("person_id", "skill_id", "rater", name="uq_skill_ratings_person_skill"),
    )
    with op.batch_alter_table("skill_ratings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_skill_ratings_registration_id"), ["registration_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_skill_ratings_skill_id"), ["skill_id"], unique=False)

    op.create_table(
        "dismissed_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("path_id", sa.Integer(), nullable=False),
        sa.Column("step_key", sa.String(length=40), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        _person_fk("dismissed_suggestions"),
        sa.ForeignKeyConstraint(
            ["path_id"],
            ["paths.id"],
            name=op.f("fk_dismissed_suggestions_path_id_paths"),
            ondelete="CASCADE",
        ),
        _tenant_fk("dismissed_suggestions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dismissed_suggestions")),
        sa.UniqueConstraint(
            "person_id", "path_id", "step_key", name="uq_dismissed_suggestions_step"
        ),
    )
    with op.batch_alter_table("dismissed_suggestions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dismissed_suggestions_registration_id"),
            ["registration_id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("dismissed_suggestions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dismissed_suggestions_registration_id"))
    op.drop_table("dismissed_suggestions")
    with op.batch_alter_table("skill_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_skill_ratings_skill_id"))
        batch_op.drop_index(batch_op.f("ix_skill_ratings_registration_id"))
    op.drop_table("skill_ratings")
    with op.batch_alter_table("learner_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learner_profiles_registration_id"))
    op.drop_table("learner_profiles")
