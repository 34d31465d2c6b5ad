"""The simulator's output passes the shared contracts; its invalid events fail them for
the reason they were made invalid."""

from __future__ import annotations

from shared.contracts import Rejection, RejectReason
from shared.contracts.validation import Parsed, parse_event
from shared.simulator import SimConfig, generate

EXPECTED = {
    "not_json": RejectReason.NOT_JSON,
    "missing_field": RejectReason.INVALID_FIELDS,
    "bad_money": RejectReason.INVALID_FIELDS,
    "timestamp_without_offset": RejectReason.INVALID_FIELDS,
    "unknown_type": RejectReason.UNKNOWN_TYPE,
    "bad_enum": RejectReason.INVALID_FIELDS,
    "empty_text": RejectReason.INVALID_FIELDS,
    "text_too_long": RejectReason.INVALID_FIELDS,
    "oversize": RejectReason.OVER_SIZE,
}


def test_valid_simulator_events_pass_and_invalid_ones_fail_for_their_reason() -> None:
    config = SimConfig(
        seed=11, shops=2, late_fraction=0.05, duplicate_fraction=0.05, invalid_fraction=0.05
    )
    reasons_seen: set[str] = set()
    valid = 0
    for event in generate(config, count=20_000):
        result = parse_event(event.value)
        if event.invalid_reason is None or event.invalid_reason == "unknown_shop":
            # an unknown shop is well-formed; ingest rejects it against the shop registry
            assert isinstance(result, Parsed), (event.value[:300], result)
            valid += 1
            continue
        reasons_seen.add(event.invalid_reason)
        assert isinstance(result, Rejection), event.value[:300]
        assert result.reason is EXPECTED[event.invalid_reason], (event.invalid_reason, result)
    assert valid > 15_000
    assert reasons_seen == set(EXPECTED)


def test_same_seed_same_bytes() -> None:
    first = [e.value for e in generate(SimConfig(seed=5), count=2_000)]
    again = [e.value for e in generate(SimConfig(seed=5), count=2_000)]
    other = [e.value for e in generate(SimConfig(seed=6), count=2_000)]
    assert first == again
    assert first != other
