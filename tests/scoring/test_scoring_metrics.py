"""Read-time ratios, JSON round trips, settings and rule configuration."""

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.metrics import agent_row, shop_row
from domain.parts import AgentDayParts, ShopDayParts
from domain.qa_rules import RULES, QaRules
from domain.settings import ShopSettings
from services.scoring.core import contributions_from_json, contributions_to_json
from tests.scoring.scoring_builders import FAR, agent, buyer, derive, order, t


def test_zero_parts_give_null_ratios_and_zero_violations() -> None:
    r = agent_row(AgentDayParts())
    for name in (
        "inquiry_conversion_rate",
        "order_payment_rate",
        "avg_order_value",
        "answer_ratio",
        "avg_response_seconds",
        "avg_first_response_seconds",
        "avg_qa_score",
        "reminder_success_rate",
    ):
        assert r[name] is None
    assert r["violations"] == dict.fromkeys(RULES, 0)
    assert (r["sales_amount"], r["refund_amount"]) == ("0.00", "0.00")
    assert shop_row(ShopDayParts())["cs_sales_share"] is None


def test_ratios_from_summed_parts_not_averages_of_averages() -> None:
    # Day 1: 1 response of 10 s; day 2: 3 responses of 30 s each -> (10 + 90) / 4 = 25 s
    # (the average of daily averages would be 20 s). QA 100 + 80 + 90 over 3 -> 90.
    d1 = AgentDayParts(responses=1, response_us_sum=10_000_000, qa_sessions=1, qa_score_sum=100)
    d2 = AgentDayParts(responses=3, response_us_sum=90_000_000, qa_sessions=2, qa_score_sum=170)
    r = agent_row(d1 + d2)
    assert (r["avg_response_seconds"], r["avg_qa_score"]) == (25.0, 90.0)
    # answer_ratio may exceed 1; reminder success 1 of 4.
    r = agent_row(
        AgentDayParts(
            buyer_messages=2,
            agent_messages=5,
            reminded_orders=4,
            reminder_successes=1,
            first_responses=2,
            first_response_us_sum=3_000_001,
        )
    )
    assert (r["answer_ratio"], r["reminder_success_rate"]) == (2.5, 0.25)
    assert r["avg_first_response_seconds"] == 1.5000005
    assert (d1 + d2 - d2) == d1 and (d1 - d1).is_zero()


def test_contributions_json_round_trip() -> None:
    f = derive(
        [
            buyer(t("2026-11-11 10:00:00")),
            agent(t("2026-11-11 10:00:05")),
            order("created", "o1", t("2026-11-11 11:00:00"), "19.9"),
            order("paid", "o1", t("2026-11-11 11:00:01"), "19.9"),
        ],
        FAR,
    )
    data = json.loads(json.dumps(contributions_to_json(f)))  # JSON-able (JSONB)
    assert (
        data["agent_days"][0]["sales_amount"] == "19.9"
        and data["agent_days"][0]["day"] == "2026-11-11"
    )
    back = contributions_from_json(data)
    assert back.agent_days == f.agent_days and back.shop_days == f.shop_days
    assert back.shop_days[date(2026, 11, 11)].sales_total == Decimal("19.9")


def test_settings_from_dict_and_validation() -> None:
    s = ShopSettings.from_dict({"timezone": "Europe/Berlin", "session_gap_seconds": 600})
    assert (s.timezone, s.session_gap_seconds, s.attribution_window_seconds) == (
        "Europe/Berlin",
        600,
        259200,
    )
    assert ShopSettings.from_dict(s.to_dict()) == s
    with pytest.raises(ValueError, match="unknown shop settings"):
        ShopSettings.from_dict({"gap": 1})
    with pytest.raises(ValueError, match="time zone"):
        ShopSettings.from_dict({"timezone": "Mars/Olympus"})
    with pytest.raises(ValueError, match="non-negative integer"):
        ShopSettings.from_dict({"slow_reply_seconds": "30"})


def test_qa_rules_defaults_round_trip_and_validation() -> None:
    d = QaRules().to_dict()
    assert d["forbidden_words"]["notify"] is True and d["forbidden_words"]["penalty"] == 10
    assert d["greeting"]["params"]["phrases"] == ["您好", "你好", "亲", "欢迎", "在的"]
    assert (d["min_reply_length"]["params"], d["min_emojis"]["params"]) == (
        {"min_chars": 5},
        {"min_count": 3},
    )
    assert QaRules.from_dict(json.loads(json.dumps(d))) == QaRules()
    custom = QaRules.from_dict({"min_emojis": {"params": {"min_count": 1}, "notify": True}})
    assert (
        custom.min_emoji_count == 1
        and custom["min_emojis"].notify
        and custom["min_emojis"].penalty == 3
    )
    bad: dict[str, Any]
    for bad in (
        {"nope": {}},
        {"greeting": {"params": {"phrases": "您好"}}},
        {"unanswered": {"penalty": -1}},
        {"slow_reply": {"params": {"x": 1}}},
    ):
        with pytest.raises(ValueError):
            QaRules.from_dict(bad)


def test_other_timezone_changes_the_day() -> None:
    # 2026-11-11 01:00 Shanghai is 2026-11-10 18:00 in Berlin (UTC+1 in November).
    s = ShopSettings.from_dict({"timezone": "Europe/Berlin"})
    f = derive([buyer(t("2026-11-11 01:00:00"))], FAR, settings=s)
    assert list(f.agent_days) == [("A", date(2026, 11, 10))]
