"""Console sign-in sessions: a random token in an HttpOnly cookie, its SHA-256 in
console_sessions with the session's CSRF token; the signed-in user as a dependency.

A page asked for without a live session redirects to the sign-in page (an htmx request
gets 401 and HX-Redirect); every state-changing request must carry the session's CSRF
token (form field `csrf` or header X-CSRF-Token), else 403.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared.schema import console_sessions, console_users

from ..exceptions import Forbidden

COOKIE = "kefu_console"
SIGN_IN_CSRF_COOKIE = "kefu_console_csrf"
SESSION_TTL = timedelta(hours=12)
CSRF_HEADER = "X-CSRF-Token"


class SignInRequired(Exception):
    """No live session: the handler sends the browser to the sign-in page."""


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    shop_id: str
    user_id: str
    email: str
    display_name: str
    role: str
    agent_id: str | None
    csrf_token: str

    @property
    def manager(self) -> bool:
        return self.role == "manager"

    @property
    def audit_actor(self) -> str:
        """Who acted, as the audit trail names a console user (the id, not the email: an
        entry can never change, a user's details can)."""
        return f"console:{self.user_id}"

    def may_see_agent(self, agent_id: str) -> bool:
        return self.manager or agent_id == self.agent_id

    def require_agent(self, agent_id: str) -> None:
        if not self.may_see_agent(agent_id):
            raise Forbidden("an agent's console shows only that agent's own numbers")

    def require_manager(self) -> None:
        if not self.manager:
            raise Forbidden("this page is for the shop's managers")


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def clock_of(request: Request) -> Callable[[], datetime]:
    clock: Callable[[], datetime] = request.app.state.console_clock
    return clock


async def start_session(session: AsyncSession, user: Any, now: datetime) -> str:
    """A new session of `user` (a console_users row); its cookie token."""
    token = secrets.token_urlsafe(32)
    await session.execute(
        insert(console_sessions).values(
            shop_id=user.shop_id,
            token_hash=_hash(token),
            user_id=user.user_id,
            csrf_token=secrets.token_urlsafe(24),
            expires_at=now + SESSION_TTL,
        )
    )
    return token


async def end_session(session: AsyncSession, token: str) -> None:
    await session.execute(
        delete(console_sessions).where(console_sessions.c.token_hash == _hash(token))
    )


async def _load(conn: AsyncConnection, token: str, now: datetime) -> ConsoleUser | None:
    s, u = console_sessions.c, console_users.c
    stmt = (
        select(u.shop_id, u.user_id, u.email, u.display_name, u.role, u.agent_id, s.csrf_token)
        .select_from(
            console_sessions.join(
                console_users, (u.shop_id == s.shop_id) & (u.user_id == s.user_id)
            )
        )
        .where(s.token_hash == _hash(token), s.expires_at > now)
    )
    row = (await conn.execute(stmt)).one_or_none()
    return None if row is None else ConsoleUser(**row._asdict())


async def _current_user(request: Request) -> ConsoleUser:
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInRequired
    async with request.app.state.autocommit_engine.connect() as conn:
        user = await _load(conn, token, clock_of(request)())
    if user is None:
        raise SignInRequired
    return user


CurrentUser = Annotated[ConsoleUser, Depends(_current_user)]


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


def check_csrf(user: ConsoleUser, form: dict[str, str], request: Request) -> None:
    given = request.headers.get(CSRF_HEADER) or form.get("csrf")
    if not same_token(given, user.csrf_token):
        raise Forbidden("missing or wrong CSRF token; reload the page and try again")
