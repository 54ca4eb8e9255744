"""Figures of treadmill exposure: minutes per week, adherence, speed and incline progression."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import polars as pl

from toolkit.figures.style import (
    Trace,
    band,
    colour_map,
    empty_figure,
    grid,
    label,
    make_figure,
    on_axes,
    reference_line,
)

_MEASURE_TITLES = {
    "retro_minutes": "Retro (backward) minutes per week",
    "forward_minutes": "Forward minutes per week",
    "speed_mps": "Speed (m/s)",
    "incline_pct": "Incline (%)",
}


def _axis_titles(layout: dict[str, Any], count: int, x: str, y: str | None = None) -> None:
    for n in range(1, count + 1):
        suffix = "" if n == 1 else str(n)
        layout[f"xaxis{suffix}"].update({"title": {"text": x}, "dtick": 1})
    if y:
        layout["yaxis"]["title"] = {"text": y}


def _mean_with_band(
    rows: pl.DataFrame,
    *,
    name: str,
    group: str,
    axis: int,
    line: dict[str, Any],
    customdata: list[Any],
    hovertemplate: str,
) -> list[Trace]:
    """A weekly mean line (columns study_week, mean) over its CI band (ci_low, ci_high)."""
    banded = rows.filter(pl.col("ci_low").is_not_null())
    return [
        band(banded["study_week"], banded["ci_low"], banded["ci_high"],
             colour=line["color"], group=group, axis=axis),
        {
            "type": "scatter",
            "x": rows["study_week"].to_list(),
            "y": rows["mean"].to_list(),
            "mode": "lines+markers",
            "name": name,
            "legendgroup": group,
            "showlegend": axis == 1,
            "line": line,
            "customdata": customdata,
            "hovertemplate": hovertemplate,
            **on_axes(axis),
        },
    ]  # fmt: skip


def figure_weekly_minutes(summary: pl.DataFrame) -> go.Figure:
    """Mean retro and forward minutes per study week by arm, with CI bands (from
    ``summaries.weekly_minutes``: columns arm, measure, study_week, mean, ci_low, ci_high, n;
    or ``toolkit.stats.exposure_summary`` itself, which names arm and measure ``group`` and
    ``variable``)."""
    if summary.height == 0:
        return empty_figure("No exposure data in this cohort")
    if "variable" in summary.columns:
        summary = summary.rename({"group": "arm", "variable": "measure"})
    measures = [m for m in ("retro_minutes", "forward_minutes") if m in set(summary["measure"])]
    layout = grid(1, len(measures), titles=[_MEASURE_TITLES[m] for m in measures], shared_y=True)
    traces: list[Trace] = []
    colours = colour_map(summary["arm"])
    for axis, measure in enumerate(measures, start=1):
        for arm, colour in colours.items():
            rows = summary.filter((pl.col("arm") == arm) & (pl.col("measure") == measure)).sort(
                "study_week"
            )
            if rows.height == 0:
                continue
            traces += _mean_with_band(
                rows,
                name=label(arm),
                group=arm,
                axis=axis,
                line={"color": colour},
                customdata=rows.select("ci_low", "ci_high", "n").rows(),
                hovertemplate=(
                    "week %{x}: %{y:.1f} min (95% CI %{customdata[0]:.1f} to "
                    "%{customdata[1]:.1f}; n=%{customdata[2]})<extra>" + label(arm) + "</extra>"
                ),
            )
    _axis_titles(layout, len(measures), "study week", "minutes per participant (mean, 95% CI)")
    return make_figure(traces, layout, title="Minutes walked per week, by arm")


def figure_adherence(adherence: pl.DataFrame) -> go.Figure:
    """Distribution of participants' mean weekly adherence, overlaid by arm (from
    ``summaries.adherence_by_participant``); 100% means the prescription was met."""
    if adherence.height == 0:
        return empty_figure("No participants with a walking prescription in this cohort")
    traces: list[Trace] = []
    for arm, colour in colour_map(adherence["arm"]).items():
        rows = adherence.filter(pl.col("arm") == arm)
        traces.append(
            {
                "type": "histogram",
                "x": (rows["mean_adherence"] * 100).to_list(),
                "name": label(arm),
                "marker": {"color": colour},
                "opacity": 0.65,
                "xbins": {"start": 0, "size": 10},
                "hovertemplate": "%{x}%: %{y} participants<extra>" + label(arm) + "</extra>",
            }
        )
    layout = {
        "barmode": "overlay",
        "xaxis": {"title": {"text": "mean weekly adherence (% of prescribed minutes)"}},
        "yaxis": {"title": {"text": "participants"}},
        "shapes": [reference_line(x=100)],
        "annotations": [
            {"text": "prescription met", "x": 100, "y": 1, "xref": "x", "yref": "paper",
             "showarrow": False, "xanchor": "left", "yanchor": "top"}
        ],
    }  # fmt: skip
    return make_figure(traces, layout, title="Adherence to the walking prescription")


def figure_progression(progression: pl.DataFrame) -> go.Figure:
    """Speed and incline per study week by arm and walking direction, mean with CI bands (from
    ``summaries.progression``); solid lines backward, dotted forward."""
    if progression.height == 0:
        return empty_figure("No treadmill sessions in this cohort")
    measures = ["speed_mps", "incline_pct"]
    layout = grid(1, 2, titles=[_MEASURE_TITLES[m] for m in measures])
    traces: list[Trace] = []
    colours = colour_map(progression["arm"])
    for axis, measure in enumerate(measures, start=1):
        for arm, colour in colours.items():
            for direction in ("backward", "forward"):
                rows = progression.filter(
                    (pl.col("arm") == arm)
                    & (pl.col("measure") == measure)
                    & (pl.col("direction") == direction)
                ).sort("study_week")
                if rows.height == 0:
                    continue
                name = f"{label(arm)}, {direction}"
                traces += _mean_with_band(
                    rows,
                    name=name,
                    group=name,
                    axis=axis,
                    line={"color": colour, "dash": "solid" if direction == "backward" else "dot"},
                    customdata=rows["n"].to_list(),
                    hovertemplate="week %{x}: %{y:.2f} (n=%{customdata})<extra>"
                    + name
                    + "</extra>",
                )
    _axis_titles(layout, 2, "study week")
    return make_figure(
        traces, layout, title="Speed and incline progression (participant weekly means)"
    )
