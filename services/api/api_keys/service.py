"""Issuing and revoking shop API keys."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import record, snapshot
from ..auth.cache import REVOKED_KEYS
from ..auth.keys import generate_key, hash_key, new_key_id, visible_prefix
from ..exceptions import NotFound
from ..pagination import Page, decode_cursor, page_of
from ..shops.repository import fetch_shop
from . import repository
from .schemas import ApiKeyCreated, ApiKeyOut


async def _require_shop(session: AsyncSession, shop_id: str) -> None:
    if await fetch_shop(session, shop_id) is None:
        raise NotFound(f"shop {shop_id!r} does not exist")


async def issue_key(*, session: AsyncSession, shop_id: str, name: str, actor: str) -> ApiKeyCreated:
    """A new key; the secret is in the result and nowhere else (only its hash is stored)."""
    await _require_shop(session, shop_id)
    key = generate_key()
    row = await repository.insert_key(
        session,
        shop_id=shop_id,
        key_id=new_key_id(),
        name=name,
        prefix=visible_prefix(key),
        key_hash=hash_key(key),
    )
    created = ApiKeyCreated(**row._asdict(), key=key)
    await record(
        session=session,
        actor=actor,
        action="api_key.issued",
        shop_id=shop_id,
        target=f"shop/{shop_id}/api-key/{created.id}",
        before=None,
        after=snapshot(created, exclude={"key"}),  # never the secret
    )
    return created


async def list_keys(
    *, session: AsyncSession, shop_id: str, cursor: str | None, limit: int
) -> Page[ApiKeyOut]:
    await _require_shop(session, shop_id)
    after = str(decode_cursor(cursor, str)[0]) if cursor else None
    rows = await repository.fetch_keys(session, shop_id=shop_id, after=after, limit=limit + 1)
    page, next_cursor = page_of(rows, limit, lambda r: [r.id])
    return Page(items=[ApiKeyOut(**r._asdict()) for r in page], next_cursor=next_cursor)


async def revoke_key(*, session: AsyncSession, shop_id: str, key_id: str, actor: str) -> ApiKeyOut:
    before = await repository.fetch_key(session, shop_id=shop_id, key_id=key_id)
    if before is None:
        raise NotFound(f"shop {shop_id!r} has no API key {key_id!r}")
    row = await repository.revoke_key(session, shop_id=shop_id, key_id=key_id)
    assert row is not None  # locked by fetch_key: still there
    revoked = ApiKeyOut(**row._asdict())
    if before.revoked_at is None:  # revoking a revoked key changes nothing
        await record(
            session=session,
            actor=actor,
            action="api_key.revoked",
            shop_id=shop_id,
            target=f"shop/{shop_id}/api-key/{key_id}",
            before=snapshot(ApiKeyOut(**before._asdict())),
            after=snapshot(revoked),
        )
    # The request's commit makes this process forget the key before it answers; other
    # processes learn it by NOTIFY (migration 0005).
    session.info.setdefault(REVOKED_KEYS, set()).add((shop_id, key_id))
    return revoked
