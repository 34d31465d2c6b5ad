"""A leaderboard as a file: every standing (no pages), the metric's columns in its format."""

from __future__ import annotations

from typing import Literal

from ...exports.columns import field_column, named_column
from ...exports.report import Report, listed, rows_of
from .schemas import LeaderboardOut

TITLES = {"best": ("排行榜", "leaderboard"), "most_improved": ("进步最快", "most improved")}


def board_report(board: LeaderboardOut, kind: Literal["best", "most_improved"]) -> Report:
    metric = board.metric
    columns = (
        field_column("rank", "integer"),
        field_column("agent_id"),
        named_column(metric, "value"),
        named_column(board.sample_metric, "sample", zh="样本·", en="sample: "),
        named_column(metric, "previous_value", zh="上期·", en="previous: "),
        field_column("previous_rank", "integer"),
        named_column(metric, "change", zh="变化·", en="change: "),
        named_column(metric, "improvement", zh="进步·", en="improvement: "),
    )
    zh, en = TITLES[kind]
    return Report(
        name=f"leaderboard-{kind.replace('_', '-')}-{metric}",
        title_zh=zh,
        title_en=en,
        period=board.period,
        columns=columns,
        rows=rows_of(columns, listed(s.model_dump() for s in board.items)),
    )
