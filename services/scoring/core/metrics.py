"""Read-time metrics (SPEC §5) from summed additive parts.

Every ratio is computed from summed parts, never averaged from averages; a zero
denominator gives None (JSON null). Rates are fractions, averages unrounded floats, money
a decimal string with two places.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.parts import AgentDayParts, ShopDayParts
from domain.qa_rules import RULES

_CENT = Decimal("0.01")
_US = 1_000_000


def money(amount: Decimal) -> str:
    """Decimal string with two places: "258.90", "0.00" (inputs have at most two)."""
    return str(amount.quantize(_CENT))


def ratio(numerator: int | Decimal, denominator: int | Decimal) -> float | None:
    if denominator == 0:
        return None
    if isinstance(numerator, Decimal) or isinstance(denominator, Decimal):
        # Divide in Decimal first so money ratios are exact up to the final float.
        return float(Decimal(numerator) / Decimal(denominator))
    return numerator / denominator


def read_ratios(p: AgentDayParts) -> dict[str, Any]:
    """Every per-agent §5 metric by its name, plus `violations` naming every rule."""
    return {
        "consultations": p.consultations,
        "inquiries": p.inquiries,
        "ordered_buyers": p.ordered_buyers,
        "paid_buyers": p.paid_buyers,
        "inquiry_conversion_rate": ratio(p.paid_buyers, p.inquiries),
        "order_payment_rate": ratio(p.paid_buyers, p.ordered_buyers),
        "paid_orders": p.paid_orders,
        "sales_amount": money(p.sales_amount),
        "avg_order_value": ratio(p.sales_amount, p.paid_buyers),
        "refund_amount": money(p.refund_amount),
        "lost_inquiries": p.lost_inquiries,
        "buyer_messages": p.buyer_messages,
        "agent_messages": p.agent_messages,
        "answer_ratio": ratio(p.agent_messages, p.buyer_messages),
        "responses": p.responses,
        "avg_response_seconds": ratio(p.response_us_sum, p.responses * _US),
        "avg_first_response_seconds": ratio(p.first_response_us_sum, p.first_responses * _US),
        "slow_responses": p.slow_responses,
        "unreplied_buyers": p.unreplied_buyers,
        "sessions": p.sessions,
        "qa_sessions": p.qa_sessions,
        "avg_qa_score": ratio(p.qa_score_sum, p.qa_sessions),
        "violations": {rule: getattr(p, f"v_{rule}") for rule in RULES},
        "reminded_orders": p.reminded_orders,
        "reminder_success_rate": ratio(p.reminder_successes, p.reminded_orders),
    }


def read_shop_ratios(p: ShopDayParts) -> dict[str, Any]:
    """The shop-level additions of SPEC §5 (a shop row also carries read_ratios)."""
    return {
        "placed_orders": p.placed_orders,
        "paid_orders_total": p.paid_orders_total,
        "sales_total": money(p.sales_total),
        "silent_orders": p.silent_orders,
        "silent_sales": money(p.silent_sales),
        "cs_sales_share": ratio(p.sales_total - p.silent_sales, p.sales_total),
    }
