"""The one table `make bench` prints: a row per measurement, medians over repeats."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass
class Row:
    name: str
    value: float | None
    unit: str
    note: str = ""


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)

    def add(self, name: str, value: float | None, unit: str, note: str = "") -> None:
        self.rows.append(Row(name, value, unit, note))
        print(f"  measured: {name}: {_fmt(value)} {unit} {note}", flush=True)

    def render(self) -> str:
        header = ("benchmark", "median", "unit", "notes")
        body = [(r.name, _fmt(r.value), r.unit, r.note) for r in self.rows]
        widths = [max(len(str(c)) for c in col) for col in zip(header, *body, strict=False)]
        line = "+".join("-" * (w + 2) for w in widths)

        def fmt(cells: tuple[str, ...]) -> str:
            return "|".join(
                f" {c:<{w}} " if i != 1 else f" {c:>{w}} "
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )

        return "\n".join([line, fmt(header), line, *(fmt(r) for r in body), line])


def median(values: list[float]) -> float:
    return statistics.median(values)


def _fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"
