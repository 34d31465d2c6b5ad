"""The dispatcher against a real HTTP receiver on loopback (private targets allowed)."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks.webhooks import Webhook

from services.webhooks.subscriptions import rotate_secret

from .helpers import attempts, dispatcher, enqueue, run_until, shop_with_subscription, statuses
from .receiver import Receiver


async def test_signature_verifies_with_standardwebhooks(engine: AsyncEngine) -> None:
    with Receiver() as rx:
        sub = await shop_with_subscription(engine, "shop-sign", rx.url())
        (event_id,) = await enqueue(engine, "shop-sign")

        async def delivered() -> bool:
            return (await statuses(engine, "shop-sign")) == {event_id: "delivered"}

        await run_until(dispatcher(engine), delivered)
    (got,) = rx.requests
    assert got.headers["webhook-id"] == event_id
    payload = Webhook(sub.secret).verify(got.body, got.headers)
    assert payload["id"] == event_id and payload["type"] == "qa.violation"
    assert payload["shop_id"] == "shop-sign" and payload["data"]["rule"] == "forbidden_words"
    assert payload["created_at"].endswith("Z")
    assert set(payload) == {"id", "type", "shop_id", "created_at", "data"}
    (attempt,) = await attempts(engine, "shop-sign")
    assert attempt["status_code"] == 200 and attempt["error"] is None


async def test_rotated_secret_signs_with_both_keys(engine: AsyncEngine) -> None:
    with Receiver() as rx:
        old = await shop_with_subscription(engine, "shop-rotate", rx.url())
        async with engine.begin() as conn:
            new = await rotate_secret(
                session=conn, shop_id="shop-rotate", subscription_id=old.subscription_id
            )
        assert new is not None and new.secret != old.secret
        assert new.previous_secret_expires_at is not None
        (event_id,) = await enqueue(engine, "shop-rotate")

        async def delivered() -> bool:
            return (await statuses(engine, "shop-rotate")) == {event_id: "delivered"}

        await run_until(dispatcher(engine), delivered)
    (got,) = rx.requests
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (old.secret, new.secret):  # receivers on either key accept it
        assert Webhook(secret).verify(got.body, got.headers)["id"] == event_id


async def test_500_twice_then_200_same_id_three_times(engine: AsyncEngine) -> None:
    with Receiver(lambda path, nth: 500 if nth <= 2 else 200) as rx:
        await shop_with_subscription(engine, "shop-flaky", rx.url())
        (event_id,) = await enqueue(engine, "shop-flaky")

        async def delivered() -> bool:
            return (await statuses(engine, "shop-flaky")) == {event_id: "delivered"}

        # 5 ms, 10 ms, … backoff: the real schedule, scaled down.
        await run_until(dispatcher(engine, retry_schedule_scale=0.001), delivered)
    assert rx.ids() == [event_id] * 3
    bodies = {r.body for r in rx.requests}
    assert len(bodies) == 1 and json.loads(next(iter(bodies)))["id"] == event_id
    tries = await attempts(engine, "shop-flaky")
    assert [a["status_code"] for a in tries] == [500, 500, 200]
    assert [a["attempt_no"] for a in tries] == [1, 2, 3]
    assert tries[0]["error"] == "HTTP 500 Internal Server Error"
    assert all(a["finished_at"] is not None and a["duration_ms"] >= 0 for a in tries)


async def test_always_failing_receiver_ends_failed_after_the_schedule(
    engine: AsyncEngine,
) -> None:
    with Receiver(lambda path, nth: 503) as rx:
        await shop_with_subscription(engine, "shop-down", rx.url())
        (event_id,) = await enqueue(engine, "shop-down")

        async def failed() -> bool:
            return (await statuses(engine, "shop-down")) == {event_id: "failed"}

        # scale 1e-5: 24 h → 0.86 s of retries, 1 h cap → 36 ms between attempts.
        await run_until(dispatcher(engine, retry_schedule_scale=1e-5), failed)
    tries = await attempts(engine, "shop-down")
    assert len(tries) >= 5 and len(rx.requests) == len(tries)
    assert {a["status_code"] for a in tries} == {503}
    assert set(rx.ids()) == {event_id}


async def test_unreachable_target_is_recorded_as_an_error(engine: AsyncEngine) -> None:
    with Receiver() as rx:
        url = rx.url()
    # The receiver is closed: connection refused, retried, then failed.
    await shop_with_subscription(engine, "shop-gone", url)
    (event_id,) = await enqueue(engine, "shop-gone")

    async def failed() -> bool:
        return (await statuses(engine, "shop-gone")) == {event_id: "failed"}

    await run_until(dispatcher(engine, retry_schedule_scale=2e-6), failed)
    tries = await attempts(engine, "shop-gone")
    assert tries and all(a["status_code"] is None for a in tries)
    assert "ConnectError" in tries[0]["error"]


async def test_prometheus_counts_results_failures_and_backlog(engine: AsyncEngine) -> None:
    with Receiver(lambda path, nth: 200 if path == "/ok" else 500) as rx:
        await shop_with_subscription(engine, "shop-metrics", rx.url("/ok"))
        await shop_with_subscription(engine, "shop-metrics-bad", rx.url("/bad"))
        await enqueue(engine, "shop-metrics", 3)
        await enqueue(engine, "shop-metrics-bad", 1)
        d = dispatcher(engine, retry_schedule_scale=2e-6)
        async with d.factory() as session:
            await d.metrics.outbox.refresh(session=session)
        registry = d.metrics.registry
        assert registry.get_sample_value("kefu_webhook_outbox_backlog") == 4

        async def finished() -> bool:
            found = {
                **await statuses(engine, "shop-metrics"),
                **await statuses(engine, "shop-metrics-bad"),
            }
            return set(found.values()) == {"delivered", "failed"}

        await run_until(d, finished)
        async with d.factory() as session:
            await d.metrics.outbox.refresh(session=session)
    value = registry.get_sample_value
    assert value("kefu_webhook_deliveries_total", {"result": "delivered"}) == 3
    assert value("kefu_webhook_deliveries_total", {"result": "failed"}) == 1
    assert value("kefu_webhook_failures_total") == 1
    assert value("kefu_webhook_attempts_total", {"result": "success"}) == 3
    # Every attempt at /bad was an http_error; how many fit in the compressed retry
    # schedule (0.17 s) depends on the machine's speed, so at least one.
    assert (value("kefu_webhook_attempts_total", {"result": "http_error"}) or 0) >= 1
    assert (value("kefu_webhook_attempts_total", {"result": "timeout"}) or 0) == 0
    assert value("kefu_webhook_outbox_backlog") == 0
