"""Performance management on the shop API (SPEC §7): targets, bonus plans and computed
bonuses, honour level plans and computed levels, leaderboards, mentor views.

The arithmetic lives in services/performance (pure); this package stores plans, reads
agent_daily sums (shared/rollup_reader.py) and shapes the answers. One feature per
folder, each endpoints.py / schemas.py / service.py (and repository.py where it has SQL
of its own): targets/, plans/ (bonus and honour plans, their computed bonuses and
levels), boards/ (leaderboards, mentor views; no SQL of their own). params.py holds what
they share. Routers: `routers.ROUTERS`.
"""
