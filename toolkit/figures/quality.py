"""Figures of data quality: ingest outcomes and missing values."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from toolkit.figures.style import Trace, empty_figure, make_figure

STATUS_COLOURS = {"loaded": "#009E73", "duplicate": "#999999", "rejected": "#D55E00"}


def figure_ingest_status(attempts: pl.DataFrame) -> go.Figure:
    """Files per format, stacked by ingest status (from ``summaries.ingest_attempts``)."""
    if attempts.height == 0:
        return empty_figure("Nothing has been ingested yet")
    counts = (
        attempts.with_columns(pl.col("format").fill_null("unknown"))
        .group_by("format", "status")
        .agg(pl.len().alias("files"))
    )
    formats = sorted(set(counts["format"]))
    traces: list[Trace] = []
    for status, colour in STATUS_COLOURS.items():
        rows = counts.filter(pl.col("status") == status)
        by_format = dict(zip(rows["format"], rows["files"], strict=True))
        traces.append(
            {
                "type": "bar",
                "y": formats,
                "x": [by_format.get(f, 0) for f in formats],
                "orientation": "h",
                "name": status,
                "marker": {"color": colour},
                "hovertemplate": "%{y}: %{x} file(s)<extra>" + status + "</extra>",
            }
        )
    return make_figure(
        traces,
        {"barmode": "stack", "xaxis": {"title": {"text": "files"}}},
        title="Ingested files by format and status",
        height=200 + 40 * len(formats),
    )


def figure_missingness(missing: pl.DataFrame, *, value: str = "percent_missing") -> go.Figure:
    """Heatmap of missing values per variable and group (from ``toolkit.stats.missing_summary``:
    columns ``variable``, ``group`` or ``arm``, and ``value``, a percentage)."""
    if missing.height == 0:
        return empty_figure("No missing-data summary for this cohort")
    group = "arm" if "arm" in missing.columns else "group"
    variables = list(dict.fromkeys(missing["variable"].to_list()))
    groups = sorted({str(g) for g in missing[group]})
    lookup = {(r["variable"], str(r[group])): r[value] for r in missing.iter_rows(named=True)}
    trace: Trace = {
        "type": "heatmap",
        "z": [[lookup.get((v, g)) for g in groups] for v in variables],
        "x": groups,
        "y": variables,
        "colorscale": [[0.0, "#fff5eb"], [1.0, "#a63603"]],
        "zmin": 0,
        "zmax": 100,
        "texttemplate": "%{z:.0f}%",
        "colorbar": {"title": {"text": "% missing"}},
        "hovertemplate": "%{y}, %{x}: %{z:.1f}% missing<extra></extra>",
    }
    return make_figure(
        [trace],
        {"yaxis": {"autorange": "reversed"}},
        title="Missing values (% of participants)",
        height=160 + 30 * len(variables),
    )
