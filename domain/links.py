"""Links between resources that more than one service writes (API responses, webhooks)."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote


def transcript_url(buyer_id: str, start: date, end: date) -> str:
    """The buyer's transcript over local days [start, end] (GET /v1/buyers/{id}/transcript)."""
    return f"/v1/buyers/{quote(buyer_id, safe='')}/transcript?from={start}&to={end}"
