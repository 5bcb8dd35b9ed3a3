"""Learning paths placed in courses; each course's AGS endpoint kept on its row

Placements of paths (and steps) by deep linking, whose progress goes to the course's gradebook.
The course's line items URL and granted scopes move from ags_endpoints onto courses (the launch
already holds that row: no extra query per launch); line_items.create_missing is false for
columns the LMS makes itself from a deep-linking answer.

Revision ID: 0008_grades_paths
Revises: 0007_paths
Create Date: 2026-12-03 08:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_grades_paths"
down_revision = "0007_paths"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ags_lineitems_url", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("ags_scopes", sa.JSON(), nullable=True))
    op.execute(
        "UPDATE courses SET "
        "ags_lineitems_url = (SELECT e.lineitems_url FROM ags_endpoints e "
        "WHERE e.course_id = courses.id), "
        "ags_scopes = (SELECT e.scopes FROM ags_endpoints e WHERE e.course_id = courses.id) "
        "WHERE EXISTS (SELECT 1 FROM ags_endpoints e WHERE e.course_id = courses.id)"
    )
    with op.batch_alter_table("ags_endpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ags_endpoints_registration_id"))
    op.drop_table("ags_endpoints")

    with op.batch_alter_table("line_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("create_missing", sa.Boolean(), nullable=False, server_default=sa.true())
        )

    op.create_table(
        "path_placements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("path_id", sa.Integer(), nullable=False),
        sa.Column("step_key", sa.String(length=40), nullable=False),
        sa.Column("item_key", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("graded", sa.Boolean(), nullable=False),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
        sa.Column("placed_by", sa.String(length=255), nullable=False),
        sa.Column("resource_link_id", sa.String(length=255), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_path_placements_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["path_id"],
            ["paths.id"],
            name=op.f("fk_path_placements_path_id_paths"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_path_placements_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_path_placements")),
        sa.UniqueConstraint("course_id", "item_key", name="uq_path_placements_course_item"),
    )
    with op.batch_alter_table("path_placements", schema=None) as batch_op:
        batch_op.create_index("ix_path_placements_path", ["path_id", "course_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_path_placements_registration_id"), ["registration_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("path_placements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_path_placements_registration_id"))
        batch_op.drop_index("ix_path_placements_path")
    op.drop_table("path_placements")

    with op.batch_alter_table("line_items", schema=None) as batch_op:
        batch_op.drop_column("create_missing")

    op.create_table(
        "ags_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("lineitems_url", sa.String(length=1000), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_ags_endpoints_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_ags_endpoints_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ags_endpoints")),
        sa.UniqueConstraint("course_id", name="uq_ags_endpoints_course"),
    )
    with op.batch_alter_table("ags_endpoints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ags_endpoints_registration_id"), ["registration_id"], unique=False
        )
    op.execute(
        "INSERT INTO ags_endpoints (course_id, lineitems_url, scopes, updated_at, registration_id) "
        "SELECT id, ags_lineitems_url, COALESCE(ags_scopes, '[]'), CURRENT_TIMESTAMP, "
        "registration_id FROM courses WHERE ags_lineitems_url IS NOT NULL"
    )
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_column("ags_scopes")
        batch_op.drop_column("ags_lineitems_url")
