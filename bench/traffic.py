"""The benches' traffic: one simulator mix (4 shops × 25 agents × 5 000 buyers over 20
days), so every row of `make bench` and every standalone bench measures the same load."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from shared.simulator import SimConfig, SimEvent, generate


def bench_config(
    now: datetime,
    *,
    seed: int = 7,
    id_prefix: str | None = None,
    reviews: bool = False,
    arrivals_per_hour: int = 2000,
) -> SimConfig:
    return SimConfig(
        seed=seed,
        shops=4,
        agents_per_shop=25,
        buyers_per_shop=5000,
        start=now - timedelta(days=20),
        now=now,
        arrivals_per_hour=arrivals_per_hour,
        id_prefix=id_prefix,
        # The benchmarks' traffic stays what it was; a reviews row passes reviews=True.
        review_fraction=0.35 if reviews else 0.0,
    )


def simulator_events(
    count: int, seed: int = 7, *, reviews: bool = False, arrivals_per_hour: int = 2000
) -> list[SimEvent]:
    """Simulator events ending now (so none is too old or in the future), with event ids of
    their own so runs never collide."""
    prefix = f"b{uuid.uuid4().hex[:6]}"
    config = bench_config(
        datetime.now(UTC),
        seed=seed,
        id_prefix=prefix,
        reviews=reviews,
        arrivals_per_hour=arrivals_per_hour,
    )
    return list(generate(config, count=count))
