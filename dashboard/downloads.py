"""Charts and tables with their download buttons.

Files are made only when a button is clicked (Streamlit's deferred ``data`` callable), so a
page run never pays for a CSV of a large table or a PNG render it may not need. PNG and SVG go
through kaleido and the local Chromium; where that is missing, the buttons say why and the
figure's self-contained HTML is offered instead (always offered: it keeps the interactivity).
"""

from __future__ import annotations

import re

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard.text import plain
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


#: Display formats of the statistics' result columns (the CSV keeps full precision).
_FORMATS = {
    "estimate": "%.3f",
    "ci_low": "%.3f",
    "ci_high": "%.3f",
    "statistic": "%.3f",
    "std_error": "%.3f",
    "sd": "%.3f",
    "mean": "%.3f",
    "df": "%.1f",
    "p_value": "%.4f",
}


def table(frame: pl.DataFrame, name: str, *, key: str) -> None:
    """``frame`` as an interactive table with its CSV download."""
    config = {
        column: st.column_config.NumberColumn(format=fmt)
        for column, fmt in _FORMATS.items()
        if column in frame.columns and frame.schema[column].is_float()
    }
    st.dataframe(frame, hide_index=True, key=f"{key}_table", column_config=config)
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
