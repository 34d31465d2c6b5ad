"""Queueing rescore jobs and reporting their progress."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..audit.service import record, snapshot
from ..exceptions import Conflict, NotFound
from ..pagination import Page, decode_cursor, page_of
from ..shops.repository import fetch_shop
from . import repository
from .schemas import RescoreJobOut


def progress(job: dict[str, Any], now: datetime) -> RescoreJobOut:
    """Rate and time left from the job's own timestamps and counters (pure)."""
    done, total = job["events_done"], job["events_total"]
    rate = left = None
    if job["started_at"] is not None:
        elapsed = ((job["finished_at"] or now) - job["started_at"]).total_seconds()
        if elapsed > 0 and done > 0:
            rate = done / elapsed
            left = 0.0 if job["status"] == "done" else max(total - done, 0) / rate
    return RescoreJobOut(
        **job,
        progress=done / total if total else None,
        events_per_second=rate,
        seconds_left=left,
    )


async def queue_rescore(*, session: AsyncSession, shop_id: str, actor: str) -> RescoreJobOut:
    if await fetch_shop(session, shop_id) is None:
        raise NotFound(f"shop {shop_id!r} does not exist")
    row = await repository.insert_job(session, shop_id=shop_id)
    if row is None:
        active = await repository.active_job_id(session, shop_id=shop_id)
        raise Conflict(
            f"rescore job {active} of shop {shop_id!r} is not finished yet; "
            "wait for it (GET its status) before queueing another"
        )
    job = progress(row._asdict(), await repository.database_now(session))
    await record(
        session=session,
        actor=actor,
        action="rescore.queued",
        shop_id=shop_id,
        target=f"shop/{shop_id}/rescore-job/{job.job_id}",
        before=None,
        after=snapshot(job, include={"job_id", "status", "created_at"}),
    )
    return job


async def get_job(*, session: AsyncSession, shop_id: str, job_id: str) -> RescoreJobOut:
    row = await repository.fetch_job(session, shop_id=shop_id, job_id=job_id)
    if row is None:
        raise NotFound(f"shop {shop_id!r} has no rescore job {job_id!r}")
    return progress(row._asdict(), await repository.database_now(session))


def _before(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    created, job_id = decode_cursor(cursor, str, str)
    try:
        return datetime.fromisoformat(created), job_id
    except ValueError:
        return datetime.max, job_id


async def list_jobs(
    *, session: AsyncSession, shop_id: str, cursor: str | None, limit: int
) -> Page[RescoreJobOut]:
    """Newest first."""
    rows = await repository.list_jobs(
        session, shop_id=shop_id, before=_before(cursor), limit=limit + 1
    )
    page, next_cursor = page_of(rows, limit, lambda r: [r.created_at.isoformat(), r.job_id])
    now = await repository.database_now(session)
    return Page(items=[progress(r._asdict(), now) for r in page], next_cursor=next_cursor)
