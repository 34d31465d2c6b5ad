"""The API's link to the broker: a producer started on first use, so the API serves
everything else while Kafka is down (replay and /readyz then say so)."""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from shared.kafka import create_producer
from shared.logging import get_logger
from shared.settings import Settings

from .exceptions import ServiceUnavailable

log = get_logger(__name__)

CONNECT_TIMEOUT_S = 5.0


class KafkaLink:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    @property
    def bootstrap(self) -> str | None:
        return self._settings.kafka_bootstrap_servers

    def _unavailable(self, why: object) -> ServiceUnavailable:
        return ServiceUnavailable(
            f"the Kafka broker at {self.bootstrap or '(KAFKA_BOOTSTRAP_SERVERS unset)'} is "
            f"unreachable ({why}); retry once it is up"
        )

    async def producer(self) -> AIOKafkaProducer:
        """The started producer; 503 problem when the broker cannot be reached."""
        async with self._lock:
            if self._producer is not None:
                return self._producer
            if not self.bootstrap:
                raise self._unavailable("not configured")
            producer = create_producer(self._settings, request_timeout_ms=10_000)
            try:
                await asyncio.wait_for(producer.start(), CONNECT_TIMEOUT_S)
            except Exception as exc:
                with contextlib.suppress(Exception):
                    await producer.stop()
                raise self._unavailable(type(exc).__name__) from exc
            self._producer = producer
            return producer

    async def admin(self) -> AIOKafkaAdminClient:
        """A started admin client (the caller closes it); 503 problem when unreachable."""
        if not self.bootstrap:
            raise self._unavailable("not configured")
        client = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=5_000)
        try:
            await asyncio.wait_for(client.start(), CONNECT_TIMEOUT_S)
        except Exception as exc:
            with contextlib.suppress(Exception):
                await client.close()
            raise self._unavailable(type(exc).__name__) from exc
        return client

    async def reachable(self) -> bool:
        try:
            client = await self.admin()
        except ServiceUnavailable:
            return False
        try:
            await asyncio.wait_for(client.list_topics(), CONNECT_TIMEOUT_S)
            return True
        except Exception:
            return False
        finally:
            with contextlib.suppress(Exception):
                await client.close()

    async def close(self) -> None:
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await self._producer.stop()
            self._producer = None
