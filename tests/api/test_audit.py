"""The audit trail (issue #18): every admin action that changes something leaves exactly
one entry with actor, time, target and before/after, readable through /admin/audit and
never editable — neither through the API nor in the database."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from .conftest import new_shop_id
from .test_admin_and_auth import assert_problem
from .test_admin_ops import GOOD, add_letter


async def _trail(client: httpx.AsyncClient, admin: dict[str, str], shop: str) -> list[Any]:
    r = await client.get("/admin/audit", headers=admin, params={"shop_id": shop})
    assert r.status_code == 200, r.text
    return list(reversed(r.json()["items"]))  # oldest first


async def test_each_admin_action_leaves_exactly_one_entry(
    client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> None:
    shop = new_shop_id()
    created = await client.post("/admin/shops", headers=admin, json={"shop_id": shop, "name": "A"})
    assert created.status_code == 201
    assert await client.patch(
        f"/admin/shops/{shop}", headers=admin, json={"settings": {"slow_reply_seconds": 60}}
    )
    # The same change again changes nothing: no entry.
    assert await client.patch(
        f"/admin/shops/{shop}", headers=admin, json={"settings": {"slow_reply_seconds": 60}}
    )
    key = (await client.post(f"/admin/shops/{shop}/api-keys", headers=admin)).json()
    for _ in range(2):  # idempotent: the second revocation changes nothing
        revoked = await client.delete(f"/admin/shops/{shop}/api-keys/{key['id']}", headers=admin)
        assert revoked.status_code == 200
    job = await client.post(f"/admin/shops/{shop}/rescore-jobs", headers=admin)
    assert job.status_code == 202
    await add_letter(api_engine, shop, GOOD, "unknown_shop", 30_001)
    for _ in range(2):  # the second replay finds nothing left: no entry
        replay = await client.post(
            "/admin/dead-letters/replay", headers=admin, json={"shop_id": shop}
        )
        assert replay.status_code == 200
    user = {
        "email": f"boss@{shop}.example",
        "display_name": "王经理",
        "role": "manager",
        "password": "a long passphrase",
    }
    made_user = await client.post(f"/admin/shops/{shop}/console-users", headers=admin, json=user)
    assert made_user.status_code == 201
    # Reads change nothing.
    await client.get(f"/admin/shops/{shop}", headers=admin)
    await client.get(f"/admin/shops/{shop}/api-keys", headers=admin)

    trail = await _trail(client, admin, shop)
    assert [e["action"] for e in trail] == [
        "shop.created",
        "shop.updated",
        "api_key.issued",
        "api_key.revoked",
        "rescore.queued",
        "dead_letters.replayed",
        "console_user.created",
    ]
    assert {e["actor"] for e in trail} == {"admin"}
    assert all(e["shop_id"] == shop and e["at"] for e in trail)
    made, changed, issued, revoked_, queued, replayed, console_user = trail
    assert console_user["after"]["email"] == user["email"]
    assert user["password"] not in str(trail) and "hash" not in str(console_user["after"])
    assert made["before"] is None and made["after"]["name"] == "A"
    assert made["target"] == f"shop/{shop}"
    assert changed["before"]["settings"]["slow_reply_seconds"] == 30
    assert changed["after"]["settings"]["slow_reply_seconds"] == 60
    assert issued["target"] == f"shop/{shop}/api-key/{key['id']}"
    assert "key" not in issued["after"] and key["key"] not in str(trail)  # never the secret
    assert revoked_["before"]["revoked_at"] is None and revoked_["after"]["revoked_at"]
    assert queued["after"]["job_id"] == job.json()["job_id"]
    assert replayed["after"]["replayed"] is True and replayed["after"]["ids"]
    # Filters and pages.
    only = await client.get(
        "/admin/audit", headers=admin, params={"shop_id": shop, "action": "api_key.revoked"}
    )
    assert [e["id"] for e in only.json()["items"]] == [revoked_["id"]]
    first = (
        await client.get("/admin/audit", headers=admin, params={"shop_id": shop, "limit": 4})
    ).json()
    rest = (
        await client.get(
            "/admin/audit",
            headers=admin,
            params={"shop_id": shop, "limit": 4, "cursor": first["next_cursor"]},
        )
    ).json()
    assert [e["id"] for e in first["items"] + rest["items"]] == [e["id"] for e in trail[::-1]]


async def test_a_failed_action_leaves_no_entry(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    shop = new_shop_id()
    body = {"shop_id": shop, "name": "A"}
    assert (await client.post("/admin/shops", headers=admin, json=body)).status_code == 201
    assert (await client.post("/admin/shops", headers=admin, json=body)).status_code == 409
    missing = await client.delete(f"/admin/shops/{shop}/api-keys/key_nope", headers=admin)
    assert missing.status_code == 404
    assert [e["action"] for e in await _trail(client, admin, shop)] == ["shop.created"]


async def test_the_trail_cannot_be_changed(
    client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> None:
    shop = new_shop_id()
    await client.post("/admin/shops", headers=admin, json={"shop_id": shop, "name": "A"})
    (entry,) = await _trail(client, admin, shop)
    # No route changes or deletes an entry.
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        r = await client.request(method, "/admin/audit", headers=admin, json={})
        assert r.status_code == 405, (method, r.status_code)
        r = await client.request(method, f"/admin/audit/{entry['id']}", headers=admin, json={})
        assert r.status_code in (404, 405), (method, r.status_code)
        assert_problem(r, r.status_code)
    paths = (await client.get("/openapi.json")).json()["paths"]
    audit_methods = {m for p, ops in paths.items() if "audit" in p for m in ops}
    assert audit_methods == {"get"}
    # Nor can the database: a trigger refuses UPDATE and DELETE.
    for statement in (
        "UPDATE admin_audit SET actor = 'someone else' WHERE shop_id = :s",
        "DELETE FROM admin_audit WHERE shop_id = :s",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with api_engine.begin() as conn:
                await conn.execute(text(statement), {"s": shop})
    assert await _trail(client, admin, shop) == [entry]
    # Reading the trail takes the admin token.
    assert (await client.get("/admin/audit")).status_code == 401
