"""buyer_state's compact contributions JSON decodes to exactly what the full form does, and
the difference taken from it is the core's."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.parts import AgentDayParts, ShopDayParts
from domain.spread import ResponseTimes
from services.scoring.contributions_json import compact_contributions, stored_diff
from services.scoring.core.contributions import (
    contributions_from_json,
    contributions_to_json,
    diff,
)
from services.scoring.core.facts import Contributions

_MONEY = st.sampled_from(
    [Decimal(0), Decimal("0.00"), Decimal("-0"), Decimal("19.9"), Decimal("-3.50"), Decimal(7)]
)
_COUNT = st.sampled_from([0, 0, 0, 1, 2, 123456789])


def _parts(
    cls: type[AgentDayParts] | type[ShopDayParts], money: st.SearchStrategy[Decimal] = _MONEY
) -> st.SearchStrategy[object]:
    return st.builds(
        cls, *[money if f in cls.DECIMAL_FIELDS else _COUNT for f in cls.FIELDS]
    ).filter(lambda p: not p.is_zero())


_DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))
_CONTRIBUTIONS = st.builds(
    Contributions,
    st.dictionaries(
        st.tuples(st.sampled_from(["a1", "店:小雨", "a\t2"]), _DAYS), _parts(AgentDayParts)
    ),
    st.dictionaries(_DAYS, _parts(ShopDayParts)),
)


def _exact(c: Contributions) -> object:
    """Values with their Decimal exponents (== on Decimals ignores them)."""
    return (
        sorted((k, [str(v) for v in p.values()]) for k, p in c.agent_days.items()),
        sorted((k, [str(v) for v in p.values()]) for k, p in c.shop_days.items()),
    )


@given(_CONTRIBUTIONS)
def test_compact_form_decodes_like_the_full_form(c: Contributions) -> None:
    compact = json.loads(json.dumps(compact_contributions(c)))  # through JSON, like JSONB
    full = json.loads(json.dumps(contributions_to_json(c)))
    assert _exact(contributions_from_json(compact)) == _exact(c)
    assert _exact(contributions_from_json(full)) == _exact(c)
    # Rows keep their order and keys; only the plain zeros are left out.
    assert [(r["agent_id"], r["day"]) for r in compact["agent_days"]] == [
        (r["agent_id"], r["day"]) for r in full["agent_days"]
    ]
    for small, whole in zip(
        compact["agent_days"] + compact["shop_days"],
        full["agent_days"] + full["shop_days"],
        strict=True,
    ):
        assert small == {k: v for k, v in whole.items() if v not in (0, "0")}


def test_zero_decimals_other_than_plain_zero_are_kept() -> None:
    parts = AgentDayParts(consultations=1, sales_amount=Decimal("0.00"))
    row = compact_contributions(Contributions({("a1", date(2026, 11, 11)): parts}))
    assert row["agent_days"] == [
        {"agent_id": "a1", "day": "2026-11-11", "consultations": 1, "sales_amount": "0.00"}
    ]
    assert compact_contributions(Contributions()) == {"agent_days": [], "shop_days": []}


_TIMES = st.builds(
    ResponseTimes,
    st.dictionaries(st.integers(0, 5), st.integers(1, 2), min_size=1),
    st.dictionaries(st.integers(0, 5), st.integers(1, 2)),
)
_FEW_DAYS = st.sampled_from([date(2026, 3, 28), date(2026, 3, 29), date(2026, 11, 11)])
_AGENT_DAY = st.tuples(st.sampled_from(["a1", "店:小雨"]), _FEW_DAYS)
# A positive exponent too: x − Decimal(0) is then written differently from x itself.
_ANY_MONEY = st.sampled_from([Decimal(0), Decimal("0.00"), Decimal("1E+1"), Decimal("-3.50")])
_WITH_SPREADS = st.builds(
    Contributions,
    st.dictionaries(_AGENT_DAY, _parts(AgentDayParts, _ANY_MONEY), max_size=3),
    st.dictionaries(_FEW_DAYS, _parts(ShopDayParts, _ANY_MONEY), max_size=2),
    st.dictionaries(_AGENT_DAY, _TIMES, max_size=2),
)


def _exact_diff(c: Contributions) -> object:
    return (*_exact(c), sorted((k, t.responses, t.first) for k, t in c.spreads.items()))


# Stored with no rows at all: core diff returns new's rows themselves (not new − 0).
_TEN = Contributions(shop_days={date(2026, 3, 28): ShopDayParts(sales_total=Decimal("1E+1"))})


@settings(max_examples=60)
@example(new=_TEN, old=Contributions(), full=False)
@given(_WITH_SPREADS, st.none() | _WITH_SPREADS, st.booleans())
def test_stored_diff_is_the_core_diff(
    new: Contributions, old: Contributions | None, full: bool
) -> None:
    """new − stored from the stored JSON (equal rows skipped undecoded) is core diff's
    new − old exactly, Decimal exponents included, whichever form the old was stored in."""
    if old is not None and new.agent_days:  # some rows stored exactly as they are again
        old.agent_days.update(list(new.agent_days.items())[:1])
    store = contributions_to_json if full else compact_contributions
    stored = None if old is None else json.loads(json.dumps(store(old)))
    expected = diff(new, None if old is None else contributions_from_json(stored))
    assert _exact_diff(stored_diff(new, compact_contributions(new), stored)) == _exact_diff(
        expected
    )
