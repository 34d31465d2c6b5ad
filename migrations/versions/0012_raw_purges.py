"""raw-event retention: the record of every purge (SPEC §2/§3 raw_retention_days)

One row per purge of a shop by services/scoring/retention.py: when it ran, the horizon
it purged before, how many dormant buyers and raw rows went. GET /admin/pipeline shows
the latest per shop. The purge itself deletes raw rows and buyer_state rows; results and
rollups are kept.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "raw_purges",
        sa.Column("shop_id", sa.Text(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("buyers", sa.Integer(), nullable=False),
        sa.Column("chat_rows", sa.BigInteger(), nullable=False),
        sa.Column("order_rows", sa.BigInteger(), nullable=False),
        sa.Column("review_rows", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "id"),
    )
    op.create_index("ix_raw_purges_latest", "raw_purges", ["shop_id", "purged_at"])


def downgrade() -> None:
    op.drop_table("raw_purges")
