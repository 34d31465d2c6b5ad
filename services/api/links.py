"""Links between resources (inquiries and violations point at transcripts)."""

from __future__ import annotations

from domain.links import transcript_url

__all__ = ["transcript_url"]
