"""performance management: targets, bonus plans, honour level plans

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column(name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)
        for name in ("created_at", "updated_at")
    ]


def upgrade() -> None:
    op.create_table(
        "targets",
        sa.Column("shop_id", sa.Text(), nullable=False),
        sa.Column("target_id", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("comparison", sa.Text(), nullable=False),
        sa.Column("value", sa.Numeric(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("shop_id", "target_id"),
    )
    op.create_index(
        "ix_targets_agent_period_metric",
        "targets",
        ["shop_id", "agent_id", "period", "metric"],
        unique=True,
    )
    op.create_index("ix_targets_list", "targets", ["shop_id", "created_at", "target_id"])
    for table, columns in (
        (
            "bonus_plans",
            [
                sa.Column("metric", sa.Text(), nullable=False),
                sa.Column("period", sa.Text(), nullable=False),
                sa.Column("definition", postgresql.JSONB(), nullable=False),
            ],
        ),
        (
            "honour_plans",
            [
                sa.Column("period", sa.Text(), nullable=False),
                sa.Column("levels", postgresql.JSONB(), nullable=False),
            ],
        ),
    ):
        op.create_table(
            table,
            sa.Column("shop_id", sa.Text(), nullable=False),
            sa.Column("plan_id", sa.Text(), nullable=False),
            sa.Column("name", sa.Text(), server_default="", nullable=False),
            *columns,
            *_timestamps(),
            sa.PrimaryKeyConstraint("shop_id", "plan_id"),
        )
        op.create_index(f"ix_{table}_list", table, ["shop_id", "created_at", "plan_id"])


def downgrade() -> None:
    for table in ("honour_plans", "bonus_plans"):
        op.drop_index(f"ix_{table}_list", table_name=table)
        op.drop_table(table)
    op.drop_index("ix_targets_list", table_name="targets")
    op.drop_index("ix_targets_agent_period_metric", table_name="targets")
    op.drop_table("targets")
