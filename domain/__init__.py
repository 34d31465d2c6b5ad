"""The shared domain: what every service means by a shop, its settings and its numbers.

- `settings`: shop settings (SPEC §3), `qa_rules`: QA rule configuration (SPEC §6);
- `days`: local calendar days in a shop's time zone;
- `parts`: the additive per-agent and per-shop day parts the rollups store (SPEC §5);
- `catalogue`: every metric, defined once — labels, kind, unit, direction, formula over
  the parts, default sample — and its one exact evaluator (`metrics`).

Pure: no SQL, no Kafka, no I/O. Every service imports it; it imports no service. The
derivation rules (sessions, attribution, QA…) stay in services/scoring/core.
"""
