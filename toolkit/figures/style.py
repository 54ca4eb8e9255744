"""Shared look and assembly of the toolkit's figures: one colour per arm everywhere, CI bands,
subplot grids, and a fast figure constructor.

Builders describe traces and layout as plain dicts (plotly's own JSON schema) and call
:func:`make_figure`, which wraps them in a ``go.Figure`` without plotly's per-property
validation: that validation (and ``make_subplots``) costs 50-100 ms per figure, most of a
dashboard rerun's budget. The tests validate every builder's output against plotly's schema
(``go.Figure(fig.to_dict())``), so a misspelt property still fails, just not at run time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from toolkit.format import ARM_ORDER, LEVEL_LABELS, column_label, level_label, order_arms

#: Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
KNOWN_ARMS = ARM_ORDER
#: One colour per arm everywhere (dashboard, report, exports), whichever arms a figure shows.
ARM_COLOURS = {"retro": PALETTE[0], "forward": PALETTE[1], "usual_care": PALETTE[2]}
DIRECTION_COLOURS = {"backward": "#0072B2", "forward": "#E69F00", "unknown": "#999999"}
TEMPLATE = "plotly_white"

Trace = dict[str, Any]


def colour_map(values: Iterable[str | None] | pl.Series) -> dict[str, str]:
    """A stable colour per value, in the arms' fixed order (:data:`toolkit.format.ARM_ORDER`):
    the known arms always get their own colour (:data:`ARM_COLOURS`), so usual care is the same
    green in a figure of two arms as in one of three; other values take the remaining colours
    in sorted order."""
    if isinstance(values, pl.Series):
        values = values.unique().to_list()  # not a Python loop over every row
    ordered = order_arms(str(v) for v in values if v is not None)
    spare = [c for c in PALETTE if c not in ARM_COLOURS.values()]
    out: dict[str, str] = {}
    others = 0
    for value in ordered:
        if value in ARM_COLOURS:
            out[value] = ARM_COLOURS[value]
        else:
            out[value] = spare[others % len(spare)]
            others += 1
    return out


def label(name: str) -> str:
    """A column or category name as people read it: ``usual_care`` -> ``Usual care``,
    ``retro_minutes`` -> ``Retro minutes per week`` (:mod:`toolkit.format`)."""
    return level_label(name) if name in LEVEL_LABELS else column_label(name)


def rgba(hex_colour: str, alpha: float) -> str:
    """``#RRGGBB`` with transparency, for CI bands."""
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def band(
    x: Iterable[object],
    low: Iterable[float | None],
    high: Iterable[float | None],
    *,
    colour: str,
    group: str,
    axis: int = 1,
) -> Trace:
    """A shaded confidence band between ``low`` and ``high`` (no legend entry, no hover)."""
    xs = list(x)
    return {
        "type": "scatter",
        "x": xs + xs[::-1],
        "y": list(high) + list(low)[::-1],
        "fill": "toself",
        "fillcolor": rgba(colour, 0.18),
        "line": {"width": 0},
        "hoverinfo": "skip",
        "showlegend": False,
        "legendgroup": group,
        "name": f"{group} CI",
        **on_axes(axis),
    }


def on_axes(axis: int) -> dict[str, str]:
    """The ``xaxis``/``yaxis`` references placing a trace in subplot ``axis`` (1-based)."""
    suffix = "" if axis == 1 else str(axis)
    return {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}


def grid(
    rows: int,
    cols: int,
    *,
    titles: Sequence[str] = (),
    shared_x: bool = False,
    shared_y: bool = False,
    spacing: float = 0.08,
) -> dict[str, Any]:
    """Layout axes for a ``rows`` x ``cols`` grid of subplots, numbered row by row from 1 (as
    ``make_subplots`` does), with optional subplot titles."""
    layout: dict[str, Any] = {}
    annotations = []
    width = (1 - spacing * (cols - 1)) / cols
    height = (1 - spacing * (rows - 1)) / rows
    for r in range(rows):
        for c in range(cols):
            n = r * cols + c + 1
            suffix = "" if n == 1 else str(n)
            x0 = c * (width + spacing)
            y1 = 1 - r * (height + spacing)
            xaxis: dict[str, Any] = {
                "domain": [_unit(x0), _unit(x0 + width)],
                "anchor": f"y{suffix}",
            }
            yaxis: dict[str, Any] = {
                "domain": [_unit(y1 - height), _unit(y1)],
                "anchor": f"x{suffix}",
            }
            if shared_x:
                if n > 1:
                    xaxis["matches"] = "x"
                if r < rows - 1:
                    xaxis["showticklabels"] = False
            if shared_y and n > 1:
                yaxis["matches"] = "y"
            layout[f"xaxis{suffix}"] = xaxis
            layout[f"yaxis{suffix}"] = yaxis
            if n <= len(titles):
                annotations.append(
                    {
                        "text": titles[n - 1],
                        "x": x0 + width / 2,
                        "y": y1,
                        "xref": "paper",
                        "yref": "paper",
                        "xanchor": "center",
                        "yanchor": "bottom",
                        "showarrow": False,
                        "font": {"size": 14},
                    }
                )
    layout["annotations"] = annotations
    return layout


#: Pixels around a figure's plot area (:func:`make_figure`'s margins, top includes the legend).
MARGIN_TOP, MARGIN_BOTTOM = 110, 50


def stacked_panels(
    count: int,
    *,
    cols: int = 1,
    panel_px: int = 170,
    gap_px: int = 64,
    titles: Sequence[str] = (),
    shared_x: bool = True,
) -> tuple[dict[str, Any], int]:
    """A grid of ``count`` small multiples, each ``panel_px`` tall with ``gap_px`` between rows
    (room for a panel's title), whatever their number: the figure grows (and the page scrolls)
    instead of the panels shrinking. Returns the layout axes and the figure height."""
    rows = max(1, -(-count // cols))
    plot_px = rows * panel_px + (rows - 1) * gap_px
    layout = grid(rows, cols, titles=titles, shared_x=shared_x, spacing=0.08)
    row_spacing = gap_px / plot_px
    height = (1 - row_spacing * (rows - 1)) / rows
    for n in range(1, rows * cols + 1):
        r = (n - 1) // cols
        top = 1 - r * (height + row_spacing)
        suffix = "" if n == 1 else str(n)
        layout[f"yaxis{suffix}"]["domain"] = [_unit(top - height), _unit(top)]
        if n <= len(titles):
            layout["annotations"][n - 1]["y"] = _unit(top)
        if shared_x and cols > 1 and r < rows - 1 and n + cols > count:
            layout[f"xaxis{suffix}"]["showticklabels"] = True  # last panel of its column
    for n in range(count + 1, rows * cols + 1):  # empty cells of the last row
        suffix = "" if n == 1 else str(n)
        layout[f"xaxis{suffix}"]["visible"] = False
        layout[f"yaxis{suffix}"]["visible"] = False
    return layout, MARGIN_TOP + MARGIN_BOTTOM + plot_px


def _unit(value: float) -> float:
    """A paper coordinate clipped to [0, 1] (float rounding can leave -1e-17)."""
    return min(max(round(value, 6), 0.0), 1.0)


def reference_line(*, x: float | None = None, y: float | None = None) -> dict[str, Any]:
    """A dotted vertical (``x``) or horizontal (``y``) line across the plot, as a layout
    shape."""
    if x is not None:
        return {
            "type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
            "line": {"color": "#777777", "dash": "dot"},
        }  # fmt: skip
    return {
        "type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": y, "y1": y,
        "line": {"color": "#999999", "dash": "dot"},
    }  # fmt: skip


@cache
def _template() -> dict[str, Any]:
    template: dict[str, Any] = pio.templates[TEMPLATE].to_plotly_json()
    return template


def make_figure(
    traces: Sequence[Trace], layout: dict[str, Any], *, title: str, height: int = 460
) -> go.Figure:
    """A figure from plain trace and layout dicts, with the common look (template, title,
    legend on top, compact margins), built without per-property validation (see module)."""
    full = {
        "template": _template(),
        "title": {"text": title, "x": 0.01, "xanchor": "left", "y": 0.98, "yanchor": "top"},
        "height": height,
        "margin": {"l": 60, "r": 20, "t": MARGIN_TOP, "b": MARGIN_BOTTOM},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.08, "x": 0},
        "hovermode": "closest",
        **layout,
    }
    return go.Figure(data=list(traces), layout=full, _validate=False)


def empty_figure(message: str) -> go.Figure:
    """A blank figure that says why there is nothing to plot."""
    return make_figure(
        [],
        {
            "annotations": [
                {
                    "text": message,
                    "showarrow": False,
                    "x": 0.5,
                    "y": 0.5,
                    "xref": "paper",
                    "yref": "paper",
                }
            ],
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
        },
        title="",
        height=240,
    )
