"""/v1/webhooks through the real app: subscriptions, the SSRF 422, deliveries, redeliver."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks.webhooks import Webhook

from .api_client import api, new_shop
from .helpers import dispatcher, enqueue, run_until, statuses
from .receiver import Receiver


async def test_private_target_refused_with_a_clear_problem(
    engine: AsyncEngine, database_url: str
) -> None:
    async with api(engine, database_url, allow_private=False) as client:
        _, key = await new_shop(client)
        for url in (
            "http://127.0.0.1:9/hook",
            "http://localhost/hook",
            "http://10.1.2.3/",
            "http://169.254.169.254/",
            "http://[::1]/",
            "http://[fd00::5]/",
        ):
            r = await client.post(
                "/v1/webhooks/subscriptions",
                headers=key,
                json={"url": url, "event_types": ["alert.breached"]},
            )
            assert r.status_code == 422, (url, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            problem = r.json()
            assert "WEBHOOK_ALLOW_PRIVATE_TARGETS" in problem["detail"]
            assert problem["errors"][0]["loc"] == ["body", "url"]
        bad = await client.post(
            "/v1/webhooks/subscriptions",
            headers=key,
            json={"url": "https://93.184.215.14/", "event_types": ["nope"]},
        )
        assert bad.status_code == 422


async def test_subscription_lifecycle_and_shop_isolation(
    engine: AsyncEngine, database_url: str
) -> None:
    async with api(engine, database_url, allow_private=True) as client:
        _, key = await new_shop(client)
        _, other = await new_shop(client)
        r = await client.post(
            "/v1/webhooks/subscriptions",
            headers=key,
            json={"url": "http://127.0.0.1:9/hook", "event_types": ["qa.violation"]},
        )
        assert r.status_code == 201, r.text
        created = r.json()
        sub_id, secret = created["subscription_id"], created["secret"]
        assert secret.startswith("whsec_") and r.headers["location"].endswith(sub_id)
        got = (await client.get(f"/v1/webhooks/subscriptions/{sub_id}", headers=key)).json()
        assert "secret" not in got and got["event_types"] == ["qa.violation"]
        listed = (await client.get("/v1/webhooks/subscriptions", headers=key)).json()
        assert [s["subscription_id"] for s in listed["items"]] == [sub_id]
        patched = await client.patch(
            f"/v1/webhooks/subscriptions/{sub_id}",
            headers=key,
            json={"event_types": ["alert.breached", "alert.resolved"], "enabled": False},
        )
        assert patched.status_code == 200 and patched.json()["enabled"] is False
        rotated = await client.post(
            f"/v1/webhooks/subscriptions/{sub_id}/rotate-secret", headers=key
        )
        assert rotated.status_code == 200
        assert rotated.json()["secret"] not in (secret, None)
        assert rotated.json()["previous_secret_expires_at"] is not None
        for method in ("get", "delete"):
            r = await client.request(method, f"/v1/webhooks/subscriptions/{sub_id}", headers=other)
            assert r.status_code == 404, "another shop's subscription must be invisible"
        assert (await client.get("/v1/webhooks/subscriptions", headers=other)).json()["items"] == []
        r = await client.delete(f"/v1/webhooks/subscriptions/{sub_id}", headers=key)
        assert r.status_code == 204
        r = await client.get(f"/v1/webhooks/subscriptions/{sub_id}", headers=key)
        assert r.status_code == 404


async def test_deliveries_attempts_and_redeliver(engine: AsyncEngine, database_url: str) -> None:
    answer = {"status": 500}
    with Receiver(lambda path, nth: answer["status"]) as rx:
        async with api(engine, database_url, allow_private=True) as client:
            shop_id, key = await new_shop(client)
            r = await client.post(
                "/v1/webhooks/subscriptions",
                headers=key,
                json={"url": rx.url(), "event_types": ["qa.violation"]},
            )
            secret = r.json()["secret"]
            (event_id,) = await enqueue(engine, shop_id)

            async def done(status: str) -> bool:
                return (await statuses(engine, shop_id)) == {event_id: status}

            await run_until(dispatcher(engine, retry_schedule_scale=2e-6), lambda: done("failed"))
            page = (await client.get("/v1/webhooks/deliveries?status=failed", headers=key)).json()
            (delivery,) = page["items"]
            assert delivery["event_id"] == event_id and delivery["last_status_code"] == 500
            detail = (
                await client.get(f"/v1/webhooks/deliveries/{delivery['delivery_id']}", headers=key)
            ).json()
            assert detail["attempts"] == len(detail["attempt_log"]) >= 2
            assert {a["status_code"] for a in detail["attempt_log"]} == {500}
            assert detail["event"]["id"] == event_id

            answer["status"] = 204
            r = await client.post(
                f"/v1/webhooks/deliveries/{delivery['delivery_id']}/redeliver", headers=key
            )
            assert r.status_code == 202 and r.json()["status"] == "pending"
            await run_until(dispatcher(engine), lambda: done("delivered"))
            _, other = await new_shop(client)
            r = await client.get(
                f"/v1/webhooks/deliveries/{delivery['delivery_id']}", headers=other
            )
            assert r.status_code == 404
    last = rx.requests[-1]
    assert last.msg_id == event_id and set(rx.ids()) == {event_id}
    assert Webhook(secret).verify(last.body, last.headers)["id"] == event_id
