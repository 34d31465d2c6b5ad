"""The catalogue as the API lists it (no SQL: it is the code's own definition)."""

from __future__ import annotations

from domain.catalogue import CATALOGUE, Metric

from .schemas import MetricDefinition


def definition(metric: Metric) -> MetricDefinition:
    return MetricDefinition(
        name=metric.name,
        label_zh=metric.zh,
        label_en=metric.en,
        kind=metric.kind,
        unit=metric.unit,
        direction=metric.direction,
        scope=metric.scope,
        formula=metric.formula.text(),
        parts=list(metric.formula.parts),
        sample_metric=metric.sample,
        in_rows=metric.in_rows,
        definition=metric.definition,
    )


DEFINITIONS: tuple[MetricDefinition, ...] = tuple(definition(m) for m in CATALOGUE.values())


def page(offset: int, limit: int) -> tuple[list[MetricDefinition], int | None]:
    """The definitions from `offset` in catalogue order, and the next offset (None: end)."""
    end = offset + limit
    return list(DEFINITIONS[offset:end]), end if end < len(DEFINITIONS) else None
