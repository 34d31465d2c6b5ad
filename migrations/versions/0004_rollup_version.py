"""shops.rollup_version (API metrics cache), ingested_at indexes, one active rescore job

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = sa.text("status IN ('queued', 'running')")


def upgrade() -> None:
    # Bumped in every transaction that changes what /v1/metrics returns for the shop.
    op.add_column(
        "shops",
        sa.Column("rollup_version", sa.BigInteger(), server_default="0", nullable=False),
    )
    # /admin/pipeline's events/s counts the last minute's rows of every shop.
    op.create_index("ix_chat_messages_ingested_at", "chat_messages", ["ingested_at"])
    op.create_index("ix_order_events_ingested_at", "order_events", ["ingested_at"])
    # At most one queued or running rescore per shop, even for concurrent requests.
    op.create_index(
        "ix_rescore_jobs_one_active",
        "rescore_jobs",
        ["shop_id"],
        unique=True,
        postgresql_where=_ACTIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_rescore_jobs_one_active", table_name="rescore_jobs")
    op.drop_index("ix_order_events_ingested_at", table_name="order_events")
    op.drop_index("ix_chat_messages_ingested_at", table_name="chat_messages")
    op.drop_column("shops", "rollup_version")
