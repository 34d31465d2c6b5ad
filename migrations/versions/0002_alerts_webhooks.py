"""alert rules and state, webhook subscriptions, outbox (events), deliveries, attempts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 07:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOW = sa.text("now()")


def _ts(name: str, *, nullable: bool = False, default: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=_NOW if default else None,
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("shop_id", sa.Text(), nullable=False),
        sa.Column("rule_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), server_default="", nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.Text(), nullable=True),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("comparison", sa.Text(), nullable=False),
        sa.Column("threshold", sa.Numeric(), nullable=False),
        sa.Column("time_window", sa.Text(), nullable=False),
        sa.Column("min_sample", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("sample_metric", sa.Text(), nullable=True),
        sa.Column("cooldown_seconds", sa.BigInteger(), server_default="3600", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("shop_id", "rule_id"),
    )
    op.create_table(
        "alert_state",
        sa.Column("shop_id", sa.Text(), nullable=False),
        sa.Column("rule_id", sa.Text(), nullable=False),
        sa.Column("scope_key", sa.Text(), nullable=False),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("value", sa.Numeric(), nullable=True),
        sa.Column("sample", sa.BigInteger(), nullable=True),
        _ts("last_breached_at", nullable=True, default=False),
        _ts("last_resolved_at", nullable=True, default=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("shop_id", "rule_id", "scope_key"),
    )
    op.create_table(
        "webhook_subscriptions",
        sa.Column("shop_id", sa.Text(), nullable=False),
        sa.Column("subscription_id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("event_types", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("previous_secret", sa.Text(), nullable=True),
        _ts("previous_secret_expires_at", nullable=True, default=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("shop_id", "subscription_id"),
    )
    op.create_table(
        "webhook_events",
        sa.Column("shop_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("shop_id", "event_id"),
    )
    op.create_index(
        "ix_webhook_events_type_time", "webhook_events", ["shop_id", "type", "created_at"]
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("shop_id", sa.Text(), nullable=False),
        sa.Column("delivery_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("subscription_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        _ts("next_attempt_at"),
        _ts("expires_at", nullable=True, default=False),
        _ts("lease_until", nullable=True, default=False),
        sa.Column("lease_token", sa.Text(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("finished_at", nullable=True, default=False),
        sa.PrimaryKeyConstraint("shop_id", "delivery_id"),
    )
    op.create_index(
        "ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"]
    )
    op.create_index(
        "ix_webhook_deliveries_event",
        "webhook_deliveries",
        ["shop_id", "event_id", "subscription_id"],
        unique=True,
    )
    op.create_index(
        "ix_webhook_deliveries_list",
        "webhook_deliveries",
        ["shop_id", "created_at", "delivery_id"],
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("shop_id", sa.Text(), nullable=False),
        sa.Column("delivery_id", sa.Text(), nullable=False),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        _ts("started_at"),
        _ts("finished_at", nullable=True, default=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("shop_id", "delivery_id", "attempt_no"),
    )


def downgrade() -> None:
    op.drop_table("webhook_attempts")
    op.drop_index("ix_webhook_deliveries_list", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_event", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_webhook_events_type_time", table_name="webhook_events")
    op.drop_table("webhook_events")
    op.drop_table("webhook_subscriptions")
    op.drop_table("alert_state")
    op.drop_table("alert_rules")
