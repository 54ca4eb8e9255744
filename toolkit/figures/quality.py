"""Figures of data quality: ingest outcomes and missing values."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from toolkit.figures.style import empty_figure, finish

STATUS_COLOURS = {"loaded": "#009E73", "duplicate": "#999999", "rejected": "#D55E00"}


def figure_ingest_status(attempts: pl.DataFrame) -> go.Figure:
    """Files per format, stacked by ingest status (from ``summaries.ingest_attempts``)."""
    if attempts.height == 0:
        return empty_figure("Nothing has been ingested yet")
    counts = attempts.group_by("format", "status").agg(pl.len().alias("files"))
    formats = sorted({f or "unknown" for f in counts["format"]})
    fig = go.Figure()
    for status, colour in STATUS_COLOURS.items():
        rows = counts.filter(pl.col("status") == status)
        by_format = {
            (f or "unknown"): n for f, n in zip(rows["format"], rows["files"], strict=True)
        }
        fig.add_trace(
            go.Bar(
                y=formats,
                x=[by_format.get(f, 0) for f in formats],
                orientation="h",
                name=status,
                marker_color=colour,
                hovertemplate="%{y}: %{x} file(s)<extra>" + status + "</extra>",
            )
        )
    fig.update_layout(barmode="stack", xaxis_title="files", yaxis_title=None)
    return finish(fig, title="Ingested files by format and status", height=160 + 40 * len(formats))


def figure_missingness(missing: pl.DataFrame, *, value: str = "percent_missing") -> go.Figure:
    """Heatmap of missing values per variable and group (columns ``variable``, ``group`` or
    ``arm``, and ``value``, a percentage)."""
    if missing.height == 0:
        return empty_figure("No missing-data summary for this cohort")
    group = "arm" if "arm" in missing.columns else "group"
    variables = list(dict.fromkeys(missing["variable"].to_list()))
    groups = sorted({str(g) for g in missing[group]})
    lookup = {(r["variable"], str(r[group])): r[value] for r in missing.iter_rows(named=True)}
    z = [[lookup.get((v, g)) for g in groups] for v in variables]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=groups,
            y=variables,
            colorscale="Oranges",
            zmin=0,
            zmax=100,
            texttemplate="%{z:.0f}%",
            colorbar={"title": "% missing"},
            hovertemplate="%{y}, %{x}: %{z:.1f}% missing<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return finish(fig, title="Missing values (% of participants)", height=140 + 30 * len(variables))
