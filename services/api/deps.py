"""FastAPI dependencies, declared once as `Annotated` aliases.

SessionDep is the request's unit of work: it commits when the endpoint returns (before the
response is sent, `scope="function"`) and rolls back if it raises; after the commit, this
process's caches forget what it changed. Service functions never commit. The session
connects lazily: an endpoint that never queries it costs no round trip. CurrentShop
answers from the in-memory CallerCache when it can (no database at all), else
authenticates on a short autocommit connection of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.settings import Settings

from .auth.cache import CallerCache
from .auth.keys import KEY_PREFIX, hash_key
from .auth.service import ShopCaller, authenticate_shop, check_admin_token
from .exceptions import Forbidden, Unauthorized
from .kafka import KafkaLink

_shop_bearer = HTTPBearer(
    scheme_name="ShopApiKey",
    description="A shop API key (`kfs_…`) issued by the operator; scoped to one shop.",
    auto_error=False,
)
_admin_bearer = HTTPBearer(
    scheme_name="AdminToken",
    description="The operator's ADMIN_TOKEN.",
    auto_error=False,
)


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with factory() as session:
        async with session.begin():
            yield session
        callers: CallerCache = request.app.state.callers
        callers.committed(session.info)


SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]


def _kafka(request: Request) -> KafkaLink:
    link: KafkaLink = request.app.state.kafka
    return link


KafkaDep = Annotated[KafkaLink, Depends(_kafka)]


def _bearer(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send 'Authorization: Bearer <key>'")
    return credentials.credentials


async def _current_shop(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_shop_bearer)],
) -> ShopCaller:
    key = _bearer(credentials)
    callers: CallerCache = request.app.state.callers
    key_hash = hash_key(key)
    caller = callers.lookup(key_hash)
    if caller is not None:
        return caller
    epoch = callers.epoch  # before the query: a change notified meanwhile refuses the fill
    # Its own autocommit connection, not the request's unit of work: one round trip (no
    # BEGIN/COMMIT), and a request served from the metrics cache needs nothing else.
    async with request.app.state.autocommit_engine.connect() as conn:
        caller = await authenticate_shop(session=conn, key=key)
    callers.fill(epoch, key_hash, caller)
    return caller


CurrentShop = Annotated[ShopCaller, Depends(_current_shop)]


ADMIN_ACTOR = "admin"  # who the ADMIN_TOKEN is, in the audit trail


async def _admin(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_admin_bearer)],
) -> str:
    """The acting operator (for the audit trail), once the token checks out."""
    token = _bearer(credentials)
    if token.startswith(KEY_PREFIX):
        raise Forbidden("shop API keys cannot use /admin; use the operator's ADMIN_TOKEN")
    check_admin_token(presented=token, expected=settings.require_admin_token())
    return ADMIN_ACTOR


AdminDep = Depends(_admin)
# The same dependency (resolved once per request): who acts, for audit.record.
ActorDep = Annotated[str, Depends(_admin)]
