"""Review work (SPEC §11): the causes a manager marks lost inquiries and bad reviews with.

Marks are the manager's words about the daily lists, never derived from events: no
number depends on them, and scoring never reads them.
"""

from __future__ import annotations

from typing import Literal, get_args

Cause = Literal["price", "stock", "slow_reply", "attitude", "product", "logistics", "other"]
CAUSES: tuple[Cause, ...] = get_args(Cause)

# 中文 and English labels, in CAUSES order (for lists, summaries and the console).
CAUSE_LABELS: dict[Cause, tuple[str, str]] = {
    "price": ("价格", "price"),
    "stock": ("缺货", "out of stock"),
    "slow_reply": ("回复慢", "slow reply"),
    "attitude": ("服务态度", "attitude"),
    "product": ("商品问题", "product"),
    "logistics": ("物流", "logistics"),
    "other": ("其他", "other"),
}

MAX_NOTE = 2000  # characters of a mark's note
