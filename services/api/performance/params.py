"""What the performance features (targets/, plans/, boards/) share: the pieces of their
bodies, the ?period= parameter, plan problems as a 422, keyset cursors and new ids.

Thresholds, target values and money are exact decimals: requests may send JSON numbers
or strings ("0.54"), responses send decimal strings. Metric values are shown as
/v1/metrics shows them (counts int, rates and averages numbers, money strings).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from services.performance.errors import PeriodError, PlanProblem
from services.performance.periods import Period, PeriodKind, parse_period

from ..exceptions import Unprocessable
from ..pagination import decode_cursor, encode_cursor

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


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def unprocessable(problems: Sequence[PlanProblem], root: str = "body") -> Unprocessable:
    errors = [
        {
            "loc": [root, *(int(p) if p.isdigit() else p for p in pr.field.split("."))],
            "msg": pr.message,
            "type": "value_error",
        }
        for pr in problems
    ]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return Unprocessable(f"{problems[0].field}: {problems[0].message}{more}", errors=errors)


def period_param(label: str, kind: PeriodKind | None = None) -> Period:
    """?period= → Period, or 422 naming the parameter."""
    try:
        period = parse_period(label)
    except PeriodError as exc:
        raise Unprocessable.field(["query", "period"], str(exc)) from None
    if kind is not None and period.kind != kind:
        example = "2026-W46" if kind == "week" else "2026-11"
        raise Unprocessable.field(
            ["query", "period"], f"this plan is {kind}ly: ask for a {kind} such as {example}"
        )
    return period


def page_after(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    created, key = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(str(created)), str(key)
    except ValueError:
        raise Unprocessable.field(
            ["query", "cursor"], "cursor is not one this API returned"
        ) from None


def next_cursor(rows: Sequence[Any], limit: int, id_column: str) -> str | None:
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return encode_cursor([last.created_at.isoformat(), getattr(last, id_column)])
