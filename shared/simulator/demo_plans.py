"""The demo shop's performance set-up, so the console's pages have content: a weekly
bonus plan on inquiry conversion, a monthly honour plan and an alert rule. Made once
(a second `make run` over the same data finds them and adds none)."""

from __future__ import annotations

from typing import Any

import httpx

BONUS_PLAN: dict[str, Any] = {
    "name": "周转化奖金",
    "metric": "inquiry_conversion_rate",
    "period": "week",
    "tiers": [
        {"threshold": "0.35", "amount": "800"},
        {"threshold": "0.45", "amount": "1200"},
        {"threshold": "0.54", "amount": "1600"},
    ],
    "step": {"every": "0.02", "amount": "200"},
    "deductions": {"forbidden_words": "50"},
}
HONOUR_PLAN: dict[str, Any] = {
    "name": "月度荣誉",
    "period": "month",
    "levels": [
        {
            "name": "铜牌",
            "requirements": [{"metric": "inquiries", "comparison": ">=", "value": 50}],
        },
        {
            "name": "银牌",
            "requirements": [
                {"metric": "inquiries", "comparison": ">=", "value": 200},
                {"metric": "inquiry_conversion_rate", "comparison": ">=", "value": "0.40"},
            ],
        },
    ],
}
ALERT_RULE: dict[str, Any] = {
    "name": "今日转化率低于 30 %",
    "scope": "agent",
    "metric": "inquiry_conversion_rate",
    "comparison": "lt",
    "threshold": 0.3,
    "window": "today",
    "min_sample": 10,
}
SETUP = (
    ("/v1/bonus-plans", BONUS_PLAN),
    ("/v1/honour-plans", HONOUR_PLAN),
    ("/v1/alert-rules", ALERT_RULE),
)


async def create_demo_plans(client: httpx.AsyncClient, key: str) -> list[str]:
    """Each plan or rule the shop has none of yet; a line per thing done or refused."""
    headers = {"Authorization": f"Bearer {key}"}
    lines = []
    for url, body in SETUP:
        listed = await client.get(url, headers=headers)
        if listed.status_code == 200 and listed.json().get("items"):
            continue
        made = await client.post(url, json=body, headers=headers)
        ok = made.status_code == 201
        lines.append(f"{'created' if ok else 'could not create'} {url} {body['name']}")
    return lines
