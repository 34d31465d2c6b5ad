"""Queueing rescore jobs and reporting their progress."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import rescore_jobs

from ..exceptions import Conflict, NotFound
from ..pagination import decode_cursor, page_of
from ..shops.repository import fetch_shop

_J = rescore_jobs.c
_ACTIVE = _J.status.in_(("queued", "running"))
_COLUMNS = (
    _J.job_id,
    _J.shop_id,
    _J.status,
    _J.buyers_done,
    _J.buyers_total,
    _J.events_done,
    _J.events_total,
    _J.error,
    _J.created_at,
    _J.started_at,
    _J.finished_at,
)


def progress(job: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Rate and time left from the job's own timestamps and counters (pure)."""
    done, total = job["events_done"], job["events_total"]
    rate = left = None
    if job["started_at"] is not None:
        elapsed = ((job["finished_at"] or now) - job["started_at"]).total_seconds()
        if elapsed > 0 and done > 0:
            rate = done / elapsed
            left = 0.0 if job["status"] == "done" else max(total - done, 0) / rate
    return {
        **job,
        "progress": done / total if total else None,
        "events_per_second": rate,
        "seconds_left": left,
    }


async def _view(session: AsyncSession, row: Any) -> dict[str, Any]:
    now = await session.scalar(select(func.now()))
    assert now is not None
    return progress(row._asdict(), now)


async def queue_rescore(*, session: AsyncSession, shop_id: str) -> dict[str, Any]:
    if await fetch_shop(session, shop_id) is None:
        raise NotFound(f"shop {shop_id!r} does not exist")
    # The partial unique index ix_rescore_jobs_one_active decides, so that of two
    # concurrent requests exactly one queues a job and the other gets the 409.
    row = (
        await session.execute(
            pg_insert(rescore_jobs)
            .values(shop_id=shop_id, job_id=str(uuid.uuid4()), status="queued")
            .on_conflict_do_nothing(index_elements=[_J.shop_id], index_where=_ACTIVE)
            .returning(*_COLUMNS)
        )
    ).one_or_none()
    if row is None:
        active = await session.scalar(select(_J.job_id).where(_J.shop_id == shop_id, _ACTIVE))
        raise Conflict(
            f"rescore job {active} of shop {shop_id!r} is not finished yet; "
            "wait for it (GET its status) before queueing another"
        )
    return await _view(session, row)


async def get_job(*, session: AsyncSession, shop_id: str, job_id: str) -> dict[str, Any]:
    row = (
        await session.execute(select(*_COLUMNS).where(_J.shop_id == shop_id, _J.job_id == job_id))
    ).one_or_none()
    if row is None:
        raise NotFound(f"shop {shop_id!r} has no rescore job {job_id!r}")
    return await _view(session, row)


async def list_jobs(
    *, session: AsyncSession, shop_id: str, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first."""
    stmt = select(*_COLUMNS).where(_J.shop_id == shop_id)
    if cursor:
        created, job_id = decode_cursor(cursor, str, str)
        try:
            after = datetime.fromisoformat(created)
        except ValueError:
            after = datetime.max
        stmt = stmt.where(func.row(_J.created_at, _J.job_id) < func.row(after, job_id))
    rows = (
        await session.execute(
            stmt.order_by(_J.created_at.desc(), _J.job_id.desc()).limit(limit + 1)
        )
    ).all()
    page, next_cursor = page_of(rows, limit, lambda r: [r.created_at.isoformat(), r.job_id])
    now = await session.scalar(select(func.now()))
    assert now is not None
    return [progress(r._asdict(), now) for r in page], next_cursor
