"""The catalogue on the API: /v1/metric-definitions lists it, /v1/metrics rows carry
exactly its fields, and the OpenAPI document describes every metric field from it."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.catalogue import AGENT_METRICS, CATALOGUE, SHOP_METRICS
from domain.qa_rules import RULES

from .conftest import insert_agent_days, insert_shop_days, make_shop

DAY = date(2026, 11, 11)
ROW_FIELDS = [m.name for m in AGENT_METRICS if m.in_rows == "field"] + ["violations"]
SHOP_FIELDS = [m.name for m in SHOP_METRICS]


async def test_metric_definitions_list_the_catalogue(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    _, headers = await make_shop(client, admin)
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:  # small pages: the cursor walks the whole catalogue, once
        params: dict[str, Any] = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        r = await client.get("/v1/metric-definitions", params=params, headers=headers)
        assert r.status_code == 200, r.text
        seen += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert [d["name"] for d in seen] == list(CATALOGUE)
    conversion = next(d for d in seen if d["name"] == "inquiry_conversion_rate")
    assert conversion == {
        "name": "inquiry_conversion_rate",
        "label_zh": "询单转化率",
        "label_en": "inquiry conversion rate",
        "kind": "rate",
        "unit": "fraction",
        "direction": "higher",
        "scope": "agent",
        "formula": "paid_buyers / inquiries",
        "parts": ["paid_buyers", "inquiries"],
        "sample_metric": "inquiries",
        "in_rows": "field",
        "definition": "paid_buyers / inquiries",
    }
    unauthenticated = await client.get("/v1/metric-definitions")
    assert unauthenticated.status_code == 401


async def test_metrics_rows_carry_exactly_the_catalogues_fields(
    client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine
) -> None:
    shop_id, headers = await make_shop(client, admin)
    await insert_agent_days(api_engine, shop_id, [("a1", DAY, {"inquiries": 3, "paid_buyers": 1})])
    await insert_shop_days(api_engine, shop_id, [(DAY, {"placed_orders": 2})])
    query = {"from": "2026-11-11", "to": "2026-11-11"}
    agent = await client.get("/v1/metrics", params=query, headers=headers)
    (row,) = agent.json()["rows"]
    assert list(row) == ["period", "agent_id", *ROW_FIELDS]
    assert list(row["violations"]) == list(RULES)
    assert row["inquiry_conversion_rate"] == 1 / 3
    shop = await client.get("/v1/metrics", params={**query, "group_by": "shop"}, headers=headers)
    (shop_row,) = shop.json()["rows"]
    assert list(shop_row) == ["period", *ROW_FIELDS, *SHOP_FIELDS]
    assert shop_row["placed_orders"] == 2


def _properties(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(schema, property, its schema) of every property of every component schema."""
    return [
        (schema_name, prop, spec)
        for schema_name, schema in document["components"]["schemas"].items()
        for prop, spec in schema.get("properties", {}).items()
    ]


def test_openapi_describes_every_metric_field(app: FastAPI) -> None:
    document = app.openapi()
    rows = document["components"]["schemas"]["MetricsRow"]["properties"]
    assert list(rows) == ["period", "agent_id", "group", "mentor_id", *ROW_FIELDS, *SHOP_FIELDS]
    violations = document["components"]["schemas"]["Violations"]["properties"]
    assert list(violations) == list(RULES)
    described = 0
    for schema_name, prop, spec in _properties(document):
        name = f"violations.{prop}" if schema_name == "Violations" else prop
        metric = CATALOGUE.get(name)
        where = f"{schema_name}.{prop}"
        if metric is None or spec.get("type") == "array":  # a list by a metric's name
            continue
        if name == "violations" and "type" not in spec:  # the per-rule object (a $ref)
            assert "违规次数" in spec.get("description", ""), where
            continue
        assert metric.zh in spec.get("description", ""), where
        described += metric.definition in spec["description"]
    # Row models take the catalogue's own definition: MetricsRow every row field, the
    # mentor view's rows the per-agent ones again, Violations each rule.
    assert described == 2 * (len(ROW_FIELDS) - 1) + len(RULES) + len(SHOP_FIELDS)
