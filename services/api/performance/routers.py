"""The performance routers, mounted under /v1 by services/api/app.py."""

from __future__ import annotations

from fastapi import APIRouter

from .boards.endpoints import boards_router, mentors_router
from .plans.endpoints import bonus_router, honour_router
from .targets.endpoints import router as targets_router

ROUTERS: list[APIRouter] = [
    targets_router,
    bonus_router,
    honour_router,
    boards_router,
    mentors_router,
]
