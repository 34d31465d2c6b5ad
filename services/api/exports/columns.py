"""Columns of an export: what a cell holds, its 中文 and English header, and its format.

A metric's column comes from its catalogue entry (domain/catalogue.py): the labels, and
the format from its kind and unit (counts integers, `fraction` rates percentages, money
and per-buyer amounts in the shop's currency, seconds as seconds). Any other field of a
JSON item is labelled once in FIELD_LABELS below; a report built from a response model
(`model_columns`) refuses to start with a field that has no label, so a field added to a
response (review marks on inquiries, SPEC §11) shows up in its export as soon as it is
labelled here.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from domain.catalogue import CATALOGUE, Metric
from domain.metrics import ROW_METRICS, SHOP_ROW_METRICS

# How a cell is written: `text` (guarded against formula injection), numbers (`integer`,
# `decimal`, `percent` for fractions 0 … 1, `money` in the shop's currency, `seconds`),
# `date`, `datetime` (in the shop's time zone), `boolean`, `list` (of texts, joined).
Format = Literal[
    "text",
    "integer",
    "decimal",
    "percent",
    "money",
    "seconds",
    "date",
    "datetime",
    "boolean",
    "list",
]
NUMERIC: frozenset[Format] = frozenset({"integer", "decimal", "percent", "money", "seconds"})
Lang = Literal["zh", "en"]
LIST_SEPARATOR = ", "


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # the JSON item's field; `a.b` reads field b of object a
    zh: str
    en: str
    format: Format = "text"

    def header(self, lang: Lang, *, currency: str, timezone: str) -> str:
        label = self.zh if lang == "zh" else self.en
        if self.format == "money":
            return f"{label} ({currency})"
        if self.format == "seconds":
            return f"{label} ({'秒' if lang == 'zh' else 's'})"
        if self.format == "datetime":
            return f"{label} ({timezone})"
        return label

    def reader(self) -> Callable[[Mapping[str, Any]], Any]:
        """The cell's value in a JSON item (a dict), None when absent."""
        head, _, rest = self.key.partition(".")
        if not rest:
            return lambda item: item.get(head)
        return lambda item: (item.get(head) or {}).get(rest)


def metric_format(metric: Metric) -> Format:
    if metric.kind == "count":
        return "integer"
    if metric.kind == "money" or metric.unit == "currency":
        return "money"
    if metric.unit == "fraction":
        return "percent"
    if metric.unit == "seconds":
        return "seconds"
    return "decimal"


def metric_column(metric: Metric, key: str | None = None, *, zh: str = "", en: str = "") -> Column:
    """A metric's column: its labels (with a prefix, if given) and its format; `key` when
    the JSON item holds the value under another name (a leaderboard's `value`)."""
    return Column(key or metric.name, zh + metric.zh, en + metric.en, metric_format(metric))


def row_metric_columns(*, shop: bool = False) -> tuple[Column, ...]:
    """Every metric a /v1/metrics row shows, in its order (violations.<rule> read inside
    the row's `violations` object); `shop`: the shop-level ones after them."""
    return tuple(metric_column(m) for m in (*ROW_METRICS, *(SHOP_ROW_METRICS if shop else ())))


# Every field of a JSON item that is not a metric, once: (中文, English).
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "period": ("周期", "period"),
    "agent_id": ("客服", "agent"),
    "group": ("分组", "group"),
    "mentor_id": ("师傅", "mentor"),
    "buyer_id": ("买家", "buyer"),
    "day": ("日期", "day"),
    "status": ("状态", "status"),
    "first_buyer_at": ("首条买家消息时间", "first buyer message at"),
    "last_buyer_at": ("末条买家消息时间", "last buyer message at"),
    "order_ids": ("订单号", "order ids"),
    "transcript_url": ("聊天记录链接", "transcript URL"),
    "mark_cause": ("流失原因", "cause"),
    "mark_note": ("备注", "note"),
    "mark_reviewed": ("已复盘", "reviewed"),
    "mark_updated_at": ("标记时间", "marked at"),
    "session_started_at": ("会话开始时间", "session started at"),
    "seq": ("序号", "sequence"),
    "rule": ("质检规则", "QA rule"),
    "message_event_id": ("消息事件ID", "message event id"),
    "occurrences": ("次数", "occurrences"),
    "penalty": ("扣分", "penalty"),
    "detail": ("详情", "detail"),
    "rank": ("排名", "rank"),
    "change": ("变化", "change"),
    "improvement": ("进步", "improvement"),
    # counts a minimum sample may check that are parts, not metrics
    "first_responses": ("首次响应次数", "first responses"),
    "reminder_successes": ("催付成功单数", "reminder successes"),
    "previous_rank": ("上期排名", "previous rank"),
    "level": ("荣誉等级", "honour level"),
    "reason": ("未达档原因", "reason no tier"),
    "thresholds": ("档位门槛", "thresholds"),
    "tier": ("达到档位", "tier reached"),
    "tier_amount": ("档位奖金", "tier amount"),
    "steps_beyond_top": ("超档步数", "steps beyond top"),
    "step_amount": ("超档奖金", "step amount"),
    "gross": ("应发奖金", "gross"),
    "deductions_total": ("扣款合计", "deductions total"),
    "total": ("实发奖金", "total"),
    # the bad-review list (SPEC §11)
    "order_id": ("订单号", "order id"),
    "placed_at": ("下单时间", "placed at"),
    "inquiry_day": ("询单日期", "inquiry day"),
    "review_event_id": ("评价事件ID", "review event id"),
    "posted_at": ("评价时间", "posted at"),
    "review_day": ("评价日期", "review day"),
    "rating": ("评价", "rating"),
    "review_text": ("评价内容", "review text"),
    "dsr_item": ("DSR·宝贝描述", "DSR item"),
    "dsr_service": ("DSR·卖家服务", "DSR service"),
    "dsr_logistics": ("DSR·物流服务", "DSR logistics"),
    "bad_review_cause": ("差评原因", "cause"),
}


def field_column(key: str, fmt: Format = "text", *, label: str | None = None) -> Column:
    """A labelled field (`label`: the FIELD_LABELS entry, when the key is another)."""
    zh, en = FIELD_LABELS[label or key]
    return Column(key, zh, en, fmt)


def named_column(name: str, key: str, *, zh: str = "", en: str = "") -> Column:
    """A metric's column, or a part's (a count) that a minimum sample may check."""
    if name in CATALOGUE:
        return metric_column(CATALOGUE[name], key, zh=zh, en=en)
    label_zh, label_en = FIELD_LABELS[name]
    return Column(key, zh + label_zh, en + label_en, "integer")


def _format_of(annotation: Any) -> Format:
    """The format of a response model field's type (optional or not)."""
    if get_origin(annotation) in (Union, types.UnionType):
        (annotation,) = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is list:
        return "list"
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "integer"
    if isinstance(annotation, type) and issubclass(annotation, datetime):
        return "datetime"
    if isinstance(annotation, type) and issubclass(annotation, date):
        return "date"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        raise TypeError(f"{annotation.__name__}: an object field needs columns of its own")
    return "text"


def model_columns(model: type[BaseModel], exclude: Sequence[str] = ()) -> tuple[Column, ...]:
    """A column for every field of a response model, in its order, labelled by
    FIELD_LABELS (a KeyError names a field that has no label yet)."""
    columns = []
    for name, info in model.model_fields.items():
        if name in exclude:
            continue
        if name not in FIELD_LABELS:
            raise KeyError(
                f"{model.__name__}.{name}: add its 中文 and English labels to "
                "FIELD_LABELS in services/api/exports/columns.py"
            )
        columns.append(field_column(name, _format_of(info.annotation)))
    return tuple(columns)
