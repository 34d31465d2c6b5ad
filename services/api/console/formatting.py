"""Values as the console shows them, per language: money with the currency's sign and
thousands separators, rates as percentages, durations in seconds or minutes."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

from domain.catalogue import Metric

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
SIGNS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "¥", "GBP": "£"}
EMPTY = "—"


def lang_of(value: str | None) -> Lang:
    return "en" if value == "en" else "zh"


def label(metric: Metric, lang: Lang) -> str:
    return metric.en if lang == "en" else metric.zh


def money(amount: Any, currency: str) -> str:
    sign = SIGNS.get(currency, currency + " ")
    return f"{sign}{Decimal(str(amount)):,.2f}"


def duration(seconds: float, lang: Lang) -> str:
    if seconds < 60:
        return f"{seconds:.1f} 秒" if lang == "zh" else f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} 分 {rest} 秒" if lang == "zh" else f"{minutes} min {rest} s"


def formatter(metric: Metric, lang: Lang, currency: str) -> Callable[[Any], str]:
    """How the metric's known (not None) /v1/metrics JSON values read as text: the kind
    and unit are looked at once, so that a page of thousands of cells calls one
    function per cell."""
    if metric.kind == "count":
        return lambda value: f"{int(value):,}"
    if metric.kind == "money" or metric.unit == "currency":
        return lambda value: money(value, currency)
    if metric.unit == "fraction":
        return lambda value: f"{float(value) * 100:.1f} %"
    if metric.unit == "seconds":
        return lambda value: duration(float(value), lang)
    return lambda value: f"{float(value):.2f}"


def shown(metric: Metric, value: Any, lang: Lang, currency: str) -> str:
    """A /v1/metrics JSON value of the metric as text."""
    return EMPTY if value is None else formatter(metric, lang, currency)(value)
