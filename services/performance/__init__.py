"""Performance management (SPEC §7), the pure core: periods, targets, bonus plans,
honour levels, leaderboards, group and mentor rollups.

No SQL and no I/O here: every function takes plain data (summed AgentDayParts per agent
and period) and returns plain data. services/api/performance is the shell that reads
agent_daily and stores plans.
"""
