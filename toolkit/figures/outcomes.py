"""Figures of outcomes: score trajectories, change from baseline and responders."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from toolkit.figures.style import (
    Trace,
    band,
    colour_map,
    empty_figure,
    label,
    make_figure,
    reference_line,
    rgba,
)


def figure_trajectories(
    trajectory: pl.DataFrame,
    means: pl.DataFrame,
    *,
    instrument: str,
    max_lines: int = 150,
    seed: int = 1,
) -> go.Figure:
    """Individual score trajectories (thin lines) under each arm's weekly mean with CI band.

    ``trajectory`` holds one row per score (``analysis_frames.trajectory_frame``), ``means`` the
    ``summaries.trajectory_means`` of it (or a fitted curve with the same columns: arm,
    study_week, mean, ci_low, ci_high, n). At most ``max_lines`` participants' lines are drawn (a
    fixed-seed random sample) so large cohorts stay readable and fast; the means use everyone.
    """
    if trajectory.height == 0:
        return empty_figure(f"No {instrument} scores in this cohort")
    colours = colour_map(trajectory["arm"])
    people = trajectory.select("participant_id").unique().sort("participant_id")
    shown = people.sample(n=min(max_lines, people.height), seed=seed)
    lines = trajectory.filter(pl.col("participant_id").is_in(shown["participant_id"].implode()))
    traces: list[Trace] = []
    for arm, colour in colours.items():
        rows = lines.filter(pl.col("arm") == arm).sort("participant_id", "study_day")
        if rows.height:
            # One trace per arm, participants separated by gaps: fast to draw and to send.
            gap = rows["participant_id"] != rows["participant_id"].shift(-1)
            xs: list[float | None] = []
            ys: list[float | None] = []
            ids: list[str | None] = []
            for pid, week, score, last in zip(
                rows["participant_id"], rows["study_week"], rows["score"], gap, strict=True
            ):
                xs.append(week)
                ys.append(score)
                ids.append(pid)
                if last:
                    xs.append(None)
                    ys.append(None)
                    ids.append(None)
            traces.append(
                {
                    "type": "scattergl",
                    "x": xs,
                    "y": ys,
                    "mode": "lines",
                    "line": {"color": rgba(colour, 0.25), "width": 1},
                    "name": f"{label(arm)} participants",
                    "legendgroup": arm,
                    "showlegend": False,
                    "customdata": ids,
                    "hovertemplate": "%{customdata}: %{y} at week %{x:.1f}<extra></extra>",
                }
            )
        arm_means = means.filter(pl.col("arm") == arm).sort("study_week")
        if arm_means.height:
            banded = arm_means.filter(pl.col("ci_low").is_not_null())
            traces.append(
                band(banded["study_week"], banded["ci_low"], banded["ci_high"],
                     colour=colour, group=arm)
            )  # fmt: skip
            traces.append(
                {
                    "type": "scatter",
                    "x": arm_means["study_week"].to_list(),
                    "y": arm_means["mean"].to_list(),
                    # Markers for weekly means; a fitted curve (many points) is a plain line.
                    "mode": "lines+markers" if arm_means.height <= 30 else "lines",
                    "line": {"color": colour, "width": 3},
                    "name": label(arm),
                    "legendgroup": arm,
                    "customdata": arm_means.select("ci_low", "ci_high", "n").rows(),
                    "hovertemplate": (
                        "week %{x:.0f}: mean %{y:.2f} (95% CI %{customdata[0]:.2f} to "
                        "%{customdata[1]:.2f}; n=%{customdata[2]})<extra>" + label(arm) + "</extra>"
                    ),
                }
            )
    subtitle = (
        f"{shown.height} of {people.height} participants' lines shown"
        if shown.height < people.height
        else f"{people.height} participants"
    )
    layout = {
        "xaxis": {"title": {"text": "study week"}},
        "yaxis": {"title": {"text": f"{instrument} score"}},
    }
    return make_figure(
        traces, layout, title=f"{instrument} over time: arm means, 95% CI ({subtitle})", height=480
    )


def figure_change(change: pl.DataFrame, *, instrument: str) -> go.Figure:
    """Mean change from baseline per arm with its CI (``toolkit.stats.change_from_baseline``)."""
    if change.height == 0:
        return empty_figure(f"No complete {instrument} baseline/follow-up pairs in this cohort")
    colours = colour_map(change["term"])
    traces: list[Trace] = []
    for row in change.iter_rows(named=True):
        traces.append(
            {
                "type": "scatter",
                "x": [row["estimate"]],
                "y": [label(row["term"])],
                "mode": "markers",
                "marker": {"color": colours[row["term"]], "size": 12},
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [row["ci_high"] - row["estimate"]],
                    "arrayminus": [row["estimate"] - row["ci_low"]],
                },
                "name": label(row["term"]),
                "showlegend": False,
                "hovertemplate": (
                    f"{label(row['term'])}: %{{x:.2f}} (95% CI {row['ci_low']:.2f} to "
                    f"{row['ci_high']:.2f}; n={row['n']})<extra></extra>"
                ),
            }
        )
    layout = {
        "xaxis": {"title": {"text": f"mean change in {instrument} (follow-up - baseline)"}},
        "shapes": [reference_line(x=0)],
    }
    return make_figure(traces, layout, title="Change from baseline, by arm (95% CI)", height=300)


def figure_responders(responders: pl.DataFrame, *, instrument: str, mcid: str) -> go.Figure:
    """Responder proportion per arm with Wilson CI (``role == "proportion"`` rows of
    ``toolkit.stats.responders``); ``mcid`` says what counts as a response."""
    rows = responders.filter(pl.col("role") == "proportion") if responders.height else responders
    if rows.height == 0:
        return empty_figure(f"No participants with a known {instrument} response")
    colours = colour_map(rows["term"])
    trace: Trace = {
        "type": "bar",
        "x": [label(t) for t in rows["term"]],
        "y": (rows["estimate"] * 100).to_list(),
        "marker": {"color": [colours[t] for t in rows["term"]]},
        "error_y": {
            "type": "data",
            "symmetric": False,
            "array": ((rows["ci_high"] - rows["estimate"]) * 100).to_list(),
            "arrayminus": ((rows["estimate"] - rows["ci_low"]) * 100).to_list(),
        },
        "text": [
            f"{100 * e:.0f}% (n={n})" for e, n in zip(rows["estimate"], rows["n"], strict=True)
        ],
        "textposition": "inside",
        "hovertemplate": "%{x}: %{y:.1f}% responders<extra></extra>",
    }
    layout = {
        "yaxis": {"title": {"text": "responders (%, 95% Wilson CI)"}, "range": [0, 100]},
    }
    return make_figure([trace], layout, title=f"Responders by arm ({mcid})", height=380)
