"""Kafka topic names fixed by SPEC §10."""

CHAT = "cs.chat.v1"
ORDER = "cs.order.v1"
EVENTS = "cs.events.v1"
DEADLETTER = "cs.deadletter.v1"

ALL = (CHAT, ORDER, EVENTS, DEADLETTER)
INPUT = (CHAT, ORDER)
