"""after-/mid-sale consultations and the response-time spread (SPEC §11)

- agent_daily gains aftersale_consultations and midsale_consultations (additive counts).
- agent_responses: per (shop, day, agent) every response_seconds of the day (and of the
  first responses) as a sorted array of little-endian int64 microseconds, the data's
  native resolution; /v1/metrics merges them at read time into exact nearest-rank
  percentiles (docs/percentiles.md).

Existing history fills in with an admin rescore (buyers re-derived later add their own).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTS = ("aftersale_consultations", "midsale_consultations")


def upgrade() -> None:
    for name in _COUNTS:
        op.add_column(
            "agent_daily", sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)
        )
    op.create_table(
        "agent_responses",
        sa.Column("shop_id", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agent_id", sa.Text(), nullable=False),
        sa.Column("response_us", sa.LargeBinary(), nullable=False),
        sa.Column("first_response_us", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "day", "agent_id"),
    )
    # Runs stay in the row, uncompressed, up to a whole page: a month's read is then a
    # scan of the rows, not one TOAST lookup per run (docs/percentiles.md). Rarer, bigger
    # days are compressed and moved out of line as usual.
    op.execute("ALTER TABLE agent_responses SET (toast_tuple_target = 8160)")
    for column in ("response_us", "first_response_us"):
        op.execute(f"ALTER TABLE agent_responses ALTER COLUMN {column} SET STORAGE MAIN")


def downgrade() -> None:
    op.drop_table("agent_responses")
    for name in _COUNTS:
        op.drop_column("agent_daily", name)
