"""Figures of treadmill exposure: minutes per week, adherence, speed and incline progression."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from toolkit.figures.style import add_band, colour_map, empty_figure, finish, label

_MEASURE_TITLES = {
    "retro_minutes": "Retro (backward) minutes per week",
    "forward_minutes": "Forward minutes per week",
    "speed_mps": "Speed (m/s)",
    "incline_pct": "Incline (%)",
}


def figure_weekly_minutes(summary: pl.DataFrame) -> go.Figure:
    """Mean retro and forward minutes per study week by arm, with CI bands (from
    ``summaries.weekly_minutes``)."""
    if summary.height == 0:
        return empty_figure("No exposure data in this cohort")
    measures = [m for m in _MEASURE_TITLES if m in set(summary["measure"])]
    fig = make_subplots(
        rows=1,
        cols=len(measures),
        subplot_titles=[_MEASURE_TITLES[m] for m in measures],
        shared_yaxes=True,
    )
    colours = colour_map(summary["arm"])
    for col, measure in enumerate(measures, start=1):
        for arm, colour in colours.items():
            rows = summary.filter((pl.col("arm") == arm) & (pl.col("measure") == measure)).sort(
                "study_week"
            )
            if rows.height == 0:
                continue
            banded = rows.filter(pl.col("ci_low").is_not_null())
            add_band(
                fig,
                banded["study_week"],
                banded["ci_low"],
                banded["ci_high"],
                colour=colour,
                group=arm,
                row=1,
                col=col,
            )
            fig.add_trace(
                go.Scatter(
                    x=rows["study_week"].to_list(),
                    y=rows["mean"].to_list(),
                    mode="lines+markers",
                    name=label(arm),
                    legendgroup=arm,
                    showlegend=col == 1,
                    line={"color": colour},
                    customdata=rows.select("ci_low", "ci_high", "n").rows(),
                    hovertemplate=(
                        "week %{x}: %{y:.1f} min (95% CI %{customdata[0]:.1f} to "
                        "%{customdata[1]:.1f}; n=%{customdata[2]})<extra>" + label(arm) + "</extra>"
                    ),
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(title_text="study week", dtick=1, row=1, col=col)
    fig.update_yaxes(title_text="minutes per participant (mean, 95% CI)", row=1, col=1)
    return finish(fig, title="Minutes walked per week, by arm")


def figure_adherence(adherence: pl.DataFrame) -> go.Figure:
    """Distribution of participants' mean weekly adherence, overlaid by arm (from
    ``summaries.adherence_by_participant``); 100% means the prescription was met."""
    if adherence.height == 0:
        return empty_figure("No participants with a walking prescription in this cohort")
    fig = go.Figure()
    for arm, colour in colour_map(adherence["arm"]).items():
        rows = adherence.filter(pl.col("arm") == arm)
        fig.add_trace(
            go.Histogram(
                x=(rows["mean_adherence"] * 100).to_list(),
                name=label(arm),
                marker_color=colour,
                opacity=0.65,
                xbins={"start": 0, "size": 10},
                customdata=rows["participant_id"].to_list(),
                hovertemplate="%{x}%: %{y} participants<extra>" + label(arm) + "</extra>",
            )
        )
    fig.add_vline(x=100, line_dash="dash", line_color="#555", annotation_text="prescription met")
    fig.update_layout(
        barmode="overlay",
        xaxis_title="mean weekly adherence (% of prescribed minutes)",
        yaxis_title="participants",
    )
    return finish(fig, title="Adherence to the walking prescription")


def figure_progression(progression: pl.DataFrame) -> go.Figure:
    """Speed and incline per study week by arm and walking direction, mean with CI bands (from
    ``summaries.progression``); solid lines backward, dotted forward."""
    if progression.height == 0:
        return empty_figure("No treadmill sessions in this cohort")
    measures = ["speed_mps", "incline_pct"]
    fig = make_subplots(rows=1, cols=2, subplot_titles=[_MEASURE_TITLES[m] for m in measures])
    colours = colour_map(progression["arm"])
    for col, measure in enumerate(measures, start=1):
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
                banded = rows.filter(pl.col("ci_low").is_not_null())
                add_band(
                    fig,
                    banded["study_week"],
                    banded["ci_low"],
                    banded["ci_high"],
                    colour=colour,
                    group=name,
                    row=1,
                    col=col,
                )
                fig.add_trace(
                    go.Scatter(
                        x=rows["study_week"].to_list(),
                        y=rows["mean"].to_list(),
                        mode="lines+markers",
                        name=name,
                        legendgroup=name,
                        showlegend=col == 1,
                        line={
                            "color": colour,
                            "dash": "solid" if direction == "backward" else "dot",
                        },
                        customdata=rows["n"].to_list(),
                        hovertemplate="week %{x}: %{y:.2f} (n=%{customdata})<extra>"
                        + name
                        + "</extra>",
                    ),
                    row=1,
                    col=col,
                )
        fig.update_xaxes(title_text="study week", dtick=1, row=1, col=col)
    return finish(fig, title="Speed and incline progression (participant weekly means)")
