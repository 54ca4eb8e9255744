"""Shared look of the toolkit's figures: one colour per arm everywhere, CI bands, labels."""

from __future__ import annotations

from collections.abc import Iterable

import plotly.graph_objects as go

#: Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
KNOWN_ARMS = ("retro", "forward", "usual_care")
DIRECTION_COLOURS = {"backward": "#0072B2", "forward": "#E69F00", "unknown": "#999999"}
TEMPLATE = "plotly_white"


def colour_map(values: Iterable[str | None]) -> dict[str, str]:
    """A stable colour per value: the known arms first in their fixed order, others sorted."""
    distinct = {str(v) for v in values if v is not None}
    ordered = [a for a in KNOWN_ARMS if a in distinct] + sorted(distinct - set(KNOWN_ARMS))
    return {value: PALETTE[i % len(PALETTE)] for i, value in enumerate(ordered)}


def label(name: str) -> str:
    """A column or category name as people read it: ``usual_care`` -> ``usual care``."""
    return name.replace("_", " ")


def rgba(hex_colour: str, alpha: float) -> str:
    """``#RRGGBB`` with transparency, for CI bands."""
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def add_band(
    fig: go.Figure,
    x: Iterable[object],
    low: Iterable[float | None],
    high: Iterable[float | None],
    *,
    colour: str,
    group: str,
    row: int | None = None,
    col: int | None = None,
) -> None:
    """A shaded confidence band between ``low`` and ``high`` (no legend entry, no hover)."""
    xs = list(x)
    fig.add_trace(
        go.Scatter(
            x=xs + xs[::-1],
            y=list(high) + list(low)[::-1],
            fill="toself",
            fillcolor=rgba(colour, 0.18),
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            legendgroup=group,
            name=f"{group} CI",
        ),
        row=row,
        col=col,
    )


def empty_figure(message: str) -> go.Figure:
    """A blank figure that says why there is nothing to plot."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(
        template=TEMPLATE,
        xaxis={"visible": False},
        yaxis={"visible": False},
        height=240,
    )
    return fig


def finish(fig: go.Figure, *, title: str, height: int = 460) -> go.Figure:
    """Common layout: template, title, legend on top, compact margins."""
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.0, "xanchor": "left", "y": 0.98, "yanchor": "top"},
        height=height,
        margin={"l": 60, "r": 20, "t": 110, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.08, "x": 0},
        hovermode="closest",
    )
    return fig
