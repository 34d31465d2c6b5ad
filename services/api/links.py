"""Links between resources (inquiries and violations point at transcripts)."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote


def transcript_url(buyer_id: str, start: date, end: date) -> str:
    return f"/v1/buyers/{quote(buyer_id, safe='')}/transcript?from={start}&to={end}"
