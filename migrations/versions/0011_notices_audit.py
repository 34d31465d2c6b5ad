"""qa violation notice ledger (SPEC §8), the admin audit trail, webhook fairness (#18)

- qa_notices: one row per violation identity (shop, rule, message, occurrence) ever
  notified, with its state (notified | withdrawn) and generation (bumped when a
  withdrawn violation appears again): a violation is notified once, however late or often
  its events arrive, and withdrawn when late events or a rescore remove it.
- admin_audit: append-only record of every admin action that changes something; a
  trigger refuses UPDATE and DELETE, so nothing (the API included) can edit it.
- webhook_deliveries: partial indexes for the dispatcher's per-subscription claim (due
  rows of one subscription, its leased rows) and the clean-up of delivered rows.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 12:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSE = """
CREATE FUNCTION admin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'admin_audit is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""


def _ts(name: str, *, default: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        server_default=sa.text("now()") if default else None,
        nullable=not default,
    )


def upgrade() -> None:
    op.create_table(
        "qa_notices",
        sa.Column("shop_id", sa.Text(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("message_key", sa.Text(), nullable=False),
        sa.Column("occurrence", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("generation", sa.Integer(), server_default="0", nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        _ts("updated_at", default=True),
        sa.PrimaryKeyConstraint("shop_id", "rule", "message_key", "occurrence"),
    )
    op.create_index("ix_qa_notices_buyer", "qa_notices", ["shop_id", "buyer_id"])
    op.create_table(
        "admin_audit",
        sa.Column("shop_id", sa.Text(), nullable=False),
        sa.Column("audit_id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        _ts("at", default=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("shop_id", "audit_id"),
    )
    op.create_index("ix_admin_audit_time", "admin_audit", ["at", "audit_id"])
    op.create_index(
        "ix_webhook_deliveries_sub_due",
        "webhook_deliveries",
        ["shop_id", "subscription_id", "next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_webhook_deliveries_leased",
        "webhook_deliveries",
        ["shop_id", "subscription_id"],
        postgresql_where=sa.text("lease_until IS NOT NULL"),
    )
    op.create_index(
        "ix_webhook_deliveries_delivered",
        "webhook_deliveries",
        ["finished_at"],
        postgresql_where=sa.text("status = 'delivered'"),
    )
    op.execute(_REFUSE)
    op.execute(
        "CREATE TRIGGER admin_audit_append_only BEFORE UPDATE OR DELETE ON admin_audit"
        " FOR EACH ROW EXECUTE FUNCTION admin_audit_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER admin_audit_append_only ON admin_audit")
    op.execute("DROP FUNCTION admin_audit_append_only()")
    for name in (
        "ix_webhook_deliveries_delivered",
        "ix_webhook_deliveries_leased",
        "ix_webhook_deliveries_sub_due",
    ):
        op.drop_index(name, table_name="webhook_deliveries")
    op.drop_index("ix_admin_audit_time", table_name="admin_audit")
    op.drop_table("admin_audit")
    op.drop_index("ix_qa_notices_buyer", table_name="qa_notices")
    op.drop_table("qa_notices")
