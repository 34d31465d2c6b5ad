"""The HTTP API: the shop API (/v1), the operator's /admin, health and Prometheus metrics."""
