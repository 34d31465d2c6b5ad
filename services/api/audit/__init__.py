"""/admin/audit: the audit trail of admin actions (append-only; issue #18)."""
