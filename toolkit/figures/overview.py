"""Figures of who is in the cohort: the participant flow and data completeness."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from toolkit.figures.style import colour_map, empty_figure, finish, label


def figure_participant_flow(flow: pl.DataFrame, *, instrument: str = "nrs") -> go.Figure:
    """Grouped bars of participants per flow stage and arm (from ``summaries.participant_flow``),
    labelled with the count and the percentage of the arm's enrolled."""
    arms = flow.filter(pl.col("arm") != "all")
    if arms.height == 0:
        return empty_figure("No participants in this cohort")
    colours = colour_map(arms["arm"])
    fig = go.Figure()
    for arm, colour in colours.items():
        rows = arms.filter(pl.col("arm") == arm).sort("step")
        fig.add_trace(
            go.Bar(
                x=rows["stage"].to_list(),
                y=rows["participants"].to_list(),
                name=label(arm),
                marker_color=colour,
                text=[
                    f"{n} ({p:.0f}%)"
                    for n, p in zip(rows["participants"], rows["percent_of_enrolled"], strict=True)
                ],
                textposition="outside",
                hovertemplate="%{x}: %{y} participants<extra>" + label(arm) + "</extra>",
            )
        )
    fig.update_layout(barmode="group", yaxis_title="participants", xaxis_title=None)
    return finish(fig, title=f"Participant flow ({instrument} baseline and follow-up)")


def figure_completeness(completeness: pl.DataFrame) -> go.Figure:
    """Heatmap of the percentage of each arm's participants having each kind of data (from
    ``summaries.data_completeness``)."""
    if completeness.height == 0:
        return empty_figure("No participants in this cohort")
    items = list(dict.fromkeys(completeness["item"].to_list()))
    arms = list(colour_map(completeness["arm"]))
    lookup = {(row["item"], row["arm"]): row for row in completeness.iter_rows(named=True)}
    z = [[lookup[(i, a)]["percent"] if (i, a) in lookup else None for a in arms] for i in items]
    text = [
        [
            f"{lookup[(i, a)]['participants_with_data']}/{lookup[(i, a)]['participants']}"
            if (i, a) in lookup
            else ""
            for a in arms
        ]
        for i in items
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[label(a) for a in arms],
            y=items,
            text=text,
            texttemplate="%{z:.0f}% (%{text})",
            colorscale="Blues",
            zmin=0,
            zmax=100,
            colorbar={"title": "%"},
            hovertemplate="%{y}, %{x}: %{z:.1f}% (%{text})<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return finish(fig, title="Data completeness (% of participants)", height=120 + 32 * len(items))
