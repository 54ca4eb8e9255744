"""Charts and tables with their download buttons.

Files are made only when a button is clicked (Streamlit's deferred ``data`` callable), so a
page run never pays for a CSV of a large table or a PNG render it may not need. PNG and SVG go
through kaleido and the local Chromium; where that is missing, the buttons say why and the
figure's self-contained HTML is offered instead (always offered: it keeps the interactivity).
"""

from __future__ import annotations

import re
from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard.text import plain
from toolkit import format as fmt
from toolkit.figures import static_export_problem, to_html, to_image
from toolkit.safe_export import safe_csv


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "figure"


def csv_text(frame: pl.DataFrame) -> str:
    """``frame`` as the CSV a person downloads: formula-like cells defused
    (:mod:`toolkit.safe_export`)."""
    return safe_csv(frame) or ""


def csv_button(frame: pl.DataFrame, name: str, *, key: str, label: str = "Download CSV") -> None:
    """A button downloading ``frame`` as ``name.csv`` (formula-like cells defused, see
    :mod:`toolkit.safe_export`)."""
    st.download_button(
        label,
        data=lambda: csv_text(frame),
        file_name=f"{_slug(name)}.csv",
        mime="text/csv",
        key=key,
        on_click="ignore",
        icon=":material/download:",
    )


#: Columns whose values are category levels, shown as words (``Usual care``, ``Knee OA``).
LEVEL_COLUMNS = frozenset(
    {"arm", "group", "condition", "sex", "site", "instrument", "level", "outcome", "direction"}
)


def display_frame(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, Any]]:
    """``frame`` as shown (the CSV keeps the original): one formatter with the report
    (:mod:`toolkit.format`): p-values ``<0.001``, one number of decimals per column, no
    ``None``, levels and headers as words, units on age and BMI.

    Returns the frame to display and its ``column_config`` (headers, number formats). Numeric
    columns without missing values stay numbers (they sort as numbers), formatted by the grid;
    p-values and columns with missing values become text.
    """
    columns: list[pl.Series] = []
    config: dict[str, Any] = {}
    for name in frame.columns:
        series = frame[name]
        dtype = series.dtype
        label = fmt.header_label(name)
        if dtype == pl.String and name in LEVEL_COLUMNS:
            series = series.replace_strict(
                {v: fmt.level_label(v) for v in series.drop_nulls().unique().to_list()},
                default=series,
            ).fill_null("")
        elif dtype == pl.String and name == "term":
            series = series.map_elements(fmt.term_label, return_dtype=pl.String).fill_null("")
        elif (dtype.is_float() and fmt.is_p_column(name)) or (
            dtype.is_numeric() and series.null_count()
        ):
            series = pl.Series(name, fmt.format_column(series.to_list(), name), dtype=pl.String)
        elif dtype.is_float():
            decimals = fmt.decimals_for(series.to_list())
            config[name] = st.column_config.NumberColumn(label, format=f"%.{decimals}f")
        elif dtype == pl.String:
            series = series.fill_null("")
        elif dtype == pl.Boolean:
            series = pl.Series(name, fmt.format_column(series.to_list(), name), dtype=pl.String)
        columns.append(series)
        config.setdefault(name, st.column_config.Column(label))
    return pl.DataFrame(columns) if columns else frame, config


def table(frame: pl.DataFrame, name: str, *, key: str) -> None:
    """``frame`` as an interactive table (formatted for reading) with its CSV download (exact)."""
    shown, config = display_frame(frame)
    st.dataframe(shown, hide_index=True, key=f"{key}_table", column_config=config)
    csv_button(frame, name, key=f"{key}_csv")


def figure(fig: go.Figure, name: str, *, key: str) -> None:
    """``fig`` as an interactive chart, with PNG, SVG and HTML downloads under it."""
    st.plotly_chart(fig, width="stretch", key=f"{key}_chart", config={"displaylogo": False})
    slug = _slug(name)
    problem = static_export_problem()
    columns = st.columns([1, 1, 1, 4])
    if problem is None:
        columns[0].download_button(
            "PNG",
            data=lambda: to_image(fig, "png"),
            file_name=f"{slug}.png",
            mime="image/png",
            key=f"{key}_png",
            on_click="ignore",
            icon=":material/image:",
        )
        columns[1].download_button(
            "SVG",
            data=lambda: to_image(fig, "svg"),
            file_name=f"{slug}.svg",
            mime="image/svg+xml",
            key=f"{key}_svg",
            on_click="ignore",
            icon=":material/draw:",
        )
    else:
        columns[0].caption(f"PNG/SVG unavailable: {plain(problem)}.")
    columns[2].download_button(
        "HTML",
        data=lambda: to_html(fig),
        file_name=f"{slug}.html",
        mime="text/html",
        key=f"{key}_html",
        on_click="ignore",
        icon=":material/code:",
    )
