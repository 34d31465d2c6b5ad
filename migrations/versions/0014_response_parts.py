"""response-time runs in two parts per agent-day (issue #18, the soak)

- agent_responses.part: 0 the settled run, 1 the recent additions. A scoring batch
  rewrites only the small recent part; it is merged into the settled run once it holds
  a few hundred values, or when a late event removes a value the recent part lacks
  (services/scoring/response_parts.py). Readers sum every row of an agent-day, as they
  already summed the rows of many days (docs/percentiles.md). Existing rows are part 0.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "agent_responses",
        sa.Column("part", sa.SmallInteger(), server_default="0", nullable=False),
    )
    op.drop_constraint("agent_responses_pkey", "agent_responses", type_="primary")
    op.create_primary_key(
        "agent_responses_pkey", "agent_responses", ["shop_id", "day", "agent_id", "part"]
    )


def downgrade() -> None:
    # Each recent part is merged into its settled run first: nothing is lost.
    from domain.spread import decode, encode

    conn = op.get_bind()
    recent = conn.execute(
        sa.text(
            "SELECT shop_id, day, agent_id, response_us, first_response_us"
            " FROM agent_responses WHERE part <> 0"
        )
    ).all()
    for shop_id, day, agent_id, *runs in recent:
        key = {"s": shop_id, "d": day, "a": agent_id}
        settled = conn.execute(
            sa.text(
                "SELECT response_us, first_response_us FROM agent_responses"
                " WHERE shop_id = :s AND day = :d AND agent_id = :a AND part = 0"
            ),
            key,
        ).first()
        merged = [
            encode(sorted([*decode(bytes(old)), *decode(bytes(new))]))
            for old, new in zip(settled or (encode([]), encode([])), runs, strict=True)
        ]
        conn.execute(
            sa.text(
                "INSERT INTO agent_responses"
                " (shop_id, day, agent_id, part, response_us, first_response_us)"
                " VALUES (:s, :d, :a, 0, :r, :f) ON CONFLICT (shop_id, day, agent_id, part)"
                " DO UPDATE SET response_us = excluded.response_us,"
                " first_response_us = excluded.first_response_us"
            ),
            {**key, "r": merged[0], "f": merged[1]},
        )
    op.execute("DELETE FROM agent_responses WHERE part <> 0")
    op.drop_constraint("agent_responses_pkey", "agent_responses", type_="primary")
    op.drop_column("agent_responses", "part")
    op.create_primary_key("agent_responses_pkey", "agent_responses", ["shop_id", "day", "agent_id"])
