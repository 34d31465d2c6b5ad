"""The metric catalogue: every metric of SPEC §5, defined once.

Each metric has its name (the JSON field of /v1/metrics rows), 中文 and English labels,
kind, unit, direction, formula over the additive parts, default sample for minimum-sample
rules, scope and a one-line definition. /v1/metrics, /v1/metric-definitions, the OpenAPI
document, targets, bonus plans, honour levels, leaderboards and alerts all read it; the
exact evaluator is domain/metrics.py. Adding a metric (SPEC §11) is one entry here (plus
its parts in domain/parts.py and the migration that stores them).

Beyond the §5 table: `violations.<rule>` is one QA rule's count (shown nested, as
`violations: {rule: n}`, in /v1/metrics rows) and `violations` their total (for plans
and alerts; not a row field, where the name holds the per-rule object).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .formulas import Difference, Formula, Part, Percentile, Ratio, Total
from .qa_rules import RULES

Kind = Literal["count", "rate", "average", "money", "percentile"]
Direction = Literal["higher", "lower"]
Scope = Literal["agent", "shop"]
# What a value is measured in: counts name what they count; `fraction` is a rate
# 0 … 1 (0.4167, not 41.67 %); `ratio` may exceed 1; `currency` is the shop's currency
# (SPEC §3 `currency`); `points` a QA score 0 … 100; `score` a DSR score 1 … 5.
Unit = Literal[
    "buyers",
    "orders",
    "messages",
    "responses",
    "sessions",
    "violations",
    "fraction",
    "ratio",
    "seconds",
    "currency",
    "points",
    "reviews",
    "score",
]
InRows = Literal["field", "violations", "no"]
KINDS: tuple[Kind, ...] = ("count", "rate", "average", "money", "percentile")
US = 1_000_000  # response times are stored in integer microseconds


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    zh: str
    en: str
    kind: Kind
    unit: Unit
    # Which way is better: "best" leaderboards, default target comparisons and default
    # bonus-plan directions follow it.
    direction: Direction
    formula: Formula
    # The count that a minimum-sample rule (alerts, leaderboards, plans) checks by
    # default: a ratio's denominator, else what makes the number meaningful.
    sample: str
    definition: str
    scope: Scope = "agent"
    # Where /v1/metrics rows show it: a field of its own, inside the `violations`
    # object, or nowhere (the violations total, whose name the object holds).
    in_rows: InRows = "field"


def _count(
    name: str, zh: str, en: str, unit: Unit, definition: str, *, lower: bool = False
) -> Metric:
    direction: Direction = "lower" if lower else "higher"
    return Metric(name, zh, en, "count", unit, direction, Part(name), "consultations", definition)


def _review(name: str, zh: str, en: str, definition: str, *, lower: bool = False) -> Metric:
    direction: Direction = "lower" if lower else "higher"
    return Metric(name, zh, en, "count", "reviews", direction, Part(name), "reviews", definition)


def _ratio(
    name: str,
    zh: str,
    en: str,
    kind: Kind,
    unit: Unit,
    formula: Ratio,
    definition: str,
    *,
    lower: bool = False,
) -> Metric:
    direction: Direction = "lower" if lower else "higher"
    return Metric(name, zh, en, kind, unit, direction, formula, formula.denominator, definition)


# (中文, English) of each QA rule (SPEC §6).
RULE_LABELS: dict[str, tuple[str, str]] = {
    "closing_by_agent": ("结束语必须是客服", "closing by agent"),
    "min_reply_length": ("回复字数", "minimum reply length"),
    "min_emojis": ("表情数", "minimum emojis"),
    "greeting": ("问候语", "greeting"),
    "slow_reply": ("慢回复", "slow reply"),
    "unanswered": ("未回答", "unanswered"),
    "forbidden_words": ("违禁词", "forbidden words"),
}


def _violations(rule: str) -> Metric:
    zh, en = RULE_LABELS[rule]
    return Metric(
        name=f"violations.{rule}",
        zh=f"违规次数·{zh}",
        en=f"violations: {en}",
        kind="count",
        unit="violations",
        direction="lower",
        formula=Part(f"v_{rule}"),
        sample="qa_sessions",
        definition=f"QA violations of rule {rule} in scored sessions (SPEC §6)",
        in_rows="violations",
    )


# fmt: off
_AGENT: tuple[Metric, ...] = (
    _count("consultations", "咨询人数", "consultations", "buyers",
           "(agent, buyer, day) with at least one buyer message to the agent"),
    _count("inquiries", "询单人数", "inquiries", "buyers",
           "consultations that are pre-sale (neither after-sale nor mid-sale)"),
    _count("aftersale_consultations", "售后咨询人数", "after-sale consultations", "buyers",
           "consultations whose buyer has an order paid within aftersale_lookback before the "
           "first buyer message (SPEC §11)"),
    _count("midsale_consultations", "售中咨询人数", "mid-sale consultations", "buyers",
           "consultations whose buyer has an order placed within aftersale_lookback and still "
           "open at the first buyer message, and that are not after-sale (SPEC §11)"),
    _count("ordered_buyers", "询单→下单人数", "ordered buyers", "buyers",
           "inquiries with at least one attributed order"),
    _count("paid_buyers", "询单→最终付款人数", "paid buyers", "buyers",
           "inquiries with at least one attributed paid order (converted)"),
    _ratio("inquiry_conversion_rate", "询单转化率", "inquiry conversion rate", "rate", "fraction",
           Ratio(Part("paid_buyers"), "inquiries"), "paid_buyers / inquiries"),
    _ratio("order_payment_rate", "下单→付款转化率", "order payment rate", "rate", "fraction",
           Ratio(Part("paid_buyers"), "ordered_buyers"), "paid_buyers / ordered_buyers"),
    _count("paid_orders", "付款订单数", "paid orders", "orders",
           "paid orders attributed to the agent's inquiries"),
    Metric("sales_amount", "客服销售额", "sales amount", "money", "currency", "higher",
           Part("sales_amount"), "consultations",
           "paid amount of the paid orders attributed to the agent's inquiries"),
    _ratio("avg_order_value", "客单价", "average order value", "average", "currency",
           Ratio(Part("sales_amount"), "paid_buyers"), "sales_amount / paid_buyers"),
    Metric("refund_amount", "退款金额", "refund amount", "money", "currency", "lower",
           Part("refund_amount"), "consultations",
           "refunds on the attributed orders, whenever refunded"),
    _count("lost_inquiries", "询单流失人数", "lost inquiries", "buyers",
           "inquiries not converted once the attribution window is past their last buyer "
           "message", lower=True),
    _count("buyer_messages", "买家消息数", "buyer messages", "messages",
           "messages of buyers to the agent"),
    _count("agent_messages", "客服消息数", "agent messages", "messages",
           "messages of the agent to buyers"),
    _ratio("answer_ratio", "答问比", "answer ratio", "rate", "ratio",
           Ratio(Part("agent_messages"), "buyer_messages"),
           "agent_messages / buyer_messages (may exceed 1)"),
    _count("responses", "响应次数", "responses", "responses",
           "questions answered by a later agent message in their session"),
    _ratio("avg_response_seconds", "平均响应时间", "average response time", "average", "seconds",
           Ratio(Part("response_us_sum"), "responses", US),
           "mean seconds from a question to its response", lower=True),
    _ratio("avg_first_response_seconds", "首次响应时间", "average first response time",
           "average", "seconds", Ratio(Part("first_response_us_sum"), "first_responses", US),
           "mean seconds to the response to a session's first question", lower=True),
    Metric("p50_response_seconds", "响应时间中位数", "median response time", "percentile",
           "seconds", "lower", Percentile("responses", "responses", 1, 2, US), "responses",
           "nearest-rank median of the response times (SPEC §11), exact on every row"),
    Metric("p90_response_seconds", "响应时间P90", "90th percentile response time",
           "percentile", "seconds", "lower", Percentile("responses", "responses", 9, 10, US),
           "responses",
           "nearest-rank 90th percentile of the response times (SPEC §11), exact on every row"),
    Metric("p50_first_response_seconds", "首次响应中位数", "median first response time",
           "percentile", "seconds", "lower",
           Percentile("first", "first_responses", 1, 2, US), "first_responses",
           "nearest-rank median of the first response times (SPEC §11), exact on every row"),
    _count("slow_responses", "慢响应次数", "slow responses", "responses",
           "responses slower than the shop's slow_reply_seconds", lower=True),
    _count("unreplied_buyers", "未回复人数", "unreplied buyers", "buyers",
           "consultations none of whose buyer messages got a later agent message in its "
           "session", lower=True),
    _count("sessions", "接待会话数", "sessions", "sessions", "sessions, open ones included"),
    _count("qa_sessions", "质检会话数", "QA sessions", "sessions",
           "closed sessions scored by automatic QA"),
    _ratio("avg_qa_score", "质检平均分", "average QA score", "average", "points",
           Ratio(Part("qa_score_sum"), "qa_sessions"),
           "mean QA score (0–100) of the scored sessions"),
    _count("reminded_orders", "催付单数", "reminded orders", "orders",
           "unpaid orders the agent was the first to remind of payment (催付)"),
    _ratio("reminder_success_rate", "催付成功率", "reminder success rate", "rate", "fraction",
           Ratio(Part("reminder_successes"), "reminded_orders"),
           "reminded orders paid afterwards / reminded_orders"),
    *(_violations(rule) for rule in RULES),
    Metric("violations", "违规次数", "violations", "count", "violations", "lower",
           Total(tuple(f"v_{rule}" for rule in RULES)), "qa_sessions",
           "QA violations over every rule (SPEC §6)", in_rows="no"),
    # SPEC §11: counted on the review's posted_at day.
    _review("reviews", "评价数", "reviews",
            "reviews of orders whose service agent (the attributed inquiry's) is the agent"),
    _review("good_reviews", "好评数", "good reviews", "those reviews rated good (好评)"),
    _review("neutral_reviews", "中评数", "neutral reviews",
            "those reviews rated neutral (中评)", lower=True),
    _review("bad_reviews", "差评数", "bad reviews", "those reviews rated bad (差评)",
            lower=True),
    _ratio("bad_review_rate", "差评率", "bad review rate", "rate", "fraction",
           Ratio(Part("bad_reviews"), "reviews"), "bad_reviews / reviews", lower=True),
    Metric("review_mentions", "好评点名次数", "review mentions", "count", "reviews", "higher",
           Part("review_mentions"), "review_mentions",
           "good reviews whose text names the agent's nickname (any order, silent ones "
           "included)"),
)
# fmt: on


def _shop(name: str, zh: str, en: str, sample: str, definition: str, *, money: bool) -> Metric:
    kind: Kind = "money" if money else "count"
    unit: Unit = "currency" if money else "orders"
    return Metric(name, zh, en, kind, unit, "higher", Part(name), sample, definition, "shop")


# fmt: off
_SHOP: tuple[Metric, ...] = (
    _shop("placed_orders", "下单数", "placed orders", "placed_orders",
          "orders placed, cancelled ones included", money=False),
    _shop("paid_orders_total", "付款订单总数", "paid orders (shop)", "paid_orders_total",
          "placed orders that are paid", money=False),
    _shop("sales_total", "销售总额", "sales total", "paid_orders_total",
          "paid amount of the paid orders", money=True),
    _shop("silent_orders", "静默下单数", "silent orders", "placed_orders",
          "orders placed, paid or not, with no inquiry (静默下单)", money=False),
    _shop("silent_sales", "静默销售额", "silent sales", "paid_orders_total",
          "paid amount of the silent paid orders", money=True),
    Metric("cs_sales_share", "客服销售占比", "CS sales share", "rate", "fraction", "higher",
           Ratio(Difference("sales_total", "silent_sales"), "sales_total"), "paid_orders_total",
           "(sales_total − silent_sales) / sales_total", "shop"),
    # SPEC §11, by posted_at day.
    Metric("reviews_total", "评价总数", "reviews (shop)", "count", "reviews", "higher",
           Part("reviews_total"), "reviews_total",
           "every review of a placed order, silent orders' included", "shop"),
    Metric("bad_reviews_total", "差评总数", "bad reviews (shop)", "count", "reviews", "lower",
           Part("bad_reviews_total"), "reviews_total", "every review rated bad", "shop"),
    Metric("bad_review_rate_total", "店铺差评率", "bad review rate (shop)", "rate", "fraction",
           "lower", Ratio(Part("bad_reviews_total"), "reviews_total"), "reviews_total",
           "bad_reviews_total / reviews_total", "shop"),
    *(
        Metric(f"avg_dsr_{key}", f"DSR·{zh}", f"average DSR: {key}", "average", "score",
               "higher", Ratio(Part(f"dsr_{key}_sum"), f"dsr_{key}_count"), "reviews_total",
               f"mean of the {key} DSR scores present (1–5)", "shop")
        for key, zh in (("item", "宝贝描述"), ("service", "卖家服务"), ("logistics", "物流服务"))
    ),
)
# fmt: on

CATALOGUE: Mapping[str, Metric] = {m.name: m for m in (*_AGENT, *_SHOP)}
AGENT_METRICS: tuple[Metric, ...] = _AGENT
SHOP_METRICS: tuple[Metric, ...] = _SHOP

# Counts that are parts but not metrics of their own, and may still be a sample: the
# denominator of avg_first_response_seconds and the numerator of reminder_success_rate.
SAMPLE_PARTS: tuple[str, ...] = ("first_responses", "reminder_successes")
# Every name a minimum-sample rule may count.
SAMPLES: tuple[str, ...] = (
    *(m.name for m in CATALOGUE.values() if m.kind == "count"),
    *SAMPLE_PARTS,
)


def metric(name: str) -> Metric:
    """The catalogue entry; KeyError with unknown_metric_message for an unknown name."""
    found = CATALOGUE.get(name)
    if found is None:
        raise KeyError(unknown_metric_message(name))
    return found


def is_metric(name: str, scope: Scope = "agent") -> bool:
    """A metric of the scope: per-agent metrics for an agent, every metric for the shop."""
    found = CATALOGUE.get(name)
    return found is not None and (scope == "shop" or found.scope == "agent")


def is_sample(name: str, scope: Scope = "agent") -> bool:
    """A count a minimum-sample rule of the scope may check (shop counts: shop scope)."""
    return name in SAMPLE_PARTS or (is_metric(name, scope) and CATALOGUE[name].kind == "count")


def names(scope: Scope = "agent") -> tuple[str, ...]:
    return tuple(m.name for m in CATALOGUE.values() if is_metric(m.name, scope))


def unknown_metric_message(name: str, scope: Scope = "agent") -> str:
    return f"unknown metric {name!r}; known: {', '.join(sorted(names(scope)))}"


def unknown_sample_message(name: str, scope: Scope = "agent") -> str:
    counts = sorted(n for n in SAMPLES if is_sample(n, scope))
    return f"unknown sample_metric {name!r}: it must be a count, one of {', '.join(counts)}"
