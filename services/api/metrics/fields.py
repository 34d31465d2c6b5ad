"""Pydantic models of metric rows, built from the catalogue (domain/catalogue.py).

Every metric field of a row model — /v1/metrics rows, a mentor's rows — is generated
here from its catalogue entry: its JSON type from the kind (counts int, money a decimal
string, rates and averages numbers or null), its title the 中文 and English labels, its
description the definition, formula, unit and direction. The OpenAPI document is then
the catalogue, and a metric added there appears in every row model at once.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, create_model

from domain.catalogue import AGENT_METRICS, SHOP_METRICS, Metric

MONEY_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"


def describe(metric: Metric) -> str:
    better = "higher is better" if metric.direction == "higher" else "lower is better"
    return (
        f"{metric.zh} ({metric.en}): {metric.definition}. "
        f"= {metric.formula.text()}; {metric.kind} in {metric.unit}; {better}; "
        f"default sample: {metric.sample}."
    )


def _field(metric: Metric, *, optional: bool) -> tuple[Any, Any]:
    """(annotation, FieldInfo) of a metric's row field; `optional`: may be absent."""
    extra: dict[str, Any] = {"title": f"{metric.zh} · {metric.en}", "description": describe(metric)}
    annotation: Any = {"count": int, "money": str}.get(metric.kind, float | None)
    if metric.kind == "money":
        extra["pattern"] = MONEY_PATTERN
    if optional:
        return annotation | None, Field(default=None, **extra)
    return annotation, Field(**extra)


Violations: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "Violations",
    __doc__="Violations per QA rule (SPEC §6): every rule, zeros included.",
    **{
        m.name.removeprefix("violations."): _field(m, optional=False)
        for m in AGENT_METRICS
        if m.in_rows == "violations"
    },
)


def agent_metric_fields() -> dict[str, Any]:
    """Every per-agent metric of a row, in catalogue order, `violations` an object."""
    fields: dict[str, Any] = {
        m.name: _field(m, optional=False) for m in AGENT_METRICS if m.in_rows == "field"
    }
    fields["violations"] = (
        Violations,
        Field(
            description="违规次数 per QA rule: every rule of SPEC §6, zeros included (their "
            "total is the metric `violations` of plans and alerts)"
        ),
    )
    return fields


def shop_metric_fields() -> dict[str, Any]:
    """The shop-level metrics, present on shop rows only (null elsewhere)."""
    return {m.name: _field(m, optional=True) for m in SHOP_METRICS if m.in_rows == "field"}
