"""What a page needs about its shop: time zone, currency, today's local date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from domain.days import local_day

from ..shop_settings.service import get_settings
from .auth import clock_of


@dataclass(frozen=True, slots=True)
class ShopContext:
    timezone: str
    currency: str
    today: date


async def shop_context(request: Request, session: AsyncSession, shop_id: str) -> ShopContext:
    settings = await get_settings(session=session, shop_id=shop_id)
    today = local_day(clock_of(request)(), settings.timezone)
    return ShopContext(settings.timezone, settings.currency, today)


def parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
