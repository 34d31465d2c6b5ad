"""Performance management on the shop API (SPEC §7): targets, bonus plans and computed
bonuses, honour level plans and computed levels, leaderboards, mentor views.

The arithmetic lives in services/performance (pure); this package stores plans, sums
agent_daily rows per agent and period, and shapes the JSON. Routers: `routers.ROUTERS`.
"""
