"""manager console (issue #14): console users and their sign-in sessions

- console_users: people who sign in to /console, per shop; role manager (the whole
  shop) or agent (bound to one agent_id: only that agent's numbers). Email is unique
  across shops (one sign-in form, no shop to pick); the password is an argon2 hash.
- console_sessions: a signed-in browser; the cookie holds a random token, the table its
  SHA-256 and the session's CSRF token. Sign-out deletes the row.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "console_users",
        sa.Column("shop_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.Text(), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("shop_id", "user_id"),
        sa.CheckConstraint(
            "(role = 'manager' AND agent_id IS NULL) OR (role = 'agent' AND agent_id IS NOT NULL)",
            name="ck_console_users_role",
        ),
    )
    op.create_index("ix_console_users_email", "console_users", ["email"], unique=True)
    op.create_table(
        "console_sessions",
        sa.Column("shop_id", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("csrf_token", sa.Text(), nullable=False),
        _ts("created_at"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "token_hash"),
    )
    op.create_index(
        "ix_console_sessions_token_hash", "console_sessions", ["token_hash"], unique=True
    )


def downgrade() -> None:
    op.drop_table("console_sessions")
    op.drop_table("console_users")
