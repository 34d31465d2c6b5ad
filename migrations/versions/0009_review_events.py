"""review.posted events and the review numbers of SPEC §11

- review_events: the raw `review.posted` events, stored by ingest like chat_messages and
  order_events (body as it arrived, source position, storing transaction); keyed by shop
  and event id, indexed by order (an order's reviews) and by time.
- order_reviews: derived, per buyer like sessions and inquiries: the review that counts
  for each reviewed placed order (the latest), its service agent and the agents it names;
  the bad-review list and the review.bad notifications read it.
- agent_daily: reviews, good_reviews, neutral_reviews, bad_reviews (reviews of orders the
  agent served) and review_mentions (good reviews naming the agent).
- shop_daily: reviews_total, bad_reviews_total and the DSR sums and counts
  (dsr_<key>_sum, dsr_<key>_count for item, service, logistics).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 12:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_XID = "(pg_current_xact_id()::text::bigint)"
_AGENT_PARTS = ("reviews", "good_reviews", "neutral_reviews", "bad_reviews", "review_mentions")
_SHOP_PARTS = (
    "reviews_total",
    "bad_reviews_total",
    *(f"dsr_{key}_{part}" for key in ("item", "service", "logistics") for part in ("sum", "count")),
)


def upgrade() -> None:
    op.create_table(
        "review_events",
        sa.Column("shop_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Text(), nullable=False),
        sa.Column("buyer_id", sa.Text(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rating", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("dsr_item", sa.SmallInteger(), nullable=True),
        sa.Column("dsr_service", sa.SmallInteger(), nullable=True),
        sa.Column("dsr_logistics", sa.SmallInteger(), nullable=True),
        sa.Column("body", sa.dialects.postgresql.JSONB(), nullable=False),
        sa.Column("src_topic", sa.Text(), nullable=False),
        sa.Column("src_partition", sa.Integer(), nullable=False),
        sa.Column("src_offset", sa.BigInteger(), nullable=False),
        sa.Column(
            "ingested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("ingest_xid", sa.BigInteger(), server_default=sa.text(_XID), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "event_id"),
    )
    op.create_index("ix_review_events_order", "review_events", ["shop_id", "order_id"])
    op.create_index("ix_review_events_shop_time", "review_events", ["shop_id", "posted_at"])
    op.create_index("ix_review_events_ingested_at", "review_events", ["ingested_at"])
    op.create_index("ix_review_events_ingest_xid", "review_events", ["shop_id", "ingest_xid"])
    op.create_table(
        "order_reviews",
        sa.Column("shop_id", sa.Text(), nullable=False),
        sa.Column("buyer_id", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rating", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("dsr_item", sa.SmallInteger(), nullable=True),
        sa.Column("dsr_service", sa.SmallInteger(), nullable=True),
        sa.Column("dsr_logistics", sa.SmallInteger(), nullable=True),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent_id", sa.Text(), nullable=True),
        sa.Column("inquiry_day", sa.Date(), nullable=True),
        sa.Column(
            "mentions",
            sa.dialects.postgresql.JSONB(),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("shop_id", "buyer_id", "order_id"),
    )
    op.create_index("ix_order_reviews_order", "order_reviews", ["shop_id", "order_id"])
    op.create_index("ix_order_reviews_rating_day", "order_reviews", ["shop_id", "rating", "day"])
    for table, parts in (("agent_daily", _AGENT_PARTS), ("shop_daily", _SHOP_PARTS)):
        for name in parts:
            op.add_column(
                table, sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)
            )


def downgrade() -> None:
    for table, parts in (("agent_daily", _AGENT_PARTS), ("shop_daily", _SHOP_PARTS)):
        for name in parts:
            op.drop_column(table, name)
    op.drop_table("order_reviews")
    op.drop_table("review_events")
