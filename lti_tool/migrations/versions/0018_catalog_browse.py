"""Catalog browsing index (PostgreSQL): visible items, featured first, then by title

Revision ID: 0018_catalog_browse
Revises: 0017_lms_accounts
Create Date: 2026-12-03 17:45:00

Browsing the catalog without a search orders the tenant's visible items by featured (first),
title and id. PostgreSQL can read that order from an index only when the index has featured
descending; without it every page sorted the whole visible catalog (about 30 ms at 5,000
items, bench/catalog.py). SQLite keeps ix_catalog_items_listing: it sorts 5,000 rows in
memory quickly, and its index reflection cannot describe a descending column.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_catalog_browse"
down_revision = "0017_lms_accounts"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index(
        "ix_catalog_items_browse",
        "catalog_items",
        ["registration_id", sa.text("featured DESC"), "title", "id"],
        postgresql_where=sa.text("hidden IS false AND gone_at IS NULL"),
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_catalog_items_browse", table_name="catalog_items")
