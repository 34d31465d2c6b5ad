"""When to retry a failed attempt: exponential backoff with jitter, bounded in age.

Pure: the caller passes the random source. The age bound (max_age after the first
attempt, stored as the delivery's expires_at) is applied by the store on the database
clock, which every dispatcher shares.
"""

from __future__ import annotations

import random

from .settings import WebhookSettings


def retry_delay(attempt: int, settings: WebhookSettings, rng: random.Random) -> float:
    """Seconds before the attempt after `attempt` (1-based): base·2^(n−1) capped at
    max_delay, then "equal jitter" — uniformly in [½, 1] of it — so that receivers
    recovering from an outage are not hit by every dispatcher at the same instant."""
    base = settings.scaled(settings.base_delay_seconds)
    cap = settings.scaled(settings.max_delay_seconds)
    delay = min(cap, base * 2 ** min(attempt - 1, 60))
    return delay * rng.uniform(0.5, 1.0)
