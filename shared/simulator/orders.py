"""Buyer journeys: inquiries that order (or not), silent orders, deposits and balances,
payment reminders, cancellations, refunds and after-sale chats days later.
"""

from __future__ import annotations

import random

from shared.simulator.chat import MINUTE, SECOND, bot_only, conversation, payment_reminder
from shared.simulator.model import Agent, Item, Shop, Sink

HOUR = 60 * MINUTE
DAY = 24 * HOUR


def _basket(rng: random.Random, shop: Shop, first: Item | None) -> list[tuple[Item, int]]:
    lines = [(first or rng.choice(shop.items), 1 if rng.random() < 0.8 else rng.randint(2, 3))]
    if rng.random() < 0.2:
        other = rng.choice(shop.items)
        if other is not lines[0][0]:
            lines.append((other, 1))
    return lines


def _order_delay(rng: random.Random) -> int:
    """Time from the buyer's last message to placing the order."""
    r = rng.random()
    if r < 0.7:
        return rng.randint(1 * MINUTE, 20 * MINUTE)
    if r < 0.9:
        return rng.randint(1 * HOUR, 24 * HOUR)
    if r < 0.97:
        return rng.randint(24 * HOUR, 70 * HOUR)
    return rng.randint(73 * HOUR, 120 * HOUR)  # outside the 72 h attribution window


def after_paid(
    sink: Sink,
    rng: random.Random,
    shop: Shop,
    buyer: str,
    order_id: str,
    t_paid: int,
    paid_cents: int,
    lines: list[tuple[Item, int]] | None,
) -> None:
    """Refunds and after-sale chats that may follow a payment."""
    r = rng.random
    refunded = 0
    if r() < 0.2:
        # the buyer comes back days later about the order (售后); sometimes past the lookback
        days = rng.randint(1 * DAY, 10 * DAY) if r() < 0.9 else rng.randint(16 * DAY, 20 * DAY)
        agent = rng.choice(shop.group("aftersale"))
        item = lines[0][0] if lines else None
        end = conversation(
            sink, rng, shop, buyer, t_paid + days, agent, "aftersale", item, order_id
        )
        if r() < 0.35:
            amount = paid_cents if r() < 0.5 else min(paid_cents, 1000)
            sink.order(
                shop,
                end.t + rng.randint(1 * HOUR, 48 * HOUR),
                "order.refunded",
                order_id,
                buyer,
                amount,
            )
            refunded += amount
    if refunded == 0 and r() < 0.08:
        amount = paid_cents if r() < 0.5 or not lines else lines[0][0].price_cents
        amount = min(amount, paid_cents)
        t_ref = t_paid + rng.randint(1 * DAY, 7 * DAY)
        sink.order(shop, t_ref, "order.refunded", order_id, buyer, amount)
        if amount < paid_cents and r() < 0.3:  # a second, partial refund later (refunds add up)
            sink.order(
                shop,
                t_ref + rng.randint(1 * HOUR, 3 * DAY),
                "order.refunded",
                order_id,
                buyer,
                min(500, paid_cents - amount),
            )


def place_order(
    sink: Sink,
    rng: random.Random,
    shop: Shop,
    buyer: str,
    t: int,
    agent: Agent | None,
    item: Item | None = None,
) -> None:
    """An order placed at ``t`` and everything that happens to it afterwards."""
    r = rng.random
    lines = _basket(rng, shop, item)
    total = sum(it.price_cents * q for it, q in lines)
    oid = sink.new_order_id(shop)
    if r() < 0.04:
        # placed by its order.paid alone (no order.created): can never be reminded
        sink.order(shop, t, "order.paid", oid, buyer, total)
        sink.paid(shop, t, oid, buyer, agent)
        after_paid(sink, rng, shop, buyer, oid, t, total, None)
        return
    sink.order(shop, t, "order.created", oid, buyer, total, lines)
    y = r()
    if y < 0.7:
        t_paid = t + rng.randint(10 * SECOND, 5 * MINUTE)
        sink.order(shop, t_paid, "order.paid", oid, buyer, total)
        sink.paid(shop, t_paid, oid, buyer, agent)
        after_paid(sink, rng, shop, buyer, oid, t_paid, total, lines)
        return
    if y < 0.8:
        # presale item: deposit now, balance days later (定金/尾款)
        deposit = max(100, total // 500 * 100)
        t_dep = t + rng.randint(10 * SECOND, 3 * MINUTE)
        sink.order(shop, t_dep, "order.paid", oid, buyer, deposit)
        if r() < 0.9:
            t_bal = t_dep + rng.randint(1 * DAY, 3 * DAY)
            sink.order(shop, t_bal, "order.paid", oid, buyer, total - deposit)
            sink.paid(shop, t_bal, oid, buyer, agent)
            after_paid(sink, rng, shop, buyer, oid, t_bal, total, lines)
        return
    # unpaid for now
    reminder_agent = agent or rng.choice(shop.group("presale"))
    z = r()
    if z < 0.65:
        late_reminder = r() < 0.1
        gap = (
            rng.randint(25 * HOUR, 30 * HOUR)
            if late_reminder
            else rng.randint(5 * MINUTE, 20 * HOUR)
        )
        t_rem = t + gap
        answers = r() < 0.5
        end = payment_reminder(sink, rng, shop, buyer, t_rem, reminder_agent, oid, answers)
        w = r()
        if w < 0.55:
            t_paid = end + rng.randint(1 * MINUTE, 2 * HOUR)
            sink.order(shop, t_paid, "order.paid", oid, buyer, total)
            sink.paid(shop, t_paid, oid, buyer, agent)
            after_paid(sink, rng, shop, buyer, oid, t_paid, total, lines)
        elif w < 0.85:
            sink.order(
                shop,
                max(t + 24 * HOUR, end + MINUTE),
                "order.cancelled",
                oid,
                buyer,
                None if r() < 0.6 else total,
            )
    elif z < 0.72:
        # cancelled first, reminded afterwards: not a reminder
        t_c = t + rng.randint(10 * MINUTE, 60 * MINUTE)
        sink.order(shop, t_c, "order.cancelled", oid, buyer, None)
        payment_reminder(
            sink,
            rng,
            shop,
            buyer,
            t_c + rng.randint(1 * MINUTE, 2 * HOUR),
            reminder_agent,
            oid,
            False,
        )
    elif z < 0.9:
        sink.order(
            shop,
            t + rng.randint(30 * MINUTE, 24 * HOUR),
            "order.cancelled",
            oid,
            buyer,
            None if r() < 0.6 else total,
        )
    # else: stays unpaid for ever


def inquiry(sink: Sink, rng: random.Random, shop: Shop, buyer: str, t: int, kind: str) -> None:
    """A pre-sale (or live-stream) inquiry that orders or not."""
    agent = rng.choice(shop.group("live" if kind == "live" else "presale"))
    item = rng.choice(shop.items)
    end = conversation(sink, rng, shop, buyer, t, agent, kind, item)
    if rng.random() < (0.6 if kind == "live" else 0.45):
        place_order(sink, rng, shop, buyer, end.last_buyer_t + _order_delay(rng), end.agent, item)


def midsale(sink: Sink, rng: random.Random, shop: Shop, buyer: str, t: int) -> None:
    """An order placed first, then a chat before paying (售中)."""
    lines = _basket(rng, shop, None)
    total = sum(it.price_cents * q for it, q in lines)
    oid = sink.new_order_id(shop)
    sink.order(shop, t, "order.created", oid, buyer, total, lines)
    agent = rng.choice(shop.group("presale"))
    end = conversation(
        sink,
        rng,
        shop,
        buyer,
        t + rng.randint(1 * MINUTE, 30 * MINUTE),
        agent,
        "midsale",
        lines[0][0],
        oid,
    )
    if rng.random() < 0.8:
        t_paid = end.t + rng.randint(1 * MINUTE, 10 * MINUTE)
        sink.order(shop, t_paid, "order.paid", oid, buyer, total)
        sink.paid(shop, t_paid, oid, buyer, None)  # mid-sale: attributed to no inquiry here
        after_paid(sink, rng, shop, buyer, oid, t_paid, total, lines)
    else:
        sink.order(
            shop, end.t + rng.randint(1 * MINUTE, 2 * HOUR), "order.cancelled", oid, buyer, None
        )


def journey(sink: Sink, rng: random.Random, shop: Shop, t: int) -> None:
    """One buyer arriving at the shop at ``t``."""
    buyer = rng.choice(shop.buyers)
    x = rng.random()
    if x < 0.6:
        inquiry(sink, rng, shop, buyer, t, "presale")
    elif x < 0.7:
        inquiry(sink, rng, shop, buyer, t, "live" if "live" in shop.by_group else "presale")
    elif x < 0.84:
        # silent order (静默下单): no chat at all
        place_order(sink, rng, shop, buyer, t, None)
    elif x < 0.94:
        midsale(sink, rng, shop, buyer, t)
    else:
        bot_only(sink, rng, shop, buyer, t)
