"""The demo's console users: a manager and an agent of the demo shop, created through
/admin. Their passwords derive from the admin token, so a second `make run` over the same
data prints the same sign-ins (the users exist already: 409, kept)."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

import httpx

CONSOLE_LINE = "console sign-in "


def demo_password(admin_token: str, email: str) -> str:
    digest = hmac.new(admin_token.encode(), email.encode(), hashlib.sha256).hexdigest()
    return f"demo-{digest[:12]}"


def demo_users(shop_id: str, agent_id: str) -> list[dict[str, str]]:
    return [
        {"email": f"manager@{shop_id}.example", "display_name": "店长", "role": "manager"},
        {
            "email": f"agent@{shop_id}.example",
            "display_name": agent_id,
            "role": "agent",
            "agent_id": agent_id,
        },
    ]


async def create_console_users(
    client: httpx.AsyncClient, shop_id: str, agent_id: str, admin_token: str
) -> list[str]:
    """Create (or keep) the demo's console users; a line per user for the banner."""
    lines = []
    for user in demo_users(shop_id, agent_id):
        password = demo_password(admin_token, user["email"])
        resp = await client.post(
            f"/admin/shops/{quote(shop_id, safe='')}/console-users",
            json={**user, "password": password},
        )
        if resp.status_code not in (201, 409):
            lines.append(f"note: console user {user['email']}: HTTP {resp.status_code}")
            continue
        lines.append(f"{CONSOLE_LINE}{user['role']}: {user['email']} / {password}")
    return lines
