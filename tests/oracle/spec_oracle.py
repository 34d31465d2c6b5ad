"""Independent, naive reference implementation of SPEC §4–§6 for differential testing.

Written from the SPEC text alone (not from services/scoring/core nor docs/definitions.md), as
literally as possible: quadratic loops, no incremental state. Input: valid SPEC §2 event
dicts; output: per (agent_id, local day) and per local day the additive parts of §5.

Readings chosen where the SPEC leaves room (each one a decision, written down on purpose):

R0  Dedupe is by (shop_id, event_id) across chat and order events alike (one namespace per
    shop), first in input order wins, before anything else (the watermark included).
R1  Time. Timestamps are exact instants (offset applied); fractions finer than 1 µs are cut
    (never rounded). Durations in settings are exact: ``aftersale_lookback_days`` = L × 86 400 s
    (not local calendar days), the others in seconds. ``response_us_sum`` is in µs.
R2  Watermark = max event time over every deduped valid event of the shop: chat messages of any
    sender, null agent_id included, and all four order types, including events of orders that
    are never placed.
R3  Orders. Order events of one order_id are ranked by (occurred_at, event_id); the placing
    event (earliest created, else earliest paid) gives the order's buyer, and that buyer is
    used everywhere (other events' buyer_id are ignored). paid_at = earliest paid; paid amount
    = Σ of every paid amount; cancelled_at = earliest cancelled; refunds = Σ every refund
    amount (an absent amount adds 0). Orders never placed are ignored by every rule of §4
    (they cannot make a consultation after- or mid-sale).
R4  Consultation (agent A, buyer b, day D) = all participating buyer messages b→A whose own
    local day is D, whatever session they are in. Its ``first`` / ``last buyer message`` are
    the first/last of those messages in §2 order, and those messages are the candidates ``m``
    for attribution.
R5  After-sale: an order of b whose paid_at ∈ [first − L, first]. Mid-sale: an order of b placed
    in [first − L, first] with neither paid_at ≤ first nor cancelled_at ≤ first ("by then" is
    inclusive). A consultation that is both is simply not an inquiry.
R6  Attribution compares message instants only; among inquiries whose latest qualifying
    message has the same sent_at, the smallest agent_id (code points) wins. Orders placed by
    order.paid compete like any other (placed = that paid time).
R7  converted = at least one attributed order has any order.paid (ever, per the event set);
    paid_orders/sales_amount = attributed orders that are paid, whenever; refund_amount = Σ
    refunds of every attributed order (paid or not). lost uses strict ``>``.
R8  Reminder: the candidates are agent messages (sender agent, non-null agent_id) with the
    order's buyer; first = smallest (sent_at, agent_id), so event_id does not break a tie
    between agents. placed < m, m < paid_at, m < cancelled_at (all strict), m − placed ≤ window.
    Successful iff the order has a paid_at (necessarily after m).
R9  Sessions: per (buyer, agent) over participating messages in §2 order; a gap > session_gap
    (strict) splits. closed iff watermark − last message > session_gap (strict).
R10 Questions: the first buyer message of a session (even if agent messages precede it), and
    each buyer message whose immediately preceding session message is an agent message.
    Response = first agent message after it in §2 order (response time may be 0). responses,
    first_responses, slow_responses (strict >) count for the session's agent on the
    question's local day.
R11 unreplied_buyers: a consultation none of whose buyer messages is followed (§2 order) by an
    agent message in the same session.
R12 QA (closed sessions only; counted on the session's day, agent = session agent):
    closing_by_agent = last message not by the agent (one occurrence); min_reply_length counts
    agent messages of msg_type text with char_count < 5; min_emojis / greeting only when the
    session has an agent message; emoji counted in every agent message's text (emoji-type
    included) + 1 per emoji-type agent message; greeting = plain substring of the first agent
    message's raw text (no case folding, white space kept); forbidden words: casefold text and
    word, non-overlapping ``str.count`` per word on the raw text; slow_reply / unanswered per
    question of the session (the session's questions, whatever their day). A disabled rule
    records no violation and no penalty. score = max(0, 100 − Σ occurrences × penalty).
R14 Reviews (§11). Per order_id the review is the one with the greatest (posted_at, event_id);
    an order never placed (no created, no paid) has none that counts. Its service agent is
    the agent of the inquiry the order is attributed to (R6). The shop's agents are the
    agent_ids of every chat message of the shop, any sender. Nickname = the text after the
    last ':'; it names when it has ≥ 2 §6 characters and casefold(nickname) is a substring
    of casefold(text) of a good review; credited once per review. Everything counts on the
    local day of posted_at. DSR: sum and count per key of the scores present.
R15 (SPEC §11) After-sale and mid-sale consultations are counted per agent on the
    consultation's day; a consultation that is both counts as after-sale only.
R16 (SPEC §11) Response times: every response's response_us is kept per (agent, question's
    day), and per first response; percentiles are the ⌈q·n⌉-th smallest of the merged
    lists (`percentile`).
R17 (SPEC §11) Business hours: open at an instant when its local wall-clock time of day
    lies in one of its local weekday's [start, end) intervals. A question asked while
    closed is timed from the earliest interval start (read as a local wall time, first
    occurrence) later than it within the next 8 local days: max(0, response − that).
R13 Rows are produced for every (agent, day) / day something counts on; all-zero rows may
    be absent (compare them as zero).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from tests.oracle.events import (
    EPOCH,
    Msg,
    Order,
    Review,
    dedupe,
    event_time_us,
    fold_orders,
    local_day,
    seconds_to_us,
    to_msg,
    to_order_ev,
    to_review,
)
from tests.oracle.qa import RULE_NAMES, Question, resolve_rules, score_session
from tests.oracle.text import char_count

DEFAULT_SETTINGS: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "session_gap_seconds": 1800,
    "attribution_window_seconds": 259200,
    "aftersale_lookback_days": 15,
    "slow_reply_seconds": 30,
    "reminder_window_seconds": 86400,
    "raw_retention_days": 400,
    "currency": "CNY",
    "business_hours": None,
}

AGENT_PARTS = (
    "consultations",
    "inquiries",
    "ordered_buyers",
    "paid_buyers",
    "paid_orders",
    "sales_amount",
    "refund_amount",
    "lost_inquiries",
    "buyer_messages",
    "agent_messages",
    "responses",
    "response_us_sum",
    "first_responses",
    "first_response_us_sum",
    "slow_responses",
    "unreplied_buyers",
    "sessions",
    "qa_sessions",
    "qa_score_sum",
    "reminded_orders",
    "reminder_successes",
    "aftersale_consultations",
    "midsale_consultations",
    *(f"v_{r}" for r in RULE_NAMES),
    "reviews",
    "good_reviews",
    "neutral_reviews",
    "bad_reviews",
    "review_mentions",
)
DSR_KEYS = ("item", "service", "logistics")
SHOP_PARTS = (
    "placed_orders",
    "paid_orders_total",
    "sales_total",
    "silent_orders",
    "silent_sales",
    "reviews_total",
    "bad_reviews_total",
    *(f"dsr_{k}_{p}" for k in DSR_KEYS for p in ("sum", "count")),
)
MONEY_PARTS = frozenset({"sales_amount", "refund_amount", "sales_total", "silent_sales"})

Parts = dict[str, int | Decimal]
AgentDay = tuple[str, date]


def zero_parts(names: Iterable[str]) -> Parts:
    return {n: (Decimal(0) if n in MONEY_PARTS else 0) for n in names}


class ShopResult:
    """Additive parts of one shop: ``agent_days[(agent_id, day)]`` and ``shop_days[day]``;
    ``times[(agent_id, day)]``: (response µs, first response µs) lists (R16)."""

    def __init__(self) -> None:
        self.agent_days: dict[AgentDay, Parts] = {}
        self.shop_days: dict[date, Parts] = {}
        self.times: dict[AgentDay, tuple[list[int], list[int]]] = {}

    def add_time(self, agent: str, day: date, us: int, first: bool) -> None:
        responses, firsts = self.times.setdefault((agent, day), ([], []))
        responses.append(us)
        if first:
            firsts.append(us)

    def add(self, agent: str, day: date, name: str, value: int | Decimal = 1) -> None:
        row = self.agent_days.setdefault((agent, day), zero_parts(AGENT_PARTS))
        row[name] += value

    def add_shop(self, day: date, name: str, value: int | Decimal = 1) -> None:
        row = self.shop_days.setdefault(day, zero_parts(SHOP_PARTS))
        row[name] += value


def percentile(values: Iterable[int], q_num: int, q_den: int) -> int | None:
    """Nearest rank (R16): sort everything, take the ⌈q·n⌉-th (q = q_num / q_den)."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (q_num * len(ordered) + q_den - 1) // q_den
    return ordered[rank - 1]


WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hhmm_us(text: str) -> int:
    hours, minutes = text.split(":")
    return (int(hours) * 60 + int(minutes)) * 60 * 1_000_000


def next_open_us(t_us: int, tz: ZoneInfo, hours: Mapping[str, Any]) -> int:
    """R17: t itself when open, else the earliest later interval start."""
    local = (EPOCH + timedelta(microseconds=t_us)).astimezone(tz)
    of_day = (local.hour * 3600 + local.minute * 60 + local.second) * 1_000_000
    of_day += local.microsecond
    today = hours.get(WEEKDAY_KEYS[local.weekday()], [])
    if any(_hhmm_us(a) <= of_day < _hhmm_us(b) for a, b in today):
        return t_us
    starts = []
    for ahead in range(9):
        day = local.date() + timedelta(days=ahead)
        for a, _ in hours.get(WEEKDAY_KEYS[day.weekday()], []):
            h, m = (int(x) for x in a.split(":"))
            wall = datetime(day.year, day.month, day.day, h, m, tzinfo=tz)
            at = (wall - EPOCH) // timedelta(microseconds=1)
            if at > t_us:
                starts.append(at)
    return min(starts)


def compute(
    events: Iterable[Mapping[str, Any]],
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    qa_rules: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
) -> dict[str, ShopResult]:
    """All shops: dedupe by (shop_id, event_id) first, then each shop on its own.
    ``settings`` / ``qa_rules`` are per shop_id overrides of the defaults."""
    by_shop: dict[str, list[Mapping[str, Any]]] = {}
    for ev in dedupe(events):
        by_shop.setdefault(ev["shop_id"], []).append(ev)
    return {
        shop: compute_shop(evs, (settings or {}).get(shop), (qa_rules or {}).get(shop))
        for shop, evs in by_shop.items()
    }


def compute_shop(
    events: list[Mapping[str, Any]],
    settings: Mapping[str, Any] | None = None,
    qa_rules: Mapping[str, Mapping[str, Any]] | None = None,
) -> ShopResult:
    """One shop's already deduped events -> its additive parts."""
    s = {**DEFAULT_SETTINGS, **(settings or {})}
    ctx = _Context(events, s, resolve_rules(qa_rules))
    ctx.run()
    return ctx.result


class _Context:
    def __init__(
        self, events: list[Mapping[str, Any]], s: Mapping[str, Any], rules: dict[str, Any]
    ) -> None:
        self.tz = ZoneInfo(s["timezone"])
        self.gap = seconds_to_us(s["session_gap_seconds"])
        self.window = seconds_to_us(s["attribution_window_seconds"])
        self.lookback = seconds_to_us(s["aftersale_lookback_days"]) * 86_400
        self.slow = seconds_to_us(s["slow_reply_seconds"])
        self.remind = seconds_to_us(s["reminder_window_seconds"])
        self.hours: Mapping[str, Any] | None = s.get("business_hours")
        self.rules = rules
        self.watermark = max((event_time_us(e) for e in events), default=0)
        chats = [to_msg(e) for e in events if e["type"] == "chat.message"]
        self.msgs = sorted(
            (m for m in chats if m.sender in ("buyer", "agent") and m.agent is not None),
            key=lambda m: m.key,
        )
        # Each buyer's agent messages: a reminder is looked for per order among them only
        # (scanning every message per order was quadratic: minutes on a demo's record).
        self.agent_msgs_of: dict[str, list[Msg]] = {}
        for m in self.msgs:
            if m.sender == "agent":
                self.agent_msgs_of.setdefault(m.buyer, []).append(m)
        self.orders = fold_orders(
            [to_order_ev(e) for e in events if e["type"].startswith("order.")]
        )
        self.placed = [o for o in self.orders.values() if o.placed is not None]
        self.placed_of: dict[str, list[Order]] = {}
        for o in self.placed:
            self.placed_of.setdefault(o.buyer, []).append(o)
        self.reviews = [to_review(e) for e in events if e["type"] == "review.posted"]
        self.agents = {c.agent for c in chats if c.agent is not None}
        self.attributed: dict[str, tuple[str, str, date] | None] = {}
        self.result = ShopResult()

    def day(self, t: int) -> date:
        return local_day(t, self.tz)

    def run(self) -> None:
        sessions = self.build_sessions()
        self.message_counts()
        self.session_metrics(sessions)
        self.consultation_metrics(sessions)
        self.reminders()
        self.review_metrics()

    # -- messages and sessions ------------------------------------------------------------

    def message_counts(self) -> None:
        for m in self.msgs:
            assert m.agent is not None
            name = "buyer_messages" if m.sender == "buyer" else "agent_messages"
            self.result.add(m.agent, self.day(m.t), name)

    def build_sessions(self) -> list[list[Msg]]:
        streams: dict[tuple[str, str | None], list[Msg]] = {}
        for m in self.msgs:  # already in §2 order
            streams.setdefault((m.buyer, m.agent), []).append(m)
        sessions: list[list[Msg]] = []
        for stream in streams.values():
            current = [stream[0]]
            for prev, m in pairwise(stream):
                if m.t - prev.t > self.gap:
                    sessions.append(current)
                    current = []
                current.append(m)
            sessions.append(current)
        return sessions

    def questions(self, session: list[Msg]) -> list[Question]:
        out: list[Question] = []
        seen_buyer = False
        for i, m in enumerate(session):
            if m.sender != "buyer":
                continue
            is_q = not seen_buyer or (i > 0 and session[i - 1].sender == "agent")
            seen_buyer = True
            if is_q:
                resp = next((r for r in session[i + 1 :] if r.sender == "agent"), None)
                opens = None if self.hours is None else next_open_us(m.t, self.tz, self.hours)
                out.append(Question(m, resp, opens))
        return out

    def session_metrics(self, sessions: list[list[Msg]]) -> None:
        for sess in sessions:
            agent = sess[0].agent
            assert agent is not None
            sday = self.day(sess[0].t)
            self.result.add(agent, sday, "sessions")
            qs = self.questions(sess)
            for idx, q in enumerate(qs):
                rus = q.response_us
                if rus is None:
                    continue
                qday = self.day(q.msg.t)
                self.result.add(agent, qday, "responses")
                self.result.add(agent, qday, "response_us_sum", rus)
                self.result.add_time(agent, qday, rus, idx == 0)
                if rus > self.slow:
                    self.result.add(agent, qday, "slow_responses")
                if idx == 0:
                    self.result.add(agent, qday, "first_responses")
                    self.result.add(agent, qday, "first_response_us_sum", rus)
            if self.watermark - sess[-1].t > self.gap:
                score, found = score_session(sess, qs, self.rules, self.slow)
                self.result.add(agent, sday, "qa_sessions")
                self.result.add(agent, sday, "qa_score_sum", score)
                for rule, n in found.items():
                    self.result.add(agent, sday, f"v_{rule}", n)

    # -- consultations, inquiries, attribution --------------------------------------------

    def consultation_metrics(self, sessions: list[list[Msg]]) -> None:
        replied: set[str] = set()  # event_ids of buyer messages with a later agent message
        for sess in sessions:
            for i, m in enumerate(sess):
                if m.sender == "buyer" and any(r.sender == "agent" for r in sess[i + 1 :]):
                    replied.add(m.event_id)
        consultations: dict[tuple[str, str, date], list[Msg]] = {}
        for m in self.msgs:
            if m.sender == "buyer":
                assert m.agent is not None
                consultations.setdefault((m.agent, m.buyer, self.day(m.t)), []).append(m)
        inquiries: dict[tuple[str, str, date], list[Msg]] = {}
        for (agent, buyer, day), bmsgs in consultations.items():
            self.result.add(agent, day, "consultations")
            if not any(m.event_id in replied for m in bmsgs):
                self.result.add(agent, day, "unreplied_buyers")
            kind = self.kind(buyer, bmsgs[0].t)
            if kind == "presale":
                inquiries[(agent, buyer, day)] = bmsgs
            else:  # SPEC §11: after-sale and mid-sale both -> after-sale only
                self.result.add(agent, day, f"{kind}_consultations")
        attributed = self.attribute(inquiries)
        self.attributed = attributed
        self.inquiry_metrics(inquiries, attributed)

    def kind(self, buyer: str, first: int) -> str:
        """presale, aftersale or midsale (SPEC §4); after-sale wins when both hold (§11)."""
        lo = first - self.lookback
        mine = self.placed_of.get(buyer, [])
        if any(o.paid is not None and lo <= o.paid <= first for o in mine):
            return "aftersale"
        for o in mine:
            assert o.placed is not None
            if lo <= o.placed <= first:
                paid_by_then = o.paid is not None and o.paid <= first
                cancelled_by_then = o.cancelled is not None and o.cancelled <= first
                if not paid_by_then and not cancelled_by_then:
                    return "midsale"
        return "presale"

    def attribute(
        self, inquiries: dict[tuple[str, str, date], list[Msg]]
    ) -> dict[str, tuple[str, str, date] | None]:
        """order_id -> inquiry key (agent, buyer, day) or None (silent)."""
        out: dict[str, tuple[str, str, date] | None] = {}
        of_buyer: dict[str, list[tuple[tuple[str, str, date], list[Msg]]]] = {}
        for key, bmsgs in inquiries.items():
            of_buyer.setdefault(key[1], []).append((key, bmsgs))
        for o in self.placed:
            assert o.placed is not None
            best: tuple[int, str, tuple[str, str, date]] | None = None
            for key, bmsgs in of_buyer.get(o.buyer, []):
                for m in bmsgs:
                    if m.t <= o.placed and o.placed - m.t <= self.window:
                        # latest m wins; on equal m the smallest agent_id
                        cand = (m.t, key[0], key)
                        if (
                            best is None
                            or cand[0] > best[0]
                            or (cand[0] == best[0] and cand[1] < best[1])
                        ):
                            best = cand
            out[o.order_id] = None if best is None else best[2]
        return out

    def inquiry_metrics(
        self,
        inquiries: dict[tuple[str, str, date], list[Msg]],
        attributed: dict[str, tuple[str, str, date] | None],
    ) -> None:
        for key, bmsgs in inquiries.items():
            agent, _buyer, day = key
            mine = [self.orders[oid] for oid, k in attributed.items() if k == key]
            paid = [o for o in mine if o.paid is not None]
            self.result.add(agent, day, "inquiries")
            if mine:
                self.result.add(agent, day, "ordered_buyers")
            if paid:
                self.result.add(agent, day, "paid_buyers")
            elif self.watermark - bmsgs[-1].t > self.window:
                self.result.add(agent, day, "lost_inquiries")
            self.result.add(agent, day, "paid_orders", len(paid))
            self.result.add(agent, day, "sales_amount", sum_money(o.paid_amount for o in paid))
            self.result.add(agent, day, "refund_amount", sum_money(o.refunds for o in mine))
        for o in self.placed:
            assert o.placed is not None
            pday = self.day(o.placed)
            silent = attributed[o.order_id] is None
            self.result.add_shop(pday, "placed_orders")
            if silent:
                self.result.add_shop(pday, "silent_orders")
            if o.paid is not None:
                self.result.add_shop(pday, "paid_orders_total")
                self.result.add_shop(pday, "sales_total", o.paid_amount)
                if silent:
                    self.result.add_shop(pday, "silent_sales", o.paid_amount)

    # -- payment reminders ----------------------------------------------------------------

    def reminders(self) -> None:
        for o in self.placed:
            first = self.first_reminder(o)
            if first is None:
                continue
            assert first.agent is not None
            day = self.day(first.t)
            self.result.add(first.agent, day, "reminded_orders")
            if o.paid is not None:
                self.result.add(first.agent, day, "reminder_successes")

    def first_reminder(self, o: Order) -> Msg | None:
        if o.placed_by_paid or o.placed is None:
            return None
        cands = [
            m
            for m in self.agent_msgs_of.get(o.buyer, ())
            if o.placed < m.t
            and (o.paid is None or m.t < o.paid)
            and (o.cancelled is None or m.t < o.cancelled)
            and m.t - o.placed <= self.remind
        ]
        if not cands:
            return None
        return min(cands, key=lambda m: (m.t, m.agent or ""))

    # -- reviews (§11) -----------------------------------------------------------------------

    def review_metrics(self) -> None:
        latest: dict[str, Review] = {}
        for r in self.reviews:
            best = latest.get(r.order_id)
            if best is None or (r.t, r.event_id) > (best.t, best.event_id):
                latest[r.order_id] = r
        for order_id, r in latest.items():
            o = self.orders.get(order_id)
            if o is None or o.placed is None:
                continue  # never placed: counts nowhere
            day = self.day(r.t)
            self.result.add_shop(day, "reviews_total")
            if r.rating == "bad":
                self.result.add_shop(day, "bad_reviews_total")
            for key, score in r.dsr.items():
                self.result.add_shop(day, f"dsr_{key}_sum", score)
                self.result.add_shop(day, f"dsr_{key}_count")
            inquiry = self.attributed.get(order_id)
            if inquiry is not None:
                self.result.add(inquiry[0], day, "reviews")
                self.result.add(inquiry[0], day, f"{r.rating}_reviews")
            if r.rating == "good":
                for agent in self.agents:
                    nick = agent.split(":")[-1]
                    if char_count(nick) >= 2 and nick.casefold() in r.text.casefold():
                        self.result.add(agent, day, "review_mentions")


def sum_money(values: Iterable[Decimal]) -> Decimal:
    return sum(values, Decimal(0))
