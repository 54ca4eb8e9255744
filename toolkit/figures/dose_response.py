"""The dose-response figure: outcome change against exposure, with the fitted curve."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from toolkit.figures.style import colour_map, empty_figure, finish, label


def figure_dose_response(
    points: pl.DataFrame,
    curve: pl.DataFrame,
    *,
    outcome: str = "change",
    exposure: str = "retro_minutes",
    colour_by: str = "arm",
    instrument: str = "nrs",
) -> go.Figure:
    """One marker per participant (hover: the participant, arm, condition, values) and the
    fitted curve with its CI band (``toolkit.stats.dose_response_curve``, covariates held at
    their means).

    ``points`` holds one row per participant with ``participant_id``, ``outcome``, ``exposure``
    and ``colour_by`` columns (``analysis_frames.outcome_frame``); rows missing either value are
    not drawn.
    """
    shown = points.filter(pl.col(outcome).is_not_null() & pl.col(exposure).is_not_null())
    if shown.height == 0:
        return empty_figure(f"No participants with both {label(exposure)} and {outcome}")
    fig = go.Figure()
    colours = colour_map(shown[colour_by].cast(pl.String))
    hover_columns = ["participant_id", "arm", "condition", "baseline"]
    for value, colour in colours.items():
        rows = shown.filter(pl.col(colour_by).cast(pl.String) == value)
        fig.add_trace(
            go.Scattergl(
                x=rows[exposure].to_list(),
                y=rows[outcome].to_list(),
                mode="markers",
                marker={"color": colour, "size": 7, "opacity": 0.75},
                name=label(value),
                customdata=rows.select([c for c in hover_columns if c in rows.columns]).rows(),
                hovertemplate=(
                    "<b>%{customdata[0]}</b> (%{customdata[1]}, %{customdata[2]})<br>"
                    f"{label(exposure)}: %{{x:.1f}}<br>{outcome}: %{{y:.1f}}"
                    "<br>baseline: %{customdata[3]}<extra></extra>"
                ),
            )
        )
    if curve.height:
        xs = curve["exposure"].to_list()
        fig.add_trace(
            go.Scatter(
                x=xs + xs[::-1],
                y=curve["ci_high"].to_list() + curve["ci_low"].to_list()[::-1],
                fill="toself",
                fillcolor="rgba(51,51,51,0.15)",
                line={"width": 0},
                hoverinfo="skip",
                name="95% CI",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=curve["estimate"].to_list(),
                mode="lines",
                line={"color": "#333333", "width": 3},
                name="fitted",
                customdata=curve.select("ci_low", "ci_high").rows(),
                hovertemplate=(
                    f"{label(exposure)} %{{x:.1f}}: fitted {outcome} %{{y:.2f}} "
                    "(95% CI %{customdata[0]:.2f} to %{customdata[1]:.2f})<extra></extra>"
                ),
            )
        )
    fig.add_hline(y=0, line_color="#999", line_dash="dot")
    fig.update_layout(
        xaxis_title=f"{label(exposure)} (mean per week over the intervention)",
        yaxis_title=f"{instrument} {outcome} (follow-up - baseline)",
    )
    return finish(fig, title=f"{instrument} {outcome} versus {label(exposure)}", height=520)
