"""After-batch hooks: what other services run inside a scoring batch's transaction.

The process entry point hands the worker its hooks at start-up (services/scoring/
__main__.py wires alert evaluation); the worker runs each, for each shop of the batch,
after the rollups are written and before the offsets are stored, in the same
transaction: what a hook writes (alert state, webhook outbox rows) commits with the
batch's results or rolls back with them. Scoring knows the hooks only by this shape, so
the dependency runs one way (alerts → domain, scoring → domain).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from domain.review_notices import ReviewNotice
from domain.violations import ViolationReport


class AfterBatch(Protocol):
    async def __call__(
        self,
        *,
        session: AsyncConnection,
        shop_id: str,
        changed_agent_days: set[tuple[str, date]],
        violations: ViolationReport,
        now: datetime,
        review_notices: Iterable[ReviewNotice] = (),
    ) -> object:
        """`changed_agent_days`: (agent_id, local day) whose agent_daily rows the batch
        changed (already written); `violations`: the violations of the buyers the batch
        re-derived (a rescore: of the whole shop);
        `review_notices`: the re-derived orders whose review is bad or replaced bad ones;
        `now`: the batch's wall-clock time. Never commits."""
        ...
