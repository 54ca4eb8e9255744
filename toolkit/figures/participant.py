"""Figures of one participant: sessions timeline, one session's samples, steps, pain diary."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from toolkit.figures.style import DIRECTION_COLOURS, empty_figure, finish, label


def figure_session_timeline(sessions: pl.DataFrame, *, participant_id: str) -> go.Figure:
    """Every session segment of one participant over time: speed, incline and heart rate, one
    marker per segment coloured by walking direction (from ``summaries.participant_sessions``).
    Heart rate shows where per-second samples were recorded."""
    if sessions.height == 0:
        return empty_figure(f"{participant_id} has no treadmill sessions")
    has_hr = sessions["mean_heart_rate_bpm"].is_not_null().any()
    panels = [("mean_speed_mps", "speed (m/s)"), ("incline_pct", "incline (%)")]
    if has_hr:
        panels.append(("mean_heart_rate_bpm", "heart rate (bpm)"))
    fig = make_subplots(rows=len(panels), cols=1, shared_xaxes=True, vertical_spacing=0.06)
    for direction, colour in DIRECTION_COLOURS.items():
        rows = sessions.filter(pl.col("direction") == direction)
        if rows.height == 0:
            continue
        custom = rows.select(
            "session_id", "segment", "study_day", (pl.col("duration_s") / 60).alias("minutes")
        ).rows()
        for row, (column, _) in enumerate(panels, start=1):
            fig.add_trace(
                go.Scatter(
                    x=rows["started_at"].to_list(),
                    y=rows[column].to_list(),
                    mode="markers",
                    marker={"color": colour, "size": 7, "opacity": 0.8},
                    name=direction,
                    legendgroup=direction,
                    showlegend=row == 1,
                    customdata=custom,
                    hovertemplate=(
                        "%{customdata[0]} segment %{customdata[1]} (day %{customdata[2]}): "
                        "%{y:.2f}, %{customdata[3]:.1f} min<extra>" + direction + "</extra>"
                    ),
                ),
                row=row,
                col=1,
            )
    for row, (_, title) in enumerate(panels, start=1):
        fig.update_yaxes(title_text=title, row=row, col=1)
    return finish(
        fig,
        title=f"{participant_id}: treadmill sessions by segment",
        height=180 + 170 * len(panels),
    )


def figure_session_samples(samples: pl.DataFrame, *, session_id: str) -> go.Figure:
    """One session's per-second record: speed, incline and heart rate against elapsed minutes,
    speed coloured by walking direction (from ``summaries.participant_samples``)."""
    if samples.height == 0:
        return empty_figure(f"{session_id} has no per-second samples")
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.06)
    minutes = samples.with_columns((pl.col("elapsed_s") / 60).alias("minute"))
    for direction, colour in DIRECTION_COLOURS.items():
        rows = minutes.filter(pl.col("direction") == direction)
        if rows.height == 0:
            continue
        fig.add_trace(
            go.Scatter(
                x=rows["minute"].to_list(),
                y=rows["speed_mps"].to_list(),
                mode="markers",
                marker={"color": colour, "size": 3},
                name=direction,
                hovertemplate="%{x:.2f} min: %{y:.2f} m/s<extra>" + direction + "</extra>",
            ),
            row=1,
            col=1,
        )
    for row, column, colour in ((2, "incline_pct", "#555555"), (3, "heart_rate_bpm", "#D55E00")):
        fig.add_trace(
            go.Scatter(
                x=minutes["minute"].to_list(),
                y=minutes[column].to_list(),
                mode="lines",
                line={"color": colour, "width": 1.5},
                name=label(column),
                showlegend=False,
                hovertemplate="%{x:.2f} min: %{y}<extra>" + label(column) + "</extra>",
            ),
            row=row,
            col=1,
        )
    for row, title in ((1, "speed (m/s)"), (2, "incline (%)"), (3, "heart rate (bpm)")):
        fig.update_yaxes(title_text=title, row=row, col=1)
    fig.update_xaxes(title_text="minutes from start", row=3, col=1)
    return finish(fig, title=f"Session {session_id}, per-second samples", height=640)


def figure_daily_steps(wearable: pl.DataFrame, *, participant_id: str) -> go.Figure:
    """Wearable steps per local calendar day (from ``wearable_daily`` rows)."""
    rows = wearable.filter(pl.col("steps").is_not_null()) if wearable.height else wearable
    if rows.height == 0:
        return empty_figure(f"{participant_id} has no wearable step counts")
    fig = go.Figure(
        go.Bar(
            x=rows["day"].to_list(),
            y=rows["steps"].to_list(),
            marker_color="#009E73",
            customdata=rows["source"].to_list(),
            hovertemplate="%{x}: %{y} steps (%{customdata})<extra></extra>",
            name="steps",
        )
    )
    fig.update_layout(xaxis_title="day", yaxis_title="steps")
    return finish(fig, title=f"{participant_id}: wearable daily steps", height=340)


def figure_pain_diary(pain: pl.DataFrame, *, participant_id: str) -> go.Figure:
    """Every score of one participant by study day, one panel per instrument (from
    ``pain_scores`` rows); markers show the visit (baseline, diary, follow-up...)."""
    if pain.height == 0:
        return empty_figure(f"{participant_id} has no pain or questionnaire scores")
    instruments = sorted(set(pain["instrument"]))
    fig = make_subplots(
        rows=len(instruments),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=instruments,
    )
    for row, instrument in enumerate(instruments, start=1):
        rows = pain.filter(pl.col("instrument") == instrument).sort("measured_at")
        visits = rows["visit"].fill_null("").to_list() if "visit" in rows.columns else None
        fig.add_trace(
            go.Scatter(
                x=rows["study_day"].to_list(),
                y=rows["score"].to_list(),
                mode="lines+markers",
                line={"color": "#0072B2"},
                name=instrument,
                showlegend=False,
                customdata=visits,
                hovertemplate="day %{x}: %{y} (%{customdata})<extra>" + instrument + "</extra>",
            ),
            row=row,
            col=1,
        )
        low, high = rows["scale_min"][0], rows["scale_max"][0]
        fig.update_yaxes(range=[low, high], row=row, col=1)
    fig.update_xaxes(title_text="study day", row=len(instruments), col=1)
    return finish(
        fig,
        title=f"{participant_id}: pain and questionnaire scores",
        height=160 + 200 * len(instruments),
    )
