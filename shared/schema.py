"""SQLAlchemy Core tables: how the code names the schema that migrations/ creates.

Migrations are the only way the schema changes; a test compares this module with the
migrated database so the two cannot drift. Every table is keyed by shop_id first so that
it can be distributed by shop (Citus); `consumer_offsets` and `rescore_jobs`' progress are
pipeline state, keyed by consumer group and shop respectively.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from domain.parts import AgentDayParts, ShopDayParts

metadata = MetaData()

MONEY = Numeric(16, 2)


def _now() -> Column:  # type: ignore[type-arg]
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


shops = Table(
    "shops",
    metadata,
    Column("shop_id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("settings", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("qa_rules", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # Greatest sent_at/occurred_at over all valid events of the shop (SPEC §4).
    Column("watermark", DateTime(timezone=True)),
    _now(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Bumped (shared.rollup_version) by every transaction that changes what /v1/metrics
    # returns for the shop: the API's response cache is keyed by it (0004).
    Column("rollup_version", BigInteger, nullable=False, server_default="0"),
    # Every raw event of the shop with a smaller ingest_xid has been seen by the derivation
    # of each buyer it touches (scoring's catch-up from the raw tables moves it, 0006).
    Column("raw_covered_xid", BigInteger, nullable=False, server_default="0"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("key_id", Text, nullable=False),
    Column("name", Text, nullable=False, server_default=""),
    Column("prefix", Text, nullable=False),
    # SHA-256 of the whole key: keys are random 256-bit secrets, so no slow hash is needed.
    Column("key_hash", LargeBinary, nullable=False),
    _now(),
    Column("revoked_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("shop_id", "key_id"),
    Index("ix_api_keys_key_hash", "key_hash", unique=True),
)

agents = Table(
    "agents",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("agent_id", Text, nullable=False),
    Column("display_name", Text),
    Column("group_name", Text),
    Column("mentor_id", Text),
    Column("first_seen_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("shop_id", "agent_id"),
)

_XID = text("(pg_current_xact_id()::text::bigint)")


def _source_columns() -> list[Column]:  # type: ignore[type-arg]
    return [
        Column("src_topic", Text, nullable=False),
        Column("src_partition", Integer, nullable=False),
        Column("src_offset", BigInteger, nullable=False),
        Column("ingested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        # The storing transaction's 64-bit id: scoring's catch-up finds what it has not
        # yet covered by it (services/scoring/catch_up.py, 0006).
        Column("ingest_xid", BigInteger, nullable=False, server_default=_XID),
    ]


chat_messages = Table(
    "chat_messages",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("buyer_id", Text, nullable=False),
    Column("agent_id", Text),
    Column("sender", Text, nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("msg_type", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("message_id", Text),
    Column("body", JSONB, nullable=False),
    *_source_columns(),
    PrimaryKeyConstraint("shop_id", "event_id"),
    Index("ix_chat_messages_buyer_timeline", "shop_id", "buyer_id", "sent_at"),
    Index("ix_chat_messages_shop_time", "shop_id", "sent_at"),
    Index("ix_chat_messages_ingested_at", "ingested_at"),  # /admin/pipeline events/s (0004)
    Index("ix_chat_messages_ingest_xid", "shop_id", "ingest_xid"),  # scoring's catch-up (0006)
)

order_events = Table(
    "order_events",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("order_id", Text, nullable=False),
    Column("buyer_id", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("amount", MONEY),
    Column("body", JSONB, nullable=False),
    *_source_columns(),
    PrimaryKeyConstraint("shop_id", "event_id"),
    Index("ix_order_events_buyer_timeline", "shop_id", "buyer_id", "occurred_at"),
    Index("ix_order_events_order", "shop_id", "order_id"),
    Index("ix_order_events_shop_time", "shop_id", "occurred_at"),
    Index("ix_order_events_ingested_at", "ingested_at"),  # /admin/pipeline events/s (0004)
    Index("ix_order_events_ingest_xid", "shop_id", "ingest_xid"),  # scoring's catch-up (0006)
)

review_events = Table(
    "review_events",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("order_id", Text, nullable=False),
    Column("buyer_id", Text, nullable=False),  # kept: the review belongs to the order
    Column("posted_at", DateTime(timezone=True), nullable=False),
    Column("rating", Text, nullable=False),  # good | neutral | bad
    Column("text", Text, nullable=False),
    # DSR scores 1-5, null when the buyer gave none (SPEC §11).
    Column("dsr_item", SmallInteger),
    Column("dsr_service", SmallInteger),
    Column("dsr_logistics", SmallInteger),
    Column("body", JSONB, nullable=False),
    *_source_columns(),
    PrimaryKeyConstraint("shop_id", "event_id"),
    Index("ix_review_events_order", "shop_id", "order_id"),
    Index("ix_review_events_shop_time", "shop_id", "posted_at"),
    Index("ix_review_events_ingested_at", "ingested_at"),
    Index("ix_review_events_ingest_xid", "shop_id", "ingest_xid"),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    # The shop the event claims ('' when unreadable): unknown shops replay by this.
    Column("shop_id", Text, nullable=False),
    Column("id", BigInteger, nullable=False, autoincrement=True),
    Column("reason", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("event_id", Text),
    Column("raw", LargeBinary, nullable=False),
    Column("src_topic", Text, nullable=False),
    Column("src_partition", Integer, nullable=False),
    Column("src_offset", BigInteger, nullable=False),
    _now(),
    Column("replayed_at", DateTime(timezone=True)),
    Column("replay_result", Text),
    PrimaryKeyConstraint("shop_id", "id"),
    Index(
        "ix_dead_letters_source", "src_topic", "src_partition", "src_offset", "reason", unique=True
    ),
    Index("ix_dead_letters_reason_time", "reason", "created_at"),
)

consumer_offsets = Table(
    "consumer_offsets",
    metadata,
    Column("group_id", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("next_offset", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The topic id of the log the position belongs to (shared/kafka_logs.py, 0006). Scoring
    # keeps its positions here; ingest commits them in Kafka and writes its row when it
    # starts reading a log (next_offset: where it started).
    Column("log_id", Text),
    PrimaryKeyConstraint("group_id", "topic", "partition"),
)

# --- scoring results (services/scoring writes, services/api reads) -------------------


def _zero_int(name: str) -> Column:  # type: ignore[type-arg]
    return Column(name, BigInteger, nullable=False, server_default="0")


def _zero_money(name: str) -> Column:  # type: ignore[type-arg]
    return Column(name, MONEY, nullable=False, server_default="0")


def _part_columns(parts: type[AgentDayParts] | type[ShopDayParts]) -> list[Column]:  # type: ignore[type-arg]
    """One column per additive part (domain/parts.py), named as the part: counts bigint,
    money numeric. The migrations create the same columns (a test compares them)."""
    return [
        _zero_money(name) if name in parts.DECIMAL_FIELDS else _zero_int(name)
        for name in parts.FIELDS
    ]


agent_daily = Table(
    "agent_daily",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("day", Date, nullable=False),
    Column("agent_id", Text, nullable=False),
    *_part_columns(AgentDayParts),
    PrimaryKeyConstraint("shop_id", "day", "agent_id"),
    Index("ix_agent_daily_agent", "shop_id", "agent_id", "day"),
)

shop_daily = Table(
    "shop_daily",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("day", Date, nullable=False),
    *_part_columns(ShopDayParts),
    PrimaryKeyConstraint("shop_id", "day"),
)

# Every response_seconds of an agent's day (question's day) and of its first responses:
# sorted little-endian int64 microseconds (domain/spread.py), merged at read time into
# exact percentiles (docs/percentiles.md). Absent when the agent had no response that day.
# An agent-day is the sum of its parts: 0 settled, 1 recent additions
# (services/scoring/response_parts.py).
agent_responses = Table(
    "agent_responses",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("day", Date, nullable=False),
    Column("agent_id", Text, nullable=False),
    Column("response_us", LargeBinary, nullable=False),
    Column("first_response_us", LargeBinary, nullable=False),
    Column("part", SmallInteger, nullable=False, server_default="0"),
    PrimaryKeyConstraint("shop_id", "day", "agent_id", "part"),
)

buyer_state = Table(
    "buyer_state",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("buyer_id", Text, nullable=False),
    # Re-derive this buyer once the shop watermark passes wake_at (a session closes, an
    # inquiry turns lost); null when only new events can change it.
    Column("wake_at", DateTime(timezone=True)),
    # The buyer's last contributions to agent_daily/shop_daily, to apply differences.
    Column("contributions", JSONB, nullable=False),
    Column("derived_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("shop_id", "buyer_id"),
    Index("ix_buyer_state_wake", "shop_id", "wake_at"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("buyer_id", Text, nullable=False),
    Column("agent_id", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=False),
    Column("day", Date, nullable=False),
    Column("closed", Boolean, nullable=False),
    Column("buyer_messages", Integer, nullable=False),
    Column("agent_messages", Integer, nullable=False),
    Column("qa_score", Integer),
    # Questions with their responses: [{question, response, response_us}], for transcripts.
    Column("responses", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    PrimaryKeyConstraint("shop_id", "buyer_id", "agent_id", "started_at"),
    Index("ix_sessions_day_agent", "shop_id", "day", "agent_id"),
)

violations = Table(
    "violations",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("buyer_id", Text, nullable=False),
    Column("agent_id", Text, nullable=False),
    Column("session_started_at", DateTime(timezone=True), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("day", Date, nullable=False),
    Column("rule", Text, nullable=False),
    Column("message_event_id", Text),
    Column("occurrences", Integer, nullable=False),
    Column("penalty", Integer, nullable=False),
    Column("detail", Text),
    PrimaryKeyConstraint("shop_id", "buyer_id", "agent_id", "session_started_at", "seq"),
    Index("ix_violations_day_rule", "shop_id", "day", "rule"),
)

inquiries = Table(
    "inquiries",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("buyer_id", Text, nullable=False),
    Column("agent_id", Text, nullable=False),
    Column("day", Date, nullable=False),
    # presale (an inquiry), aftersale or midsale: every consultation is kept.
    Column("kind", Text, nullable=False),
    # ordered / converted / lost / pending for inquiries; null for other consultations.
    Column("status", Text),
    Column("first_buyer_at", DateTime(timezone=True), nullable=False),
    Column("last_buyer_at", DateTime(timezone=True), nullable=False),
    Column("order_ids", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    PrimaryKeyConstraint("shop_id", "buyer_id", "agent_id", "day"),
    Index("ix_inquiries_status_day", "shop_id", "status", "day"),
)

order_reviews = Table(
    "order_reviews",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("buyer_id", Text, nullable=False),  # the order's buyer (derived per buyer)
    Column("order_id", Text, nullable=False),
    Column("event_id", Text, nullable=False),  # the review that counts: the latest
    Column("posted_at", DateTime(timezone=True), nullable=False),
    Column("day", Date, nullable=False),  # local day of posted_at
    Column("rating", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("dsr_item", SmallInteger),
    Column("dsr_service", SmallInteger),
    Column("dsr_logistics", SmallInteger),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    Column("agent_id", Text),  # the service agent; null for a silent order
    Column("inquiry_day", Date),
    Column("mentions", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    PrimaryKeyConstraint("shop_id", "buyer_id", "order_id"),
    Index("ix_order_reviews_order", "shop_id", "order_id"),
    Index("ix_order_reviews_rating_day", "shop_id", "rating", "day"),
)

rescore_jobs = Table(
    "rescore_jobs",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("job_id", Text, nullable=False),
    Column("status", Text, nullable=False),  # queued, running, done, failed
    Column("buyers_total", BigInteger, nullable=False, server_default="0"),
    Column("buyers_done", BigInteger, nullable=False, server_default="0"),
    Column("events_total", BigInteger, nullable=False, server_default="0"),
    Column("events_done", BigInteger, nullable=False, server_default="0"),
    Column("error", Text),
    _now(),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("shop_id", "job_id"),
    # At most one queued or running job per shop (0004).
    Index(
        "ix_rescore_jobs_one_active",
        "shop_id",
        unique=True,
        postgresql_where=text("status IN ('queued', 'running')"),
    ),
)

# --- alerts and webhooks (services/alerts, services/webhooks; migration 0002) --------


def _ts(name: str, *, default: bool = False) -> Column:  # type: ignore[type-arg]
    """A timestamptz column; `default` = NOT NULL DEFAULT now(), otherwise nullable."""
    if default:
        return Column(name, DateTime(timezone=True), nullable=False, server_default=func.now())
    return Column(name, DateTime(timezone=True))


alert_rules = Table(
    "alert_rules",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("rule_id", Text, nullable=False),
    Column("name", Text, nullable=False, server_default=""),
    Column("scope", Text, nullable=False),  # agent | shop
    Column("agent_id", Text),  # scope agent: one agent, or null = every agent
    Column("metric", Text, nullable=False),  # a SPEC §5 name
    Column("comparison", Text, nullable=False),  # lt | lte | gt | gte
    Column("threshold", Numeric, nullable=False),
    Column("time_window", Text, nullable=False),  # today | last_7_days (API name: window)
    Column("min_sample", BigInteger, nullable=False, server_default="0"),
    Column("sample_metric", Text),  # null = the metric's natural sample (its denominator)
    Column("cooldown_seconds", BigInteger, nullable=False, server_default="3600"),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    _now(),
    _ts("updated_at", default=True),
    PrimaryKeyConstraint("shop_id", "rule_id"),
)

# Last judgement per rule and scope ('shop' or 'agent:<agent_id>'), for edge triggering.
alert_state = Table(
    "alert_state",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("rule_id", Text, nullable=False),
    Column("scope_key", Text, nullable=False),
    Column("breached", Boolean, nullable=False),
    Column("value", Numeric),
    Column("sample", BigInteger),
    _ts("last_breached_at"),
    _ts("last_resolved_at"),
    _ts("updated_at", default=True),
    PrimaryKeyConstraint("shop_id", "rule_id", "scope_key"),
)

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("subscription_id", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("event_types", JSONB, nullable=False),  # ["alert.breached", ...]
    Column("description", Text, nullable=False, server_default=""),
    # whsec_<base64>; kept in clear because HMAC signing needs it (like any webhook sender).
    Column("secret", Text, nullable=False),
    # After a rotation the old secret also signs until previous_secret_expires_at (24 h).
    Column("previous_secret", Text),
    _ts("previous_secret_expires_at"),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    _now(),
    _ts("updated_at", default=True),
    PrimaryKeyConstraint("shop_id", "subscription_id"),
)

# The outbox: one row per event, written in the transaction of the change that caused it.
webhook_events = Table(
    "webhook_events",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("data", JSONB, nullable=False),
    _now(),
    PrimaryKeyConstraint("shop_id", "event_id"),
    Index("ix_webhook_events_type_time", "shop_id", "type", "created_at"),
)

# One per (event x subscription); the dispatcher claims due rows with FOR UPDATE SKIP LOCKED
# and a lease (lease_until/lease_token) so that concurrent dispatchers never share one.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("delivery_id", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("subscription_id", Text, nullable=False),
    Column("status", Text, nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    _ts("next_attempt_at", default=True),
    # Retry until then: set at the first attempt (and reset by a redelivery) to now + 24 h,
    # so that a dispatcher outage does not eat into a delivery's retry window.
    _ts("expires_at"),
    _ts("lease_until"),
    Column("lease_token", Text),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    _now(),
    _ts("updated_at", default=True),
    _ts("finished_at"),
    PrimaryKeyConstraint("shop_id", "delivery_id"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_event", "shop_id", "event_id", "subscription_id", unique=True),
    Index("ix_webhook_deliveries_list", "shop_id", "created_at", "delivery_id"),
    # The dispatcher's fair claim (claims.py): one subscription's due rows, its leased
    # rows; and the clean-up of delivered rows (0011).
    Index(
        "ix_webhook_deliveries_sub_due",
        "shop_id",
        "subscription_id",
        "next_attempt_at",
        postgresql_where=text("status = 'pending'"),
    ),
    Index(
        "ix_webhook_deliveries_leased",
        "shop_id",
        "subscription_id",
        postgresql_where=text("lease_until IS NOT NULL"),
    ),
    Index(
        "ix_webhook_deliveries_delivered",
        "finished_at",
        postgresql_where=text("status = 'delivered'"),
    ),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("delivery_id", Text, nullable=False),
    Column("attempt_no", Integer, nullable=False),
    _ts("started_at", default=True),
    _ts("finished_at"),  # null while in flight (or if the dispatcher died mid-attempt)
    Column("duration_ms", Integer),
    Column("status_code", Integer),
    Column("error", Text),
    PrimaryKeyConstraint("shop_id", "delivery_id", "attempt_no"),
)

# --- performance management (services/performance, services/api/performance; 0003) -----

# One target per agent, period and metric (SPEC §7); `period` is a label: 2026-W46, 2026-11.
targets = Table(
    "targets",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("target_id", Text, nullable=False),
    Column("agent_id", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("metric", Text, nullable=False),
    Column("comparison", Text, nullable=False),  # >= > <= < ==
    Column("value", Numeric, nullable=False),
    _now(),
    _ts("updated_at", default=True),
    PrimaryKeyConstraint("shop_id", "target_id"),
    Index("ix_targets_agent_period_metric", "shop_id", "agent_id", "period", "metric", unique=True),
    Index("ix_targets_list", "shop_id", "created_at", "target_id"),
)

# Tiered bonus plans; `definition` holds tiers, step, deductions, min_sample, baseline
# (services/api/performance/schemas.BonusPlanIn, validated by the pure core).
bonus_plans = Table(
    "bonus_plans",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("plan_id", Text, nullable=False),
    Column("name", Text, nullable=False, server_default=""),
    Column("metric", Text, nullable=False),
    Column("period", Text, nullable=False),  # week | month
    Column("definition", JSONB, nullable=False),
    _now(),
    _ts("updated_at", default=True),
    PrimaryKeyConstraint("shop_id", "plan_id"),
    Index("ix_bonus_plans_list", "shop_id", "created_at", "plan_id"),
)

# Honour level plans (铜牌/银牌/金牌/钻石): `levels` lowest first, each with requirements.
honour_plans = Table(
    "honour_plans",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("plan_id", Text, nullable=False),
    Column("name", Text, nullable=False, server_default=""),
    Column("period", Text, nullable=False),  # week | month
    Column("levels", JSONB, nullable=False),
    _now(),
    _ts("updated_at", default=True),
    PrimaryKeyConstraint("shop_id", "plan_id"),
    Index("ix_honour_plans_list", "shop_id", "created_at", "plan_id"),
)

# --- review work (SPEC §11; services/api/review_marks; 0008) ---------------------------
# The manager's marks on the daily lists: never derived, never touched by scoring or a
# rescore (which rebuild the inquiries and reviews the marks point at).


def _mark_columns() -> list[Column]:  # type: ignore[type-arg]
    return [
        Column("cause", Text),  # domain.review_work.CAUSES, or null: none given yet
        Column("note", Text, nullable=False, server_default=""),
        Column("reviewed", Boolean, nullable=False, server_default=text("false")),
        _now(),
        _ts("updated_at", default=True),
    ]


# One per inquiry, keyed as `inquiries` is.
lost_inquiry_marks = Table(
    "lost_inquiry_marks",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("buyer_id", Text, nullable=False),
    Column("agent_id", Text, nullable=False),
    Column("day", Date, nullable=False),
    *_mark_columns(),
    PrimaryKeyConstraint("shop_id", "buyer_id", "agent_id", "day"),
)

# One per order: it stays with the order when the order's review changes.
bad_review_marks = Table(
    "bad_review_marks",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("order_id", Text, nullable=False),
    *_mark_columns(),
    PrimaryKeyConstraint("shop_id", "order_id"),
)


# --- notices and the audit trail (0011) ----------------------------------------------

# One per violation identity ever notified (SPEC §8): (shop, rule, message, occurrence).
# message_key is the message's event_id, or "session:<agent>:<start>" for a rule judged on
# the whole session (min_emojis). state: notified | withdrawn; generation counts the times
# a withdrawn violation appeared again (each a new notice).
qa_notices = Table(
    "qa_notices",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("rule", Text, nullable=False),
    Column("message_key", Text, nullable=False),
    Column("occurrence", Integer, nullable=False),
    Column("buyer_id", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("generation", Integer, nullable=False, server_default="0"),
    Column("data", JSONB, nullable=False),
    _ts("updated_at", default=True),
    PrimaryKeyConstraint("shop_id", "rule", "message_key", "occurrence"),
    Index("ix_qa_notices_buyer", "shop_id", "buyer_id"),
)

# Append-only (a trigger refuses UPDATE and DELETE): every admin action that changed
# something, with who, when, what and the before/after. shop_id "" = not a shop's.
admin_audit = Table(
    "admin_audit",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("audit_id", BigInteger, Identity(always=True), nullable=False),
    _ts("at", default=True),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("before", JSONB),
    Column("after", JSONB),
    PrimaryKeyConstraint("shop_id", "audit_id"),
    Index("ix_admin_audit_time", "at", "audit_id"),
)


# --- manager console (services/api/console; 0013) ---------------------------------------

# People who sign in to /console: a manager sees the shop, an agent only its agent_id.
console_users = Table(
    "console_users",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("email", Text, nullable=False),  # stored lower-cased; unique across shops
    Column("display_name", Text, nullable=False),
    Column("role", Text, nullable=False),  # manager | agent
    Column("agent_id", Text),
    Column("password_hash", Text, nullable=False),  # argon2id (argon2-cffi)
    _now(),
    PrimaryKeyConstraint("shop_id", "user_id"),
    Index("ix_console_users_email", "email", unique=True),
)

# A signed-in browser: the cookie holds the token, this table its SHA-256.
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("token_hash", LargeBinary, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("csrf_token", Text, nullable=False),
    _now(),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("shop_id", "token_hash"),
    Index("ix_console_sessions_token_hash", "token_hash", unique=True),
)


# Raw-event retention (migration 0012): one row per purge of a shop
# (services/scoring/retention.py); GET /admin/pipeline shows the latest per shop.
raw_purges = Table(
    "raw_purges",
    metadata,
    Column("shop_id", Text, nullable=False),
    Column("id", BigInteger, Identity(), nullable=False),
    Column("purged_at", DateTime(timezone=True), nullable=False),
    Column("before", DateTime(timezone=True), nullable=False),
    Column("buyers", Integer, nullable=False),
    Column("chat_rows", BigInteger, nullable=False),
    Column("order_rows", BigInteger, nullable=False),
    Column("review_rows", BigInteger, nullable=False),
    PrimaryKeyConstraint("shop_id", "id"),
    Index("ix_raw_purges_latest", "shop_id", "purged_at"),
)
