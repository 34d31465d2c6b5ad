"""Prometheus metrics of webhook delivery.

Counters live in each dispatcher process (served on WEBHOOK_METRICS_PORT when set); the
backlog gauge is read from Postgres, so any process — the API's /metrics included, through
`OutboxGauges.refresh` — reports the same global figure.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncSession

from .claims import backlog


class DispatchMetrics:
    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.registry = registry
        self.attempts = Counter(
            "kefu_webhook_attempts",
            "Webhook HTTP attempts by result",
            ["result"],
            registry=registry,
        )  # success | http_error | timeout | connection_error | refused
        self.deliveries = Counter(
            "kefu_webhook_deliveries",
            "Webhook deliveries finished or rescheduled, by result",
            ["result"],
            registry=registry,
        )  # delivered | retrying | failed
        self.failures = Counter(
            "kefu_webhook_failures",
            "Webhook deliveries given up on (marked failed)",
            registry=registry,
        )
        self.outbox = OutboxGauges(registry)


class OutboxGauges:
    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.backlog = Gauge(
            "kefu_webhook_outbox_backlog",
            "Pending webhook deliveries (not yet delivered or failed)",
            registry=registry,
        )
        self.due = Gauge(
            "kefu_webhook_outbox_due",
            "Pending webhook deliveries whose attempt is due now",
            registry=registry,
        )

    async def refresh(self, *, session: AsyncSession) -> None:
        pending, due = await backlog(session=session)
        self.backlog.set(pending)
        self.due.set(due)
