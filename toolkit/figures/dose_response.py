"""The dose-response figure: outcome change against exposure, with the fitted curve."""

from __future__ import annotations

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
    traces: list[Trace] = []
    colours = colour_map(shown[colour_by].cast(pl.String))
    for value, colour in colours.items():
        rows = shown.filter(pl.col(colour_by).cast(pl.String) == value)
        traces.append(
            {
                "type": "scattergl",
                "x": rows[exposure].to_list(),
                "y": rows[outcome].to_list(),
                "mode": "markers",
                "marker": {"color": colour, "size": 7, "opacity": 0.75},
                "name": label(value),
                "customdata": rows.select("participant_id", "arm", "condition", "baseline").rows(),
                "hovertemplate": (
                    "<b>%{customdata[0]}</b> (%{customdata[1]}, %{customdata[2]})<br>"
                    f"{label(exposure)}: %{{x:.1f}}<br>{outcome}: %{{y:.1f}}"
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
    layout = {
        "xaxis": {"title": {"text": f"{label(exposure)} (mean per week over the intervention)"}},
        "yaxis": {"title": {"text": f"{instrument} {outcome} (follow-up - baseline)"}},
        "shapes": [reference_line(y=0)],
    }
    return make_figure(
        traces, layout, title=f"{instrument} {outcome} versus {label(exposure)}", height=520
    )
