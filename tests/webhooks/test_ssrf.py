"""The SSRF guard: internal targets refused by default, with a message saying why."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.webhooks.ssrf import TargetError, check_target

from .helpers import attempts, dispatcher, enqueue, run_until, shop_with_subscription, statuses
from .receiver import Receiver

REFUSED = [
    ("http://127.0.0.1:8080/hook", "loopback"),
    ("http://10.0.0.7/hook", "private"),
    ("http://10.255.1.2/hook", "private"),
    ("http://192.168.1.10/hook", "private"),
    ("http://172.16.0.1/hook", "private"),
    ("http://169.254.169.254/latest/meta-data", "link-local"),
    ("http://[::1]:9000/hook", "loopback"),
    ("http://[fc00::1]/hook", "private"),
    ("http://[fd12:3456::1]/hook", "private"),
    ("http://[fe80::1]/hook", "link-local"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),
    ("http://0.0.0.0/hook", "unspecified"),
    ("http://localhost:8080/hook", "loopback"),  # a name resolving to 127.0.0.1
]


@pytest.mark.parametrize(("url", "kind"), REFUSED)
async def test_internal_targets_are_refused_by_default(url: str, kind: str) -> None:
    with pytest.raises(TargetError) as info:
        await check_target(url, allow_private=False)
    message = str(info.value)
    assert kind in message
    assert "WEBHOOK_ALLOW_PRIVATE_TARGETS" in message


async def test_name_is_shown_with_its_address() -> None:
    with pytest.raises(TargetError, match=r"localhost \((127\.0\.0\.1|::1)\) is a loopback"):
        await check_target("http://localhost/x", allow_private=False)


@pytest.mark.parametrize("url", ["http://127.0.0.1/x", "http://localhost:1/x", "http://[::1]/"])
async def test_operator_may_allow_private_targets(url: str) -> None:
    target, addresses = await check_target(url, allow_private=True)
    assert addresses and target.url == url


async def test_public_literal_address_passes() -> None:
    _, addresses = await check_target("https://93.184.215.14/hook", allow_private=False)
    assert [str(a) for a in addresses] == ["93.184.215.14"]


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "not a url", "http:///nohost", "https://u:p@example.com/"]
)
async def test_unusable_urls_are_refused(url: str) -> None:
    with pytest.raises(TargetError):
        await check_target(url, allow_private=False)


async def test_dispatcher_rechecks_the_target_at_delivery_time(engine: AsyncEngine) -> None:
    """Saved while allowed (or DNS has changed since): the attempt is refused, not sent."""
    with Receiver() as rx:
        await shop_with_subscription(engine, "shop-ssrf", rx.url())
        (event_id,) = await enqueue(engine, "shop-ssrf")
        d = dispatcher(engine, retry_schedule_scale=2e-6)
        d.allow_private = False

        async def failed() -> bool:
            return (await statuses(engine, "shop-ssrf")) == {event_id: "failed"}

        await run_until(d, failed)
    assert rx.requests == []
    tries = await attempts(engine, "shop-ssrf")
    assert tries and tries[0]["error"].startswith("refused target: webhook target 127.0.0.1")
