"""review work marks (SPEC §11): causes, notes and reviewed flags on lost inquiries and
bad reviews

The manager's own words about the lists, never derived: scoring and rescores do not read
or touch these tables (a rescore rebuilds the inquiries they point at; the marks stay).

- lost_inquiry_marks: one per inquiry, keyed as the inquiries table is (shop, buyer,
  agent, local day).
- bad_review_marks: one per order; it stays with the order when its review changes.

Revision ID: 0008
Revises: 0006_offset_log_identity
Create Date: 2026-12-10 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006_offset_log_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _mark_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("reviewed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        *(
            sa.Column(
                name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
            )
            for name in ("created_at", "updated_at")
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "lost_inquiry_marks",
        sa.Column("shop_id", sa.Text(), nullable=False),
        sa.Column("buyer_id", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *_mark_columns(),
        sa.PrimaryKeyConstraint("shop_id", "buyer_id", "agent_id", "day"),
    )
    op.create_table(
        "bad_review_marks",
        sa.Column("shop_id", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Text(), nullable=False),
        *_mark_columns(),
        sa.PrimaryKeyConstraint("shop_id", "order_id"),
    )


def downgrade() -> None:
    op.drop_table("bad_review_marks")
    op.drop_table("lost_inquiry_marks")
