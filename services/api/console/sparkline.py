"""Inline SVG sparklines and bar charts: points computed here, drawn by the templates."""

from __future__ import annotations

from collections.abc import Sequence

WIDTH, HEIGHT = 112, 24


def points(values: Sequence[float | None], width: int = WIDTH, height: int = HEIGHT) -> str:
    """SVG polyline points of the values (None: no point); "" when none is known."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    lo, hi = min(known), max(known)
    span = (hi - lo) or 1.0
    step = width / max(len(values) - 1, 1)
    out = []
    for i, v in enumerate(values):
        if v is None:
            continue
        y = height - 2 - (v - lo) / span * (height - 4)
        out.append(f"{i * step:.1f},{y:.1f}")
    if len(out) == 1:  # one known day: a short dash, so it shows
        x, y_text = out[0].split(",")
        out.append(f"{float(x) + 3:.1f},{y_text}")
    return " ".join(out)


def bars(values: Sequence[float | None], height: int = 60) -> list[float]:
    """Bar heights (0 … height) of non-negative values, None as 0."""
    known = [v for v in values if v is not None]
    top = max(known, default=0.0) or 1.0
    return [0.0 if v is None else max(v, 0.0) / top * height for v in values]
