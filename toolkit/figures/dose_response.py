"""The dose-response figure: outcome change against exposure, with the fitted curve."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import polars as pl

from toolkit.figures.style import (
    Trace,
    colour_map,
    empty_figure,
    label,
    make_figure,
    reference_line,
)
from toolkit.format import level_label


def figure_dose_response(
    points: pl.DataFrame,
    curve: pl.DataFrame,
    *,
    outcome: str = "change",
    exposure: str = "retro_minutes",
    colour_by: str = "arm",
    instrument: str = "nrs",
) -> go.Figure:
    """One marker per participant (hover: the participant, arm, condition, baseline) and the
    fitted curve with its CI band (``toolkit.stats.dose_response_curve``: columns exposure,
    estimate, ci_low, ci_high; covariates held at their means).

    ``points`` holds one row per participant with ``participant_id``, ``arm``, ``condition``,
    ``baseline``, ``outcome``, ``exposure`` and ``colour_by`` columns
    (``analysis_frames.outcome_frame``); rows missing either value are not drawn.
    """
    shown = points.filter(pl.col(outcome).is_not_null() & pl.col(exposure).is_not_null())
    if shown.height == 0:
        return empty_figure(f"No participants with both {label(exposure)} and {outcome}")
    x_shown, y_shown, strip = jittered(shown[exposure], shown[outcome])
    shown = shown.with_columns(
        pl.Series("__x", x_shown), pl.Series("__y", y_shown), pl.Series("__at_zero", strip)
    )
    traces: list[Trace] = []
    colours = colour_map(shown[colour_by].cast(pl.String))
    for value, colour in colours.items():
        rows = shown.filter(pl.col(colour_by).cast(pl.String) == value)
        at_zero = int(rows["__at_zero"].sum())
        count = f"n={rows.height}" + (f", {at_zero} at 0 min" if at_zero else "")
        traces.append(
            {
                "type": "scattergl",
                "x": rows["__x"].to_list(),
                "y": rows["__y"].to_list(),
                "mode": "markers",
                "marker": {
                    "color": colour,
                    "size": 7,
                    "opacity": 0.55,
                    "line": {"color": "white", "width": 0.5},
                },
                "name": f"{label(value)} ({count})",
                "customdata": rows.select(
                    "participant_id", "arm", "condition", "baseline", exposure, outcome
                ).rows(),
                "hovertemplate": (
                    "<b>%{customdata[0]}</b> (%{customdata[1]}, %{customdata[2]})<br>"
                    f"{label(exposure)}: %{{customdata[4]:.1f}}<br>"
                    f"{outcome}: %{{customdata[5]:.1f}}"
                    "<br>baseline: %{customdata[3]}<extra></extra>"
                ),
            }
        )
    if curve.height:
        xs = curve["exposure"].to_list()
        traces.append(
            {
                "type": "scatter",
                "x": xs + xs[::-1],
                "y": curve["ci_high"].to_list() + curve["ci_low"].to_list()[::-1],
                "fill": "toself",
                "fillcolor": "rgba(51,51,51,0.15)",
                "line": {"width": 0},
                "hoverinfo": "skip",
                "name": "95% CI",
            }
        )
        traces.append(
            {
                "type": "scatter",
                "x": xs,
                "y": curve["estimate"].to_list(),
                "mode": "lines",
                "line": {"color": "#333333", "width": 3},
                "name": "fitted",
                "customdata": curve.select("ci_low", "ci_high").rows(),
                "hovertemplate": (
                    f"{label(exposure)} %{{x:.1f}}: fitted {outcome} %{{y:.2f}} "
                    "(95% CI %{customdata[0]:.2f} to %{customdata[1]:.2f})<extra></extra>"
                ),
            }
        )
    strip_note = (
        " Participants with no exposure sit in the strip left of 0 and all points are "
        "jittered a little so ties show (hover gives the exact values)."
        if bool(shown["__at_zero"].any())
        else " Points are jittered a little so ties show (hover gives the exact values)."
    )
    layout = {
        "xaxis": {
            "title": {"text": f"{label(exposure)} (mean over the intervention)"},
            "zeroline": True,
        },
        "yaxis": {"title": {"text": f"{level_label(instrument)} {outcome} (follow-up - baseline)"}},
        "shapes": [reference_line(y=0)],
        "meta": {"jitter_note": strip_note.strip()},
    }
    return make_figure(
        traces,
        layout,
        title=f"{level_label(instrument)} {outcome} versus {label(exposure)}",
        height=520,
    )


def jittered(
    exposure: pl.Series, outcome: pl.Series, *, seed: int = 20261125
) -> tuple[list[float], list[float], list[bool]]:
    """Display positions that keep ties apart: participants with zero exposure (usual care,
    dropouts) spread over a strip just left of 0 instead of one stacked point; every point
    jittered by at most a fifth of the outcome's smallest step when its values are whole
    numbers (NRS changes), by nothing otherwise. Seeded, so a figure is the same every time.

    Returns the x and y to draw and whether each point is in the zero strip.
    """
    rng = np.random.default_rng(seed)
    x = exposure.cast(pl.Float64).to_numpy()
    y = outcome.cast(pl.Float64).to_numpy()
    span = float(np.nanmax(x)) if x.size and np.nanmax(x) > 0 else 1.0
    zero = x == 0
    x_shown = x.copy()
    x_shown[zero] = -span * rng.uniform(0.01, 0.08, int(zero.sum()))
    x_shown[~zero] += span * rng.uniform(-0.004, 0.004, int((~zero).sum()))
    whole = bool(np.all(np.isclose(y, np.round(y))))
    y_shown = y + (rng.uniform(-0.2, 0.2, y.size) if whole else 0.0)
    return x_shown.tolist(), y_shown.tolist(), zero.tolist()
