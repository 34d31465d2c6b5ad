"""SQL of rescore jobs (the scoring service runs them; the API queues and reports)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.schema import rescore_jobs

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


async def insert_job(session: AsyncSession, *, shop_id: str) -> Any | None:
    """A queued job; None when the shop has one queued or running. The partial unique
    index ix_rescore_jobs_one_active decides, so that of two concurrent requests exactly
    one queues a job."""
    stmt = (
        pg_insert(rescore_jobs)
        .values(shop_id=shop_id, job_id=str(uuid.uuid4()), status="queued")
        .on_conflict_do_nothing(index_elements=[_J.shop_id], index_where=_ACTIVE)
        .returning(*_COLUMNS)
    )
    return (await session.execute(stmt)).one_or_none()


async def active_job_id(session: AsyncSession, *, shop_id: str) -> str | None:
    return await session.scalar(select(_J.job_id).where(_J.shop_id == shop_id, _ACTIVE))


async def fetch_job(session: AsyncSession, *, shop_id: str, job_id: str) -> Any | None:
    stmt = select(*_COLUMNS).where(_J.shop_id == shop_id, _J.job_id == job_id)
    return (await session.execute(stmt)).one_or_none()


async def list_jobs(
    session: AsyncSession, *, shop_id: str, before: tuple[datetime, str] | None, limit: int
) -> list[Any]:
    """Newest first; `before`: (created_at, job_id) of the last row of the previous page."""
    stmt = select(*_COLUMNS).where(_J.shop_id == shop_id)
    if before is not None:
        stmt = stmt.where(func.row(_J.created_at, _J.job_id) < func.row(*before))
    stmt = stmt.order_by(_J.created_at.desc(), _J.job_id.desc()).limit(limit)
    return list((await session.execute(stmt)).all())


async def database_now(session: AsyncSession) -> datetime:
    """The database's clock: job timestamps are the database's, so rates use it too."""
    now = await session.scalar(select(func.now()))
    assert now is not None
    return now
