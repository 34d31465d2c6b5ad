"""Outgoing webhooks (SPEC §8): the outbox writer, Standard Webhooks signing, the SSRF
guard, the retry schedule and the dispatcher process (`python -m services.webhooks`)."""
