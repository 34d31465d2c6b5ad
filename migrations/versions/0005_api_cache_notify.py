"""NOTIFY kefu_api_cache when an API key or a shop's rollup_version changes

The API caches callers by key hash and shops.rollup_version in memory and forgets them
on these notifications. Triggers, not calls in the writers' code, so that every writer
(the scoring batch, rescore swaps, admin revokes, an operator's psql) notifies; NOTIFY is
delivered only when its transaction commits, together with the change. Payloads:
`key:<hex sha-256>` (a key revoked, re-hashed, moved or deleted), `version:<n>:<shop_id>`
(rollup_version is now n), `shop:<shop_id>` (a shop deleted). last_used_at writes do not
notify (UPDATE OF lists the columns that matter).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY_FUNCTION = """
CREATE FUNCTION kefu_notify_api_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kefu_api_cache', 'key:' || encode(OLD.key_hash, 'hex'));
    RETURN NULL;
END $$
"""

_SHOP_FUNCTION = """
CREATE FUNCTION kefu_notify_shop_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('kefu_api_cache', 'shop:' || OLD.shop_id);
    ELSE
        PERFORM pg_notify(
            'kefu_api_cache', 'version:' || NEW.rollup_version || ':' || NEW.shop_id
        );
    END IF;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.execute(_KEY_FUNCTION)
    op.execute(_SHOP_FUNCTION)
    op.execute(
        "CREATE TRIGGER api_keys_notify_api_cache"
        " AFTER UPDATE OF revoked_at, key_hash, shop_id OR DELETE ON api_keys"
        " FOR EACH ROW EXECUTE FUNCTION kefu_notify_api_key_change()"
    )
    op.execute(
        "CREATE TRIGGER shops_notify_api_cache"
        " AFTER UPDATE OF rollup_version OR DELETE ON shops"
        " FOR EACH ROW EXECUTE FUNCTION kefu_notify_shop_change()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER shops_notify_api_cache ON shops")
    op.execute("DROP TRIGGER api_keys_notify_api_cache ON api_keys")
    op.execute("DROP FUNCTION kefu_notify_shop_change()")
    op.execute("DROP FUNCTION kefu_notify_api_key_change()")
