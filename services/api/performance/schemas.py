"""Shared pieces of the performance API's bodies (target_schemas, bonus_schemas,
honour_schemas).

Thresholds, target values and money are exact decimals: requests may send JSON numbers
or strings ("0.54"), responses send decimal strings. Metric values are shown as
/v1/metrics shows them (counts int, rates and averages numbers, money strings).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import ConfigDict, Field

Value = int | float | str | None
# Postgres text and JSONB cannot hold U+0000: refuse it up front (422, not a 500).
NO_NUL = r"^[^\x00]*$"
AgentId = Field(min_length=1, max_length=128, pattern=NO_NUL)
MetricName = Field(
    min_length=1,
    max_length=64,
    pattern=NO_NUL,
    description="A SPEC §5 metric name, or violations[.<rule>]",
)
STRICT = ConfigDict(extra="forbid")
# Bounded so that every value fits Postgres numeric and renders as a short string.
Number = Annotated[Decimal, Field(max_digits=24, decimal_places=12)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
