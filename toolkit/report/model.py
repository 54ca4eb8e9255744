"""The parts a report is made of: sections holding text, tables and figures, and data extracts.

Everything here is already privatised: the renderer and the extract writer show what they are
given. Keeping the content separate from the HTML lets the same report feed the HTML file, the
PDF, the data extracts and the dashboard's download button.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import polars as pl

from toolkit.report.privacy import PrivacyPolicy
from toolkit.report.provenance import Provenance


@dataclass
class Table:
    """A table as the report shows it.

    Attributes
    ----------
    key
        File stem of its data extract (``table1``) and its HTML id.
    title
        Caption.
    frame
        The rows, privatised: participant counts already suppressed (text such as ``<5``).
    count_columns
        Columns holding counts of participants (the report marks them so they can be audited).
    note
        A sentence under the table (e.g. what suppression did).
    columns
        Column descriptions for the data dictionary.
    """

    key: str
    title: str
    frame: pl.DataFrame
    count_columns: tuple[str, ...] = ()
    note: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)
    #: What its counts count (an analysis result, or the participant frame it summarises), for
    #: the report-wide suppression (:mod:`toolkit.report.published_counts`).
    source: Any = None


@dataclass
class Figure:
    """A plotly figure with its caption and the groups dropped for privacy."""

    key: str
    title: str
    figure: go.Figure
    caption: str = ""
    dropped_groups: list[str] = field(default_factory=list)
    #: The analysis result it draws, for the report-wide suppression.
    source: Any = None


@dataclass
class Section:
    """One titled part of the report."""

    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    unavailable: str | None = None
    preformatted: str = ""


@dataclass
class Dataset:
    """A participant-level analysed dataset, written next to the report as CSV and Parquet."""

    key: str
    title: str
    frame: pl.DataFrame
    columns: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ReportContent:
    """Everything one report shows, privatised."""

    title: str
    policy: PrivacyPolicy
    cohort_text: str
    sections: list[Section]
    datasets: list[Dataset]
    provenance: Provenance
    warnings: list[str] = field(default_factory=list)
    #: The report-wide suppression's model: every modelled count and whether it is shown
    #: (:class:`toolkit.report.published_counts.Protection`), for checks.
    suppression: Any = None

    def tables(self) -> list[Table]:
        """Every table of every section, in order."""
        return [t for s in self.sections for t in s.tables]


@dataclass(frozen=True)
class ReportResult:
    """What :func:`toolkit.report.build_report` wrote.

    Attributes
    ----------
    html
        The self-contained HTML file.
    pdf
        The PDF file, when one was asked for.
    extracts
        The data extract files (CSV, Parquet, data dictionary) in the extracts folder.
    sections
        Keys of the sections the report holds, in order.
    seconds
        Wall-clock time spent, by stage (collect, analyse, render, pdf, extracts).
    generated_on
        The report's date.
    """

    html: Path
    pdf: Path | None
    extracts: tuple[Path, ...]
    sections: tuple[str, ...]
    seconds: Mapping[str, float]
    generated_on: date
