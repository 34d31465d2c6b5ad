"""parse_event (fast path + models) gives exactly the verdicts, values and reasons of the
reference that sends every event through the pydantic models."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest

from shared.contracts import fast
from shared.contracts.validation import (
    MAX_EVENT_BYTES,
    Parsed,
    Rejection,
    parse_event,
    parse_event_by_models,
)
from shared.simulator import SimConfig, generate
from tests.fixtures.clock import NOW


def verdict(result: Parsed | Rejection) -> tuple[Any, ...]:
    if isinstance(result, Rejection):
        return ("rejected", result.reason, result.detail, result.shop_id, result.event_id)
    event = result.event
    return (
        "accepted",
        type(event),
        event.model_dump(),
        event.model_fields_set,
        result.body,
        (result.kind, result.shop_id, result.event_id, result.occurred),
        (event.type, event.shop_id, event.event_id, event.occurred),
    )


def assert_same(raw: bytes | None) -> Parsed | Rejection:
    new, reference = parse_event(raw), parse_event_by_models(raw)
    assert verdict(new) == verdict(reference), raw
    if isinstance(new, Parsed):  # the same instant, and the same offset kept
        assert new.occurred.utcoffset() == reference.occurred.utcoffset()  # type: ignore[union-attr]
    return new


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_simulator_stream_with_invalid_events(seed: int) -> None:
    config = SimConfig(
        seed=seed,
        shops=3,
        start=NOW - timedelta(days=3),
        now=NOW,
        late_fraction=0.05,
        duplicate_fraction=0.05,
        invalid_fraction=0.05,
    )
    fast_hits = accepted = 0
    for event in generate(config, count=6_000):
        result = assert_same(event.value)
        if isinstance(result, Parsed):
            accepted += 1
            fast_hits += fast.event_time(result.body) is not None
    assert accepted > 5_000
    assert fast_hits == accepted  # every valid simulator event takes the fast path


CHAT: dict[str, Any] = {
    "event_id": "m-1",
    "type": "chat.message",
    "shop_id": "shop-1",
    "buyer_id": "tb_buyer",
    "agent_id": "小美",
    "sender": "buyer",
    "sent_at": "2026-11-11T10:00:03.120+08:00",
    "msg_type": "text",
    "text": "在吗？",
    "message_id": "p-1",
}
ORDER: dict[str, Any] = {
    "event_id": "o-1",
    "type": "order.created",
    "shop_id": "shop-1",
    "order_id": "T100",
    "buyer_id": "tb_buyer",
    "occurred_at": "2026-11-11T10:05:00Z",
    "amount": "199.00",
    "items": [{"item_id": "sku-1", "quantity": 1, "price": "199"}],
}
DROP = object()


def edit(base: dict[str, Any], **changes: Any) -> bytes:
    body = {k: v for k, v in base.items() if changes.get(k) is not DROP}
    body.update({k: v for k, v in changes.items() if v is not DROP})
    return orjson.dumps(body)


TIMESTAMPS = [
    "2026-11-11T10:00:03+08:00",
    "2026-11-11t10:00:03z",
    "2026-11-11T10:00:03.1Z",
    "2026-11-11T10:00:03.123456789+08:00",
    "2026-11-11T10:00:03.1234567-05:30",
    "2026-11-11T10:00:03.123456789z",
    "2026-11-11T10:00:03-00:00",
    "2026-11-11T10:00:03+08:60",
    "2026-11-11T10:00:03+24:00",
    "2026-11-11T23:59:60Z",
    "2026-02-29T10:00:00Z",
    "2028-02-29T10:00:00Z",
    "2026-11-11T10:00:03",
    "2026-11-11 10:00:03+08:00",
    "2026-11-11T10:00:03+0800",
    "2026-11-11T10:00:03.Z",
    "2026-11-11T10:00:03.1234567890Z",
    "2026-11-11T10:00:03Z\n",
    "٢٠٢٦-11-11T10:00:03Z",
    "2026-11-11T10:00:03+08",
    "",
    None,
    1762826403,
]
MONEY: list[Any] = [
    "0",
    "199",
    "59.9",
    "199.00",
    "00.10",
    "199\n",
    "1e3",
    "-5",
    "+5",
    "5.",
    ".5",
    "5.999",
]
MONEY += ["１９９", "199 ", " 199", "", "99999999999999999.99", None, 199, 19.9, True]
IDS: list[Any] = [
    "a",
    "x" * 128,
    "x" * 129,
    "",
    "😀" * 128,
    "😀" * 129,
    "   ",
    "\u3000",
    "\x1c",
    "\x1f",
]
IDS += ["\u200b", "\u00a0a", " a ", "\n", 5, None, ["a"], {"a": 1}]


def edge_cases() -> list[bytes | None]:
    cases: list[bytes | None] = [None, b"", b"[]", b"null", b"1", b'"x"', b"{}", b"{", b"\xff"]
    cases += [b'{"type": "chat.message"}', b'{"type": 5}', b'{"type": ["chat.message"]}']
    cases += [b'{"type": {"a": 1}}', b'{"type": null}', b'{"type": "order.unknown"}']
    for ts in TIMESTAMPS:
        cases += [edit(CHAT, sent_at=ts), edit(ORDER, occurred_at=ts)]
    for amount in MONEY:
        cases += [
            edit(ORDER, amount=amount),
            edit(ORDER, items=[{**ORDER["items"][0], "price": amount}]),
        ]
        cases.append(edit(ORDER, type="order.cancelled", amount=amount))
    for value in IDS:
        for name in ("event_id", "shop_id", "buyer_id", "agent_id", "message_id"):
            cases.append(edit(CHAT, **{name: value}))
        for name in ("order_id", "shop_id"):
            cases.append(edit(ORDER, **{name: value}))
        cases.append(edit(ORDER, items=[{"item_id": value, "quantity": 1, "price": "1"}]))
    for kind in (
        "order.created",
        "order.paid",
        "order.cancelled",
        "order.refunded",
        "chat.message",
    ):
        cases += [edit(ORDER, type=kind), edit(ORDER, type=kind, amount=DROP)]
        cases += [edit(ORDER, type=kind, amount=None), edit(CHAT, type=kind)]
    for msg_type in ("text", "emoji", "image", "item_link", "order_card", "other", "video", None):
        for text in ("", " ", "a", "t" * 10_000, "t" * 10_001, "😀" * 10_000, None, 5):
            cases += [edit(CHAT, msg_type=msg_type, text=text)]
    cases += [edit(CHAT, msg_type=DROP, text=""), edit(CHAT, msg_type=DROP), edit(CHAT, text=DROP)]
    for sender in ("buyer", "agent", "bot", "system", "customer", "", None, "Buyer"):
        cases.append(edit(CHAT, sender=sender))
    for name in CHAT:
        cases += [edit(CHAT, **{name: DROP}), edit(CHAT, **{name: None})]
    for name in ORDER:
        cases += [edit(ORDER, **{name: DROP}), edit(ORDER, **{name: None})]
    quantities = [0, 1, -1, 2**63, 2**64 - 1, True, 1.0, "1", None]
    for quantity in quantities:
        cases.append(edit(ORDER, items=[{"item_id": "a", "quantity": quantity, "price": "1"}]))
    items: Any
    for items in ([], None, "x", [None], [{}], [{"item_id": "a", "quantity": 1}]):
        cases.append(edit(ORDER, items=items))
    cases += [edit(ORDER, items=[{"item_id": "a", "quantity": 1, "price": "1", "sku": "s"}])]
    raw_chat = orjson.dumps(CHAT)[:-1]
    cases += [
        raw_chat + b', "extra": NaN}',  # orjson refuses NaN, Infinity and overflowing numbers
        raw_chat + b', "extra": Infinity}',
        raw_chat + b', "extra": 1e400}',
        raw_chat + b', "extra": 123456789012345678901234567890}',
        raw_chat + b', "extra": "\\u0000"}',
        raw_chat + b', "extra": "\\ud800"}',
        raw_chat + b', "extra": ' + b"[" * 600 + b"]" * 600 + b"}",
        raw_chat + b', "extra": ' + b"[" * 1100 + b"]" * 1100 + b"}",
        raw_chat + b', "text": ""}',  # duplicate keys: the last one counts
        raw_chat + b', "type": "order.paid"}',
        raw_chat + b"} trailing",
        b"\xef\xbb\xbf" + orjson.dumps(CHAT),
        orjson.dumps(ORDER)[:-1] + b', "items": [{"item_id": "a", "quantity": 18446744073709551616'
        b', "price": "1"}]}',
        orjson.dumps({**CHAT, "padding": "x" * 70_000}),
    ]
    return cases


def test_hand_made_edge_cases() -> None:
    cases = edge_cases()
    results = [assert_same(raw) for raw in cases]
    assert sum(isinstance(r, Parsed) for r in results) > 50  # both verdicts are exercised
    assert sum(isinstance(r, Rejection) for r in results) > 200


def test_fast_path_is_never_more_lenient() -> None:
    for raw in edge_cases():
        if raw is not None and len(raw) > MAX_EVENT_BYTES:
            continue  # refused before any field is read
        try:
            body = orjson.loads(raw or b"")
        except orjson.JSONDecodeError:
            continue
        if isinstance(body, dict) and fast.event_time(body) is not None:
            assert isinstance(parse_event_by_models(raw), Parsed), raw
