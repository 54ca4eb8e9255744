"""Render a :class:`~toolkit.report.model.ReportContent` to one self-contained HTML document.

The file must open offline, from disk or an email attachment, years from now: so nothing is
fetched. The stylesheet is inlined from the packaged templates, fonts are the reader's system
fonts, plotly.js is inlined exactly once (``plotly.offline.get_plotlyjs()``) and each figure is a
``fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False)`` fragment, so the
charts stay interactive without a network.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import plotly.graph_objects as go
import plotly.offline
import polars as pl
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from toolkit import format as fmt
from toolkit.report.model import Figure, ReportContent, Table

#: plotly's config for report figures: no logo link, no "edit in chart studio" link.
FIGURE_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "showSendToCloud": False,
    "responsive": True,
    "toImageButtonOptions": {"format": "svg"},
}


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle shipped with the installed plotly (about 4.8 MB), read once.

    Inlined unchanged; it must not contain ``</script`` (it would end the script element).
    """
    bundle = plotly.offline.get_plotlyjs()
    if "</script" in bundle.lower():
        raise RuntimeError("this plotly.js bundle cannot be inlined: it contains '</script'")
    return bundle


#: Columns whose values are category levels (shown as ``Usual care``, ``Knee OA``, ...).
LEVEL_COLUMNS = frozenset(
    {"arm", "group", "condition", "sex", "site", "instrument", "level", "outcome", "direction"}
)


def format_value(value: object, column: str = "") -> str:
    """A table cell as text (:mod:`toolkit.format`, the dashboard's formatter too): p-values
    as ``<0.001``/``0.012``, numbers to three significant digits, missing as empty."""
    return fmt.format_value(value, column)


def cell_texts(frame: pl.DataFrame, column: str) -> list[str]:
    """A column's cells as shown: one number of decimals down the column, levels and terms as
    words, the variable names of Table 1 as their labels."""
    values = frame[column].to_list()
    if column in LEVEL_COLUMNS:
        return [fmt.level_label(v) for v in values]
    if column == "term":
        return [fmt.term_label(v) for v in values]
    if column == "variable":
        return ["" if v is None else fmt.column_label(str(v)) for v in values]
    return fmt.format_column(values, column)


def table_html(table: Table) -> Markup:
    """One table; cells of participant-count columns carry ``class="n"`` for auditing."""
    frame = table.frame
    head = "".join(
        f'<th title="{_escape(c)}">{_escape(fmt.header_label(c))}</th>' for c in frame.columns
    )
    texts = [cell_texts(frame, c) for c in frame.columns]
    body = []
    counts = set(table.count_columns)
    for row in range(frame.height):
        cells = []
        for column, column_texts in zip(frame.columns, texts, strict=True):
            css = ' class="n"' if column in counts else ""
            cells.append(f"<td{css}>{_escape(column_texts[row])}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    if not body:
        width = max(1, frame.width)
        body.append(f'<tr><td colspan="{width}" class="empty">no rows</td></tr>')
    return Markup(
        f'<table id="table-{_escape(table.key)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def svg_only(fig: go.Figure) -> go.Figure:
    """``fig`` with WebGL ``scattergl`` traces redrawn as SVG ``scatter`` traces.

    The figure builders use WebGL for many-point traces (fast on screen); a report is a
    document: SVG prints as vectors, and headless Chromium without a GPU draws WebGL in
    software, which made printing the demo report's PDF about 3 s slower.
    """
    if not any(trace.type == "scattergl" for trace in fig.data):
        return fig
    out = go.Figure(fig)
    out.data = ()
    for trace in fig.data:
        if trace.type == "scattergl":
            spec = trace.to_plotly_json()
            spec.pop("type", None)
            out.add_trace(go.Scatter(spec))
        else:
            out.add_trace(trace)
    return out


#: plotly's config for the copy printed to PDF: no hover layers or event handlers to set up.
PRINT_CONFIG: dict[str, Any] = {**FIGURE_CONFIG, "staticPlot": True, "responsive": False}


def figure_html(figure: Figure, static: bool = False) -> Markup:
    """One figure as a fragment relying on the page's single plotly.js (interactive unless
    ``static``, the variant printed to PDF)."""
    fragment = svg_only(figure.figure).to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        config=PRINT_CONFIG if static else FIGURE_CONFIG,
        div_id=f"figure-{figure.key}",
        default_height="440px",
        default_width="100%",
    )
    return Markup(fragment)


def _escape(value: object) -> str:
    return str(Markup.escape(str(value)))


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("toolkit.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["table_html"] = table_html
    env.filters["figure_html"] = figure_html
    env.filters["value"] = format_value
    return env


def render_html(content: ReportContent, *, static: bool = False) -> str:
    """The report as one HTML document (plotly.js inlined once, nothing fetched).

    ``static`` renders the variant printed to PDF: the same page with non-interactive charts,
    which headless Chromium draws faster.
    """
    env = _environment()
    css = env.loader.get_source(env, "report.css")[0] if env.loader else ""
    template = env.get_template("report.html.j2")
    summary = content.provenance.ingest_summary
    return template.render(
        content=content,
        css=Markup(css),
        static=static,
        plotly_js=Markup(plotly_js()),
        ingest_table=Table("ingest-summary", "Ingest log by format and status", summary),
        ingest_files=Table("ingest-files", "Ingested files", content.provenance.ingest_files),
    )
