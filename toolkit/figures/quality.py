"""Figures of data quality: ingest outcomes and missing values."""

from __future__ import annotations

from collections.abc import Iterable

import plotly.graph_objects as go
import polars as pl

from toolkit.figures.style import Trace, empty_figure, label, make_figure
from toolkit.format import order_arms

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


#: How a heatmap cell that does not apply reads (e.g. adherence in an arm with no prescription).
NOT_APPLICABLE = "not applicable"


def figure_missingness(
    missing: pl.DataFrame,
    *,
    value: str = "percent_missing",
    not_applicable: Iterable[tuple[str, str]] = (),
) -> go.Figure:
    """Heatmap of missing values per variable and group (from ``toolkit.stats.missing_summary``:
    columns ``variable``, ``group`` or ``arm``, and ``value``, a percentage).

    ``not_applicable`` lists (variable, group) cells where a value cannot exist (adherence in an
    arm without a walking prescription): they show "not applicable" in grey, not "100% missing"
    in red, and the "all" group counts only the groups where the variable applies."""
    if missing.height == 0:
        return empty_figure("No missing-data summary for this cohort")
    group = "arm" if "arm" in missing.columns else "group"
    skip = {(str(v), str(g)) for v, g in not_applicable}
    shown = applicable_totals(missing, skip, group=group, value=value)
    variables = list(dict.fromkeys(shown["variable"].to_list()))
    groups = order_arms(str(g) for g in shown[group])
    lookup = {(r["variable"], str(r[group])): r[value] for r in shown.iter_rows(named=True)}
    z = [[None if (v, g) in skip else lookup.get((v, g)) for g in groups] for v in variables]
    text = [
        [
            NOT_APPLICABLE if (v, g) in skip else "" if z[i][j] is None else f"{z[i][j]:.0f}%"
            for j, g in enumerate(groups)
        ]
        for i, v in enumerate(variables)
    ]
    traces: list[Trace] = [
        {
            "type": "heatmap",
            "z": z,
            "x": [label(g) for g in groups],
            "y": [label(v) for v in variables],
            "text": text,
            "texttemplate": "%{text}",
            "colorscale": [[0.0, "#fff5eb"], [1.0, "#a63603"]],
            "zmin": 0,
            "zmax": 100,
            "colorbar": {"title": {"text": "% missing"}},
            "hovertemplate": "%{y}, %{x}: %{text} missing<extra></extra>",
            "hoverongaps": False,
        }
    ]
    return make_figure(
        traces,
        {"yaxis": {"autorange": "reversed"}, "plot_bgcolor": "#eeeeee"},
        title="Missing values (% of participants)",
        height=160 + 30 * len(variables),
    )


def applicable_totals(
    missing: pl.DataFrame,
    not_applicable: set[tuple[str, str]],
    *,
    group: str = "group",
    value: str = "percent_missing",
) -> pl.DataFrame:
    """``missing`` with the not-applicable cells' percentage null and each variable's ``all``
    row recounted over the groups where it applies (so usual care's absent adherence does not
    make a third of everyone's adherence "missing")."""
    if not not_applicable or not {"n", "missing"} <= set(missing.columns):
        return missing
    rows = []
    for row in missing.iter_rows(named=True):
        key = (str(row["variable"]), str(row[group]))
        if key in not_applicable:
            row = {**row, value: None}
        elif str(row[group]) == "all":
            parts = missing.filter(
                (pl.col("variable") == row["variable"]) & (pl.col(group).cast(pl.String) != "all")
            )
            kept = [
                r
                for r in parts.iter_rows(named=True)
                if (str(r["variable"]), str(r[group])) not in not_applicable
            ]
            n = sum(int(r["n"]) for r in kept)
            lost = sum(int(r["missing"]) for r in kept)
            row = {**row, "n": n, "missing": lost, value: 100.0 * lost / n if n else None}
        rows.append(row)
    return pl.DataFrame(rows, schema=missing.schema)
