"""Figures of one participant: sessions timeline, one session's samples, steps, pain diary."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

from toolkit.figures.style import (
    DIRECTION_COLOURS,
    Trace,
    empty_figure,
    label,
    make_figure,
    on_axes,
    stacked_panels,
)
from toolkit.format import level_label


def _y_titles(layout: dict[str, object], titles: list[str]) -> None:
    for n, title in enumerate(titles, start=1):
        axis = layout[f"yaxis{'' if n == 1 else n}"]
        assert isinstance(axis, dict)
        axis["title"] = {"text": title}


def figure_session_timeline(sessions: pl.DataFrame, *, participant_id: str) -> go.Figure:
    """Every session segment of one participant over time: speed, incline and heart rate, one
    marker per segment coloured by walking direction (from ``summaries.participant_sessions``).
    Heart rate shows where per-second samples were recorded."""
    if sessions.height == 0:
        return empty_figure(f"{participant_id} has no treadmill sessions")
    has_hr = sessions["mean_heart_rate_bpm"].is_not_null().any()
    panels = [("mean_speed_mps", "Speed (m/s)"), ("incline_pct", "Incline (%)")]
    if has_hr:
        panels.append(("mean_heart_rate_bpm", "Heart rate (bpm)"))
    layout, height = stacked_panels(
        len(panels), panel_px=190, gap_px=48, titles=[title for _, title in panels]
    )
    traces: list[Trace] = []
    for direction, colour in DIRECTION_COLOURS.items():
        rows = sessions.filter(pl.col("direction") == direction)
        if rows.height == 0:
            continue
        custom = rows.select(
            "session_id", "segment", "study_day", (pl.col("duration_s") / 60).alias("minutes")
        ).rows()
        started = rows["started_at"].to_list()
        for axis, (column, _) in enumerate(panels, start=1):
            traces.append(
                {
                    "type": "scatter",
                    "x": started,
                    "y": rows[column].to_list(),
                    "mode": "markers",
                    "marker": {"color": colour, "size": 7, "opacity": 0.8},
                    "name": direction,
                    "legendgroup": direction,
                    "showlegend": axis == 1,
                    "customdata": custom,
                    "hovertemplate": (
                        "%{customdata[0]} segment %{customdata[1]} (day %{customdata[2]}): "
                        "%{y:.2f}, %{customdata[3]:.1f} min<extra>" + direction + "</extra>"
                    ),
                    **on_axes(axis),
                }
            )
    _y_titles(layout, [title for _, title in panels])
    return make_figure(
        traces,
        layout,
        title=f"{participant_id}: treadmill sessions by segment",
        height=height,
    )


def figure_session_samples(samples: pl.DataFrame, *, session_id: str) -> go.Figure:
    """One session's per-second record: speed, incline and heart rate against elapsed minutes,
    speed coloured by walking direction (from ``summaries.participant_samples``)."""
    if samples.height == 0:
        return empty_figure(f"{session_id} has no per-second samples")
    titles = ["Speed (m/s), by walking direction", "Incline (%)", "Heart rate (bpm)"]
    layout, height = stacked_panels(3, panel_px=200, gap_px=56, titles=titles)
    minutes = samples.with_columns((pl.col("elapsed_s") / 60).alias("minute"))
    traces: list[Trace] = []
    for direction, colour in DIRECTION_COLOURS.items():
        rows = minutes.filter(pl.col("direction") == direction)
        if rows.height == 0:
            continue
        traces.append(
            {
                "type": "scattergl",
                "x": rows["minute"].to_list(),
                "y": rows["speed_mps"].to_list(),
                "mode": "markers",
                "marker": {"color": colour, "size": 3},
                "name": direction,
                "hovertemplate": "%{x:.2f} min: %{y:.2f} m/s<extra>" + direction + "</extra>",
                **on_axes(1),
            }
        )
    for axis, column, colour in ((2, "incline_pct", "#555555"), (3, "heart_rate_bpm", "#D55E00")):
        traces.append(
            {
                "type": "scattergl",
                "x": minutes["minute"].to_list(),
                "y": minutes[column].to_list(),
                "mode": "lines",
                "line": {"color": colour, "width": 1.5},
                "name": label(column),
                "showlegend": False,
                "hovertemplate": "%{x:.2f} min: %{y}<extra>" + label(column) + "</extra>",
                **on_axes(axis),
            }
        )
    _y_titles(layout, ["m/s", "%", "bpm"])
    layout["xaxis3"]["title"] = {"text": "minutes from start"}
    return make_figure(
        traces, layout, title=f"Session {session_id}, per-second samples", height=height
    )


def figure_daily_steps(wearable: pl.DataFrame, *, participant_id: str) -> go.Figure:
    """Wearable steps per local calendar day (from ``wearable_daily`` rows)."""
    rows = wearable.filter(pl.col("steps").is_not_null()) if wearable.height else wearable
    if rows.height == 0:
        return empty_figure(f"{participant_id} has no wearable step counts")
    trace: Trace = {
        "type": "bar",
        "x": rows["day"].to_list(),
        "y": rows["steps"].to_list(),
        "marker": {"color": "#009E73"},
        "customdata": rows["source"].to_list(),
        "hovertemplate": "%{x}: %{y} steps (%{customdata})<extra></extra>",
        "name": "steps",
    }
    layout = {"xaxis": {"title": {"text": "day"}}, "yaxis": {"title": {"text": "steps"}}}
    return make_figure([trace], layout, title=f"{participant_id}: wearable daily steps", height=340)


def figure_pain_diary(
    pain: pl.DataFrame, *, participant_id: str, instruments: Sequence[str] | None = None
) -> go.Figure:
    """Every score of one participant by study day, one small panel per instrument (from
    ``pain_scores`` rows); hover names the visit (baseline, diary, follow-up...).

    ``instruments`` chooses and orders the panels (default: all the participant has). Panels
    keep a readable height (two columns from four instruments on); the figure grows instead."""
    if pain.height == 0:
        return empty_figure(f"{participant_id} has no pain or questionnaire scores")
    present = set(pain["instrument"])
    chosen = [i for i in (instruments or sorted(present)) if i in present]
    if not chosen:
        return empty_figure(f"{participant_id} has no scores for the chosen questionnaires")
    cols = 1 if len(chosen) <= 3 else 2
    layout, height = stacked_panels(
        len(chosen), cols=cols, panel_px=170, gap_px=70, titles=[level_label(i) for i in chosen]
    )
    traces: list[Trace] = []
    for axis, instrument in enumerate(chosen, start=1):
        rows = pain.filter(pl.col("instrument") == instrument).sort("measured_at")
        visits = rows["visit"].fill_null("").to_list() if "visit" in rows.columns else None
        name = level_label(instrument)
        traces.append(
            {
                "type": "scatter",
                "x": rows["study_day"].to_list(),
                "y": rows["score"].to_list(),
                "mode": "lines+markers",
                "line": {"color": "#0072B2"},
                "name": name,
                "showlegend": False,
                "customdata": visits,
                "hovertemplate": "day %{x}: %{y} (%{customdata})<extra>" + name + "</extra>",
                **on_axes(axis),
            }
        )
        suffix = "" if axis == 1 else str(axis)
        layout[f"yaxis{suffix}"]["range"] = [rows["scale_min"][0], rows["scale_max"][0]]
    for axis in range(max(1, len(chosen) - cols + 1), len(chosen) + 1):
        layout[f"xaxis{'' if axis == 1 else axis}"]["title"] = {"text": "study day"}
    return make_figure(
        traces, layout, title=f"{participant_id}: pain and questionnaire scores", height=height
    )
