"""Traffic simulator: realistic shop chat and order events per SPEC §2.

Pure generation (``generate``) is separate from I/O (``producer.stream``, ``demo``)::

    from shared.simulator import SimConfig, generate
    for ev in generate(SimConfig(seed=1, shops=3), count=10_000):
        ev.topic, ev.key, ev.value, ev.event  # cs.chat.v1 | cs.order.v1, shop_id, bytes, dict
"""

from shared.simulator.generator import (
    EVENTS_PER_ARRIVAL,
    arrivals_per_hour_for_rate,
    generate,
    money,
    scenario_of,
)
from shared.simulator.model import (
    CHAT_TOPIC,
    DEFAULT_START,
    INVALID_REASONS,
    MSG_TYPES,
    ORDER_TOPIC,
    ORDER_TYPES,
    SENDERS,
    SHANGHAI,
    Agent,
    Item,
    Shop,
    SimConfig,
    SimEvent,
)

__all__ = [
    "CHAT_TOPIC",
    "DEFAULT_START",
    "EVENTS_PER_ARRIVAL",
    "INVALID_REASONS",
    "MSG_TYPES",
    "ORDER_TOPIC",
    "ORDER_TYPES",
    "SENDERS",
    "SHANGHAI",
    "Agent",
    "Item",
    "Shop",
    "SimConfig",
    "SimEvent",
    "arrivals_per_hour_for_rate",
    "generate",
    "money",
    "scenario_of",
]
