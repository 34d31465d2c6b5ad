"""GET /v1/metric-definitions: the metric catalogue for shop tooling."""

from __future__ import annotations

from pydantic import BaseModel, Field

from domain.catalogue import Direction, InRows, Kind, Scope, Unit


class MetricDefinition(BaseModel):
    name: str = Field(description="the field name in /v1/metrics rows, plans and alert rules")
    label_zh: str = Field(description="中文 name (SPEC §5)")
    label_en: str
    kind: Kind = Field(
        description="count: an integer; money: a decimal string in the shop's currency; "
        "rate: a fraction (0.4167, not 41.67 %); average and percentile: a number of `unit`"
    )
    unit: Unit = Field(description="what the value is measured in (currency: the shop's)")
    direction: Direction = Field(description="which way is better")
    scope: Scope = Field(description="agent: every row; shop: shop rows (group_by=shop) only")
    formula: str = Field(description="over the additive parts, summed before dividing")
    parts: list[str] = Field(description="the additive parts the formula reads")
    sample_metric: str = Field(
        description="the count a minimum sample applies to by default (alerts, leaderboards, "
        "bonus plans)"
    )
    in_rows: InRows = Field(
        description="field: a field of /v1/metrics rows; violations: inside their "
        "`violations` object (by rule); no: not in rows (the violations total)"
    )
    definition: str
