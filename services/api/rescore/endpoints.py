"""/admin/shops/{shop_id}/rescore-jobs: queue a rescore, follow its progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from ..deps import ActorDep, SessionDep
from ..pagination import Page, PageDep
from ..problems import problem_responses
from . import service
from .schemas import RescoreJobOut

router = APIRouter(prefix="/shops/{shop_id}/rescore-jobs", tags=["admin: rescore"])

ShopIdPath = Annotated[str, Path(max_length=128)]


@router.post(
    "",
    status_code=202,
    response_model=RescoreJobOut,
    summary="Queue a rescore of the shop's history from its raw events",
    description="The scoring service picks queued jobs up; follow the Location.",
    responses=problem_responses(404, 409),
)
async def queue_rescore(
    shop_id: ShopIdPath, session: SessionDep, response: Response, actor: ActorDep
) -> RescoreJobOut:
    job = await service.queue_rescore(session=session, shop_id=shop_id, actor=actor)
    response.headers["Location"] = f"/admin/shops/{shop_id}/rescore-jobs/{job.job_id}"
    return job


@router.get(
    "",
    response_model=Page[RescoreJobOut],
    summary="The shop's rescore jobs, newest first",
)
async def list_jobs(shop_id: ShopIdPath, session: SessionDep, page: PageDep) -> Page[RescoreJobOut]:
    return await service.list_jobs(
        session=session, shop_id=shop_id, cursor=page.cursor, limit=page.limit
    )


@router.get(
    "/{job_id}",
    response_model=RescoreJobOut,
    summary="A rescore job's status, progress, rate and time left",
    responses=problem_responses(404),
)
async def get_job(
    shop_id: ShopIdPath, job_id: Annotated[str, Path(max_length=64)], session: SessionDep
) -> RescoreJobOut:
    return await service.get_job(session=session, shop_id=shop_id, job_id=job_id)
