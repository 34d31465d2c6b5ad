"""The FastAPI application: `create_app(settings)` builds it (tests, `python -m services.api`).

Every router is listed here: SHOP_ROUTERS under /v1 (shop API key), ADMIN_ROUTERS under
/admin (ADMIN_TOKEN).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import create_engine, libpq_conninfo, session_factory
from shared.settings import Settings
from shared.shutdown import bounded

from .agents.endpoints import router as agents_router
from .alerts.endpoints import router as alerts_router
from .api_keys.endpoints import router as api_keys_router
from .audit.endpoints import router as audit_router
from .auth.cache import CallerCache
from .bad_reviews.endpoints import router as bad_reviews_router
from .cache_listener import CacheListener
from .console.routes import install_console
from .console.users.endpoints import router as console_users_router
from .dead_letters.endpoints import router as dead_letters_router
from .deps import AdminDep
from .health.endpoints import router as health_router
from .inquiries.endpoints import router as inquiries_router
from .kafka import KafkaLink
from .limits import AbuseGuard, Limits
from .metric_definitions.endpoints import router as metric_definitions_router
from .metrics.cache import MetricsCache
from .metrics.endpoints import router as metrics_router
from .metrics.fast_path import MetricsFastPath
from .openapi import install_openapi
from .performance.routers import ROUTERS as performance_routers
from .pipeline.endpoints import router as pipeline_router
from .problems import install_problem_handlers, problem_responses
from .prometheus import PrometheusMiddleware, RequestMetrics
from .qa_rules.endpoints import router as qa_rules_router
from .rescore.endpoints import router as rescore_router
from .review_marks.endpoints import router as review_marks_router
from .settings import ApiSettings
from .shop_settings.endpoints import router as settings_router
from .shops.endpoints import router as shops_router
from .transcripts.endpoints import router as transcripts_router
from .violations.endpoints import router as violations_router
from .webhooks.endpoints import router as webhooks_router

API_POOL_SIZE = 20

# Mounted under /v1 behind the shop API key.
SHOP_ROUTERS: list[APIRouter] = [
    agents_router,
    metrics_router,
    metric_definitions_router,
    inquiries_router,
    review_marks_router,
    bad_reviews_router,
    transcripts_router,
    violations_router,
    qa_rules_router,
    settings_router,
    alerts_router,
    webhooks_router,
    *performance_routers,
]
# Mounted under /admin behind ADMIN_TOKEN.
ADMIN_ROUTERS: list[APIRouter] = [
    shops_router,
    api_keys_router,
    dead_letters_router,
    rescore_router,
    pipeline_router,
    audit_router,
    console_users_router,
]


def create_app(
    settings: Settings,
    *,
    engine: AsyncEngine | None = None,
    limits: Limits | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """`limits`: the abuse limits (limits.py); by default ApiSettings' (from the
    environment: what `python -m services.api` runs with), none for the shared Settings
    (tests and tools that build an app in-process give the limits they test)."""
    if limits is None:
        limits = settings.limits() if isinstance(settings, ApiSettings) else Limits.off()
    settings.require_admin_token()  # refuse to start with a missing or well-known token
    # Beyond the pool, overflow connections are opened and closed per request (a Postgres
    # backend fork each): size the pool for the expected concurrency.
    engine = engine or create_engine(settings, pool_size=API_POOL_SIZE)
    kafka = KafkaLink(settings)
    callers = CallerCache()
    metrics_cache = MetricsCache()
    # Started with the app (lifespan); until it LISTENs, every request reads the database.
    listener = CacheListener(
        libpq_conninfo(engine.url.render_as_string(hide_password=False)),
        callers=callers,
        metrics=metrics_cache,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        listener.start()
        yield
        await bounded("cache_listener", listener.stop())
        await bounded("kafka", kafka.close())
        await bounded("database", engine.dispose())

    app = FastAPI(
        title="kefu-scorecard API",
        version="1.0.0",
        description="Customer-service performance scoring: the shop API (/v1, shop API key) "
        "and the operator's /admin (ADMIN_TOKEN). Errors are RFC 9457 problem details.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.autocommit_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    app.state.sessions = session_factory(engine)
    app.state.kafka = kafka
    app.state.request_metrics = RequestMetrics()
    app.state.metrics_cache = metrics_cache
    app.state.callers = callers
    app.state.cache_listener = listener

    install_problem_handlers(app)
    app.include_router(health_router)
    for router in SHOP_ROUTERS:
        app.include_router(router, prefix="/v1", responses=problem_responses(401, 422, 500))
    for router in ADMIN_ROUTERS:
        app.include_router(
            router,
            prefix="/admin",
            dependencies=[AdminDep],
            responses=problem_responses(401, 403, 422, 500),
        )
    install_console(app, clock)  # /console; `clock`: the console's now (tests fix it)
    install_openapi(app)
    # Inside the Prometheus middleware (added after it wraps it), so fast answers count.
    app.add_middleware(MetricsFastPath, callers=callers, metrics=metrics_cache)
    # Outside the fast path (a cached answer is limited too), inside the metrics (429s
    # and 413s are counted).
    app.add_middleware(AbuseGuard, limits=limits)
    app.add_middleware(
        PrometheusMiddleware,
        metrics=app.state.request_metrics,
        templates=lambda: app.openapi()["paths"].keys(),
    )
    return app
