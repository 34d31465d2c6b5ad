"""/v1/alert-rules: the shop's alert rules (SPEC §8) and their current state."""
