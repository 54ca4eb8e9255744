"""Figures of who is in the cohort: the participant flow and data completeness."""

from __future__ import annotations

from collections.abc import Iterable

import plotly.graph_objects as go
import polars as pl

from toolkit.figures.style import Trace, colour_map, empty_figure, label, make_figure


def figure_participant_flow(flow: pl.DataFrame, *, instrument: str = "nrs") -> go.Figure:
    """Grouped bars of participants per flow stage and arm (from ``summaries.participant_flow``),
    labelled with the count and the percentage of the arm's enrolled."""
    arms = flow.filter(pl.col("arm") != "all")
    if arms.height == 0:
        return empty_figure("No participants in this cohort")
    traces: list[Trace] = []
    for arm, colour in colour_map(arms["arm"]).items():
        rows = arms.filter(pl.col("arm") == arm).sort("step")
        traces.append(
            {
                "type": "bar",
                "x": rows["stage"].to_list(),
                "y": rows["participants"].to_list(),
                "name": label(arm),
                "marker": {"color": colour},
                "text": [
                    _flow_label(n, p)
                    for n, p in zip(rows["participants"], rows["percent_of_enrolled"], strict=True)
                ],
                "textposition": "outside",
                "hovertemplate": "%{x}: %{y} participants<extra>" + label(arm) + "</extra>",
            }
        )
    return make_figure(
        traces,
        {"barmode": "group", "yaxis": {"title": {"text": "participants"}}},
        title=f"Participant flow ({instrument} baseline and follow-up)",
    )


def _flow_label(participants: int | None, percent: float | None) -> str:
    """A flow bar's label; a count suppressed for privacy (null) is said to be hidden."""
    if participants is None:
        return "hidden (small count)"
    if percent is None:
        return str(participants)
    return f"{participants} ({percent:.0f}%)"


def figure_completeness(
    completeness: pl.DataFrame, *, not_applicable: Iterable[tuple[str, str]] = ()
) -> go.Figure:
    """Heatmap of the percentage of each arm's participants having each kind of data (from
    ``summaries.data_completeness``); ``not_applicable`` (item, arm) cells, such as treadmill
    sessions in an arm without a walking prescription, show "not applicable" in grey."""
    if completeness.height == 0:
        return empty_figure("No participants in this cohort")
    skip = {(str(i), str(a)) for i, a in not_applicable}
    items = list(dict.fromkeys(completeness["item"].to_list()))
    arms = list(colour_map(completeness["arm"]))
    lookup = {(row["item"], row["arm"]): row for row in completeness.iter_rows(named=True)}
    z = [
        [
            lookup[(i, a)]["percent"] if (i, a) in lookup and (i, a) not in skip else None
            for a in arms
        ]
        for i in items
    ]
    text = [
        [
            "not applicable"
            if (i, a) in skip
            else f"{lookup[(i, a)]['percent']:.0f}% ({lookup[(i, a)]['participants_with_data']}"
            f"/{lookup[(i, a)]['participants']})"
            if (i, a) in lookup
            else ""
            for a in arms
        ]
        for i in items
    ]
    trace: Trace = {
        "type": "heatmap",
        "z": z,
        "x": [label(a) for a in arms],
        "y": items,
        "text": text,
        "texttemplate": "%{text}",
        "colorscale": [[0.0, "#f7fbff"], [1.0, "#08519c"]],
        "zmin": 0,
        "zmax": 100,
        "colorbar": {"title": {"text": "%"}},
        "hovertemplate": "%{y}, %{x}: %{text}<extra></extra>",
        "hoverongaps": False,
    }
    return make_figure(
        [trace],
        {"yaxis": {"autorange": "reversed"}, "plot_bgcolor": "#eeeeee"},
        title="Data completeness (% of participants)",
        height=160 + 32 * len(items),
    )
