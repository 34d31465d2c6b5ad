"""Offsets carry the log they were read from; raw events carry their storing transaction

- consumer_offsets.log_id: the topic id of the log a stored position belongs to (scoring:
  written with every batch; ingest, whose positions are committed in Kafka: written when
  it starts reading a log). NULL on rows from before this revision: the first assignment
  adopts the current log for them, as the code before did.
- chat_messages/order_events.ingest_xid: the 64-bit id of the transaction that stored the
  row (pg_current_xact_id()), indexed per shop. Rows stored before this revision get 0.
- shops.raw_covered_xid: every raw event of the shop whose ingest_xid is below it has been
  seen by the derivation of every buyer it touches (scoring's catch-up from the raw
  tables advances it). Existing shops start at 1: what was stored before (ingest_xid 0)
  is taken as scored, as the code before took it.

Revision ID: 0006_offset_log_identity
Revises: 0005
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_offset_log_identity"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_XID = "(pg_current_xact_id()::text::bigint)"
_RAW = ("chat_messages", "order_events")


def upgrade() -> None:
    op.add_column("consumer_offsets", sa.Column("log_id", sa.Text(), nullable=True))
    for table in _RAW:
        # A constant default first (no table rewrite), then the expression for new rows.
        op.add_column(
            table, sa.Column("ingest_xid", sa.BigInteger(), server_default="0", nullable=False)
        )
        op.alter_column(table, "ingest_xid", server_default=sa.text(_XID))
        op.create_index(f"ix_{table}_ingest_xid", table, ["shop_id", "ingest_xid"])
    op.add_column(
        "shops",
        sa.Column("raw_covered_xid", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.execute("UPDATE shops SET raw_covered_xid = 1")


def downgrade() -> None:
    op.drop_column("shops", "raw_covered_xid")
    for table in _RAW:
        op.drop_index(f"ix_{table}_ingest_xid", table_name=table)
        op.drop_column(table, "ingest_xid")
    op.drop_column("consumer_offsets", "log_id")
