"""CSV and XLSX exports read back equal, cell for cell, to the JSON of the same query.

One shop holds every metric with a value somewhere (and a null elsewhere), money with
cents, agent ids and buyer ids that a spreadsheet would take for formulas, and a comma and
a quote that CSV must quote. The expected headers and cells are written here from the
catalogue and the JSON response, not from the export code. The writers' batches are made
small so that several batches are written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.catalogue import AGENT_METRICS, CATALOGUE, RULE_LABELS, SHOP_METRICS, Metric
from domain.parts import AgentDayParts, ShopDayParts
from services.api.exports import csv_file, xlsx_file

from .conftest import (
    insert_agent_days,
    insert_agent_responses,
    insert_agents,
    insert_shop_days,
    make_shop,
)
from .fixtures_rows import conversation
from .readback import (
    csv_cell_holds,
    csv_table,
    download_name,
    guarded,
    xlsx_cell_holds,
    xlsx_sheet,
    xlsx_table,
    xstring,
)

ZONE = ZoneInfo("Asia/Shanghai")
CURRENCY = "USD"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOV = {"from": "2026-11-01", "to": "2026-11-30"}
STAR = "小美"
# Text a spreadsheet would read as a formula (=, +, -, @, tab, carriage return), and
# text CSV must quote.
RISKY_AGENTS = ["=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(A1)", "\tTAB", "\rCR", 'a,b"c']
RISKY_BUYER = '=HYPERLINK("http://x","y")'


def _every_part(scale: int) -> dict[str, Any]:
    """Every part non-zero: every metric has a value (money with cents)."""
    parts: dict[str, Any] = {}
    for i, name in enumerate(AgentDayParts.FIELDS, start=1):
        parts[name] = (
            Decimal(f"{1234 * scale + i}.{(i * 7) % 100:02d}")
            if name in AgentDayParts.DECIMAL_FIELDS
            else (i * 37 * scale) % 997 + 1
        )
    parts["response_us_sum"] = 3_141_593 * scale
    return parts


@dataclass
class Shop:
    shop_id: str
    headers: dict[str, str]
    bonus_plan: str
    honour_plan: str


@pytest.fixture(scope="module", autouse=True)
def small_batches() -> Any:
    """Several batches per file (the writers' batches are a thousand rows and more)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csv_file, "BATCH", 3)
        patch.setattr(xlsx_file, "BATCH", 3)
        yield


@pytest.fixture(scope="module")
async def shop(client: httpx.AsyncClient, admin: dict[str, str], api_engine: AsyncEngine) -> Shop:
    shop_id, headers = await make_shop(client, admin, {"currency": CURRENCY})
    await insert_agents(
        api_engine,
        shop_id,
        [
            {"agent_id": STAR, "group_name": "一组"},
            {"agent_id": RISKY_AGENTS[0], "group_name": "=grp", "mentor_id": STAR},
            *({"agent_id": a} for a in RISKY_AGENTS[1:]),
        ],
    )
    days = [date(2026, 11, 10), date(2026, 11, 11), date(2026, 11, 30)]
    rows = [(STAR, d, _every_part(i + 1)) for i, d in enumerate(days)]
    rows += [(STAR, date(2026, 10, 15), _every_part(5))]
    rows += [(a, days[1], {"consultations": 3, "inquiries": 2}) for a in RISKY_AGENTS]
    rows += [(RISKY_AGENTS[0], date(2026, 10, 15), {"inquiries": 4, "paid_buyers": 1})]
    await insert_agent_days(api_engine, shop_id, rows)
    # Response times for the percentiles (SPEC §11): 1.5 s, 2.25 s, ... on STAR's days.
    await insert_agent_responses(
        api_engine,
        shop_id,
        [
            (STAR, d, [1_500_000 * (i + 1), 750_000 * (i + 3)], [1_500_000 * (i + 1)])
            for i, d in enumerate(days)
        ],
    )
    shop_parts = {
        n: (Decimal(f"{900 + i}.05") if n in ShopDayParts.DECIMAL_FIELDS else 40 + i)
        for i, n in enumerate(ShopDayParts.FIELDS)
    }
    await insert_shop_days(api_engine, shop_id, [(days[0], shop_parts), (days[2], shop_parts)])
    await conversation(api_engine, shop_id, buyer=RISKY_BUYER, agent="@evil")
    await conversation(api_engine, shop_id, buyer="买家一", agent=STAR)
    bonus = await client.post(
        "/v1/bonus-plans",
        headers=headers,
        json={
            "name": "月奖",
            "metric": "inquiry_conversion_rate",
            "period": "month",
            "tiers": [
                {"threshold": "0.10", "amount": "800"},
                {"threshold": "0.5", "amount": "1200.5"},
            ],
            "step": {"every": "0.02", "amount": "40"},
            "deductions": {"forbidden_words": "5.25", "slow_reply": "1"},
        },
    )
    honour = await client.post(
        "/v1/honour-plans",
        headers=headers,
        json={
            "period": "month",
            "levels": [
                {
                    "name": "铜牌",
                    "requirements": [{"metric": "inquiries", "comparison": ">=", "value": 1}],
                },
                {
                    "name": "=金牌",
                    "requirements": [
                        {"metric": "inquiries", "comparison": ">=", "value": 1},
                        {"metric": "avg_response_seconds", "comparison": "<=", "value": 5},
                        {"metric": "sales_amount", "comparison": ">=", "value": 100},
                    ],
                },
            ],
        },
    )
    assert bonus.status_code == honour.status_code == 201, (bonus.text, honour.text)
    return Shop(shop_id, headers, bonus.json()["id"], honour.json()["id"])


# --- what the test expects: (value in a JSON item, zh header, en header, kind) -------------

Get = Callable[[dict[str, Any]], Any]
Spec = tuple[Get, str, str, str]


def _key(name: str) -> Get:
    return lambda item: item.get(name)


def _suffix(metric: Metric, lang: str) -> str:
    if metric.unit == "currency":
        return f" ({CURRENCY})"
    return {"zh": " (秒)", "en": " (s)"}[lang] if metric.unit == "seconds" else ""


def metric_spec(metric: Metric, get: Get | None = None, zh: str = "", en: str = "") -> Spec:
    if get is None:
        rule = metric.name.removeprefix("violations.")
        nested = metric.in_rows == "violations"
        get = (lambda item: item["violations"][rule]) if nested else _key(metric.name)
    kind = "money" if metric.kind == "money" else "number"
    return (
        get,
        zh + metric.zh + _suffix(metric, "zh"),
        en + metric.en + _suffix(metric, "en"),
        kind,
    )


def _mark(field: str) -> Get:
    return lambda item: (item.get("mark") or {}).get(field)


def text(key: str, zh: str, en: str, kind: str = "text") -> Spec:
    return (_key(key), zh, en, kind)


ROW_METRICS = [metric_spec(m) for m in AGENT_METRICS if m.in_rows != "no"]
SHOP_ROW_METRICS = [metric_spec(m) for m in SHOP_METRICS if m.in_rows != "no"]
KEYS = {
    "agent": [text("agent_id", "客服", "agent")],
    "group": [text("group", "分组", "group")],
    "mentor": [text("mentor_id", "师傅", "mentor")],
    "shop": [],
}


async def _files(
    client: httpx.AsyncClient, url: str, params: dict[str, Any], headers: dict[str, str], lang: str
) -> tuple[httpx.Response, httpx.Response]:
    csv_r = await client.get(url, params={**params, "format": "csv", "lang": lang}, headers=headers)
    xlsx_r = await client.get(
        url, params={**params, "format": "xlsx", "lang": lang}, headers=headers
    )
    assert csv_r.status_code == xlsx_r.status_code == 200, (csv_r.text, xlsx_r.text[:300])
    assert csv_r.headers["content-type"] == "text/csv; charset=utf-8; header=present"
    assert xlsx_r.headers["content-type"] == XLSX
    return csv_r, xlsx_r


def assert_same(
    items: list[dict[str, Any]], spec: list[Spec], lang: str, csv_body: bytes, xlsx_body: bytes
) -> None:
    headers = [zh if lang == "zh" else en for _, zh, en, _ in spec]
    for name, table, holds in (
        ("csv", csv_table(csv_body), csv_cell_holds),
        ("xlsx", xlsx_table(xlsx_body), xlsx_cell_holds),
    ):
        head, *rows = table
        # a CSV header is guarded like any text (a plan names its levels)
        assert head == [guarded(h) if name == "csv" else h for h in headers], f"{name} headers"
        assert len(rows) == len(items), f"{name}: {len(rows)} rows for {len(items)} items"
        for item, row in zip(items, rows, strict=True):
            assert len(row) == len(spec), f"{name}: {row}"
            for (get, zh, _, kind), cell in zip(spec, row, strict=True):
                value = get(item)
                assert holds(kind, cell, value, ZONE), f"{name} {zh}: {cell!r} for {value!r}"


async def test_metric_files_hold_every_metric_of_the_json_rows(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    seen_values: set[str] = set()
    seen_nulls: set[str] = set()
    for i, (granularity, group_by) in enumerate(
        (g, k)
        for g in ("day", "week", "month", "total")
        for k in ("agent", "group", "mentor", "shop")
    ):
        lang = ("zh", "en")[i % 2]
        params = {**NOV, "granularity": granularity, "group_by": group_by}
        json_r = await client.get("/v1/metrics", params=params, headers=shop.headers)
        items = json_r.json()["rows"]
        assert items, params
        spec = [text("period", "周期", "period"), *KEYS[group_by], *ROW_METRICS]
        spec += SHOP_ROW_METRICS if group_by == "shop" else []
        csv_r, xlsx_r = await _files(client, "/v1/metrics", params, shop.headers, lang)
        assert_same(items, spec, lang, csv_r.content, xlsx_r.content)
        name = f"{shop.shop_id}_metrics-{granularity}-{group_by}_2026-11-01_2026-11-30"
        assert download_name(csv_r) == name + ".csv"
        assert download_name(xlsx_r) == name + ".xlsx"
        for get, zh, _, _ in spec:
            for item in items:
                (seen_nulls if get(item) is None else seen_values).add(zh)
    # every metric was compared with a value, and the ratios with a null as well
    assert {s[1] for s in ROW_METRICS + SHOP_ROW_METRICS} <= seen_values
    assert {"下单→付款转化率", "平均响应时间 (秒)", "客单价 (USD)"} <= seen_nulls


async def test_xlsx_numbers_are_numbers_with_formats(client: httpx.AsyncClient, shop: Shop) -> None:
    r = await client.get(
        "/v1/metrics",
        params={**NOV, "granularity": "total", "format": "xlsx"},
        headers=shop.headers,
    )
    sheet = xlsx_sheet(r.content)
    header = [c.value for c in sheet[1]]
    star = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == STAR)
    cell = {h: c for h, c in zip(header, star, strict=True)}
    assert cell["询单转化率"].number_format == "0.00%"
    assert cell["客服销售额 (USD)"].number_format == '#,##0.00" USD"'
    assert cell["平均响应时间 (秒)"].data_type == "n"
    assert cell["咨询人数"].number_format == "0"
    assert all(c.data_type == "n" for h, c in cell.items() if h not in ("周期", "客服"))
    assert sheet.title == "客服绩效指标"


async def test_list_and_plan_files_hold_the_json_items(
    client: httpx.AsyncClient, shop: Shop
) -> None:
    h = shop.headers
    inquiry_spec = [
        text("buyer_id", "买家", "buyer"),
        text("agent_id", "客服", "agent"),
        text("day", "日期", "day", "date"),
        text("status", "状态", "status"),
        text(
            "first_buyer_at",
            "首条买家消息时间 (Asia/Shanghai)",
            "first buyer message at (Asia/Shanghai)",
            "datetime",
        ),
        text(
            "last_buyer_at",
            "末条买家消息时间 (Asia/Shanghai)",
            "last buyer message at (Asia/Shanghai)",
            "datetime",
        ),
        text("order_ids", "订单号", "order ids", "list"),
        text("transcript_url", "聊天记录链接", "transcript URL"),
        (_mark("cause"), "流失原因", "cause", "text"),
        (_mark("note"), "备注", "note", "text"),
        (_mark("reviewed"), "已复盘", "reviewed", "bool"),
        (_mark("updated_at"), "标记时间 (Asia/Shanghai)", "marked at (Asia/Shanghai)", "datetime"),
    ]
    # One lost inquiry marked (a note that looks like a formula): the file shows the mark.
    lost = (await client.get("/v1/inquiries", params={"status": "lost", **NOV}, headers=h)).json()
    first = lost["items"][0]
    mark = {"cause": "price", "note": "=嫌贵", "reviewed": True}
    key = {k: first[k] for k in ("agent_id", "buyer_id", "day")}
    r = await client.put("/v1/review-marks/lost-inquiries", headers=h, json={**key, **mark})
    assert r.status_code == 200, r.text
    violation_spec = [
        text("buyer_id", "买家", "buyer"),
        text("agent_id", "客服", "agent"),
        text(
            "session_started_at",
            "会话开始时间 (Asia/Shanghai)",
            "session started at (Asia/Shanghai)",
            "datetime",
        ),
        text("seq", "序号", "sequence", "number"),
        text("day", "日期", "day", "date"),
        text("rule", "质检规则", "QA rule"),
        text("message_event_id", "消息事件ID", "message event id"),
        text("occurrences", "次数", "occurrences", "number"),
        text("penalty", "扣分", "penalty", "number"),
        text("detail", "详情", "detail"),
        text("transcript_url", "聊天记录链接", "transcript URL"),
    ]
    for url, params, spec, lang in (
        ("/v1/inquiries", {"status": "lost", **NOV}, inquiry_spec, "zh"),
        ("/v1/inquiries", {}, inquiry_spec, "en"),
        ("/v1/violations", {}, violation_spec, "zh"),
        ("/v1/violations", {"rule": "forbidden_words"}, violation_spec, "en"),
    ):
        items = (await client.get(url, params={**params, "limit": 500}, headers=h)).json()["items"]
        assert items
        csv_r, xlsx_r = await _files(client, url, params, h, lang)
        assert_same(items, spec, lang, csv_r.content, xlsx_r.content)
    assert download_name(csv_r) == f"{shop.shop_id}_violations-forbidden_words_all.csv"

    # the payroll sheet: a deduction rule its violations and amount
    url = f"/v1/bonus-plans/{shop.bonus_plan}/bonuses"
    report = (await client.get(url, params={"period": "2026-11"}, headers=h)).json()
    rate = CATALOGUE["inquiry_conversion_rate"]
    bonus_spec = [
        text("agent_id", "客服", "agent"),
        metric_spec(rate, _key("value")),
        text("reason", "未达档原因", "reason no tier"),
        metric_spec(
            rate,
            lambda b: None if b["baseline"] is None else float(b["baseline"]),
            "基线·",
            "baseline: ",
        ),
        text("thresholds", "档位门槛", "thresholds", "list"),
        text("tier", "达到档位", "tier reached", "number"),
        text("tier_amount", f"档位奖金 ({CURRENCY})", f"tier amount ({CURRENCY})", "money"),
        text("steps_beyond_top", "超档步数", "steps beyond top", "number"),
        text("step_amount", f"超档奖金 ({CURRENCY})", f"step amount ({CURRENCY})", "money"),
        text("gross", f"应发奖金 ({CURRENCY})", f"gross ({CURRENCY})", "money"),
    ]
    rules = [d["rule"] for d in report["bonuses"][0]["deductions"]]
    assert sorted(rules) == ["forbidden_words", "slow_reply"]
    for rule in rules:
        zh, en = RULE_LABELS[rule]
        bonus_spec += [
            metric_spec(
                CATALOGUE[f"violations.{rule}"], lambda b, r=rule: _deduction(b, r)["violations"]
            ),
            (
                lambda b, r=rule: _deduction(b, r)["amount"],
                f"扣款·{zh} ({CURRENCY})",
                f"deduction: {en} ({CURRENCY})",
                "money",
            ),
        ]
    bonus_spec += [
        text(
            "deductions_total", f"扣款合计 ({CURRENCY})", f"deductions total ({CURRENCY})", "money"
        ),
        text("total", f"实发奖金 ({CURRENCY})", f"total ({CURRENCY})", "money"),
    ]
    csv_r, xlsx_r = await _files(client, url, {"period": "2026-11"}, h, "zh")
    assert len(report["bonuses"]) == len(RISKY_AGENTS) + 1
    assert any(b["total"] != "0.00" and b["deductions_total"] != "0.00" for b in report["bonuses"])
    assert_same(report["bonuses"], bonus_spec, "zh", csv_r.content, xlsx_r.content)
    assert download_name(xlsx_r) == f"{shop.shop_id}_bonuses-{shop.bonus_plan}_2026-11.xlsx"

    url = f"/v1/honour-plans/{shop.honour_plan}/levels"
    report = (await client.get(url, params={"period": "2026-11"}, headers=h)).json()
    level_spec = [
        text("agent_id", "客服", "agent"),
        text("level", "荣誉等级", "honour level"),
        *(
            metric_spec(CATALOGUE[m], lambda a, m=m: _actual(a, m))
            for m in ("inquiries", "avg_response_seconds", "sales_amount")
        ),
        (lambda a: a["levels"][0]["held"], "铜牌·达成", "铜牌: held", "bool"),
        (lambda a: a["levels"][1]["held"], "=金牌·达成", "=金牌: held", "bool"),
    ]
    csv_r, xlsx_r = await _files(client, url, {"period": "2026-11"}, h, "en")
    assert {a["level"] for a in report["agents"]} == {"铜牌", "=金牌"}
    assert_same(report["agents"], level_spec, "en", csv_r.content, xlsx_r.content)

    for board in ("best", "most-improved"):
        params = {"metric": "inquiry_conversion_rate", "period": "2026-11", "limit": 1}
        url = f"/v1/leaderboards/{board}"
        items = (await client.get(url, params={**params, "limit": 500}, headers=h)).json()["items"]
        assert items
        spec = [
            text("rank", "排名", "rank", "number"),
            text("agent_id", "客服", "agent"),
            metric_spec(rate, _key("value")),
            metric_spec(CATALOGUE["inquiries"], _key("sample"), "样本·", "sample: "),
            metric_spec(rate, _key("previous_value"), "上期·", "previous: "),
            text("previous_rank", "上期排名", "previous rank", "number"),
            metric_spec(rate, _key("change"), "变化·", "change: "),
            metric_spec(rate, _key("improvement"), "进步·", "improvement: "),
        ]
        # a page of one in JSON; every standing in the file
        csv_r, xlsx_r = await _files(client, url, params, h, "zh")
        assert_same(items, spec, "zh", csv_r.content, xlsx_r.content)


def _deduction(bonus: dict[str, Any], rule: str) -> dict[str, Any]:
    return next(d for d in bonus["deductions"] if d["rule"] == rule)


def _actual(agent: dict[str, Any], metric: str) -> Any:
    return next(
        q["actual"] for lv in agent["levels"] for q in lv["requirements"] if q["metric"] == metric
    )


async def test_formula_like_texts_are_neutralised(client: httpx.AsyncClient, shop: Shop) -> None:
    params = {**NOV, "granularity": "total"}
    csv_r, xlsx_r = await _files(client, "/v1/metrics", params, shop.headers, "zh")
    csv_agents = [row[1] for row in csv_table(csv_r.content)[1:]]
    for agent in RISKY_AGENTS[:-1]:
        assert "'" + agent in csv_agents, agent  # a leading apostrophe: text, not a formula
    assert 'a,b"c' in csv_agents  # quoted and unquoted back by the csv module
    assert b'"a,b""c"' in csv_r.content
    sheet = xlsx_sheet(xlsx_r.content)
    cells = {xstring(row[1].value): row[1] for row in sheet.iter_rows(min_row=2)}
    for agent in RISKY_AGENTS[:-1]:
        # the text as it is, a text cell, kept text by Excel's quote prefix
        assert cells[agent].data_type == "s" and cells[agent].quotePrefix, agent
    assert not cells[STAR].quotePrefix
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)

    csv_r, xlsx_r = await _files(client, "/v1/inquiries", {}, shop.headers, "zh")
    assert "'" + RISKY_BUYER in [row[0] for row in csv_table(csv_r.content)]
    buyers = {row[0].value: row[0] for row in xlsx_sheet(xlsx_r.content).iter_rows()}
    assert buyers[RISKY_BUYER].quotePrefix and buyers[RISKY_BUYER].data_type == "s"
    # a header from a plan (a level named "=金牌") is guarded too
    url = f"/v1/honour-plans/{shop.honour_plan}/levels"
    csv_r, _ = await _files(client, url, {"period": "2026-11"}, shop.headers, "zh")
    assert "'=金牌·达成" in csv_table(csv_r.content)[0]


async def test_accept_header_chooses_the_file(client: httpx.AsyncClient, shop: Shop) -> None:
    params = {**NOV, "granularity": "month"}
    url = "/v1/metrics"
    # cached as JSON first: the fast path must not answer a file request with it
    for _ in range(2):
        assert (await client.get(url, params=params, headers=shop.headers)).json()["rows"]
    as_csv = {**shop.headers, "Accept": "application/json;q=0.5, text/csv"}
    r = await client.get(url, params=params, headers=as_csv)
    assert r.headers["content-type"].startswith("text/csv") and r.headers["vary"] == "Accept"
    assert csv_table(r.content)[0][0] == "周期"
    r = await client.get(url, params=params, headers={**shop.headers, "Accept": XLSX})
    assert r.headers["content-type"] == XLSX and xlsx_table(r.content)[0][0] == "周期"
    refused = {**shop.headers, "Accept": "text/csv;q=0, application/json"}
    r = await client.get(url, params=params, headers=refused)
    assert r.headers["content-type"] == "application/json"
    r = await client.get(url, params={**params, "format": "json"}, headers=as_csv)
    assert r.headers["content-type"] == "application/json"
    # the UTF-8 name and an ASCII fallback
    r = await client.get(
        "/v1/inquiries", params={"format": "csv", "agent_id": STAR}, headers=shop.headers
    )
    disposition = r.headers["content-disposition"]
    assert disposition == (
        f'attachment; filename="{shop.shop_id}_inquiries-all_all.csv"; '
        f"filename*=UTF-8''{shop.shop_id}_inquiries-all_all.csv"
    )


async def test_bad_parameters_are_problems_before_any_file(
    client: httpx.AsyncClient, shop: Shop, admin: dict[str, str]
) -> None:
    h = shop.headers
    for url, params, status in (
        ("/v1/metrics", {**NOV, "format": "pdf"}, 422),
        ("/v1/metrics", {**NOV, "format": "csv", "lang": "fr"}, 422),
        ("/v1/metrics", {"from": "2026-11-30", "to": "2026-11-01", "format": "csv"}, 422),
        ("/v1/metrics", {"from": "2025-01-01", "to": "2026-11-01", "format": "xlsx"}, 422),
        ("/v1/inquiries", {"from": "2026-11-30", "to": "2026-11-01", "format": "xlsx"}, 422),
        ("/v1/violations", {"rule": "nope", "format": "csv"}, 422),
        ("/v1/bonus-plans/bp_missing/bonuses", {"period": "2026-11", "format": "csv"}, 404),
        (
            f"/v1/bonus-plans/{shop.bonus_plan}/bonuses",
            {"period": "2026-W46", "format": "csv"},
            422,
        ),
        ("/v1/leaderboards/best", {"metric": "nope", "period": "2026-11", "format": "xlsx"}, 422),
    ):
        r = await client.get(url, params=params, headers=h)
        assert r.status_code == status, (url, params, r.status_code)
        assert r.headers["content-type"] == "application/problem+json", (url, params)
        assert "content-disposition" not in r.headers
    # another shop's plan is a 404 as a file too
    _, other = await make_shop(client, admin)
    r = await client.get(
        f"/v1/bonus-plans/{shop.bonus_plan}/bonuses",
        params={"period": "2026-11", "format": "xlsx"},
        headers=other,
    )
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
