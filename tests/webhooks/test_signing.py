"""Our signatures against the reference `standardwebhooks` implementation, and the
retry schedule's shape."""

from __future__ import annotations

import random
import time

from standardwebhooks.webhooks import Webhook

from services.webhooks.schedule import retry_delay
from services.webhooks.settings import WebhookSettings
from services.webhooks.signing import generate_secret, signature_headers


def test_reference_library_verifies_our_headers() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_")
    body = '{"id":"evt_1","data":{"word":"滚"}}'.encode()
    headers = signature_headers([secret], "evt_1", int(time.time()), body)
    assert Webhook(secret).verify(body, headers) == {"id": "evt_1", "data": {"word": "滚"}}


def test_each_secret_of_a_rotation_verifies_and_a_stranger_does_not() -> None:
    old, new, other = generate_secret(), generate_secret(), generate_secret()
    body = b'{"id":"evt_2"}'
    headers = signature_headers([new, old], "evt_2", int(time.time()), body)
    assert headers["webhook-signature"].count("v1,") == 2
    Webhook(old).verify(body, headers)
    Webhook(new).verify(body, headers)
    try:
        Webhook(other).verify(body, headers)
    except Exception as exc:  # WebhookVerificationError
        assert "signature" in str(exc).lower()
    else:
        raise AssertionError("a third secret must not verify")


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap() -> None:
    settings = WebhookSettings()
    rng = random.Random(7)
    delays = [retry_delay(n, settings, rng) for n in range(1, 16)]
    for n, delay in enumerate(delays, start=1):
        full = min(3600.0, 5.0 * 2 ** (n - 1))
        assert full / 2 <= delay <= full
    assert len({round(d, 6) for d in delays}) == len(delays)  # jittered
    scaled = WebhookSettings(retry_schedule_scale=0.001)
    assert retry_delay(1, scaled, random.Random(1)) <= 0.005
    assert scaled.max_age == 86.4
