"""``retrowalk report``: a shareable static report (HTML, optional PDF, data extracts).

Private unless ``--identifiable`` is given: pseudonyms instead of participant IDs, study days
instead of dates, counts below ``--min-cell`` suppressed (see :mod:`toolkit.report.privacy`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from toolkit.cli.cohort_options import (
    check_cohort_levels,
    cohort_from_options,
    cohort_options,
)
from toolkit.cli.engine_options import engine_options, opened_engine
from toolkit.cli.messages import check_writable
from toolkit.cohorts import load_cohort


@click.command("report")
@click.argument(
    "study", required=False, type=click.Path(path_type=Path, exists=True, dir_okay=False)
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="the HTML file to write (self-contained, opens offline)",
)
@click.option(
    "--pdf",
    "pdf",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="also print the report to this PDF (needs Debian's chromium)",
)
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="statistical analysis plan (TOML) to run; default: the built-in plan",
)
@cohort_options
@click.option(
    "--outcome",
    default="nrs",
    show_default=True,
    help="outcome instrument of the default plan's NRS analyses, the flow and the datasets",
)
@click.option(
    "--identifiable",
    is_flag=True,
    help="include raw participant IDs and calendar dates (do not share)",
)
@click.option(
    "--min-cell",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="counts of fewer participants are suppressed",
)
@click.option("--no-extracts", is_flag=True, help="do not write the CSV/Parquet data extracts")
@engine_options
def report(
    study: Path | None,
    out: Path,
    pdf: Path | None,
    outcome: str,
    identifiable: bool,
    min_cell: int,
    no_extracts: bool,
    plan_path: Path | None,
    engine: str,
    lake: Path | None,
    **cohort_params: Any,
) -> None:
    """Write a static report on STUDY: self-contained HTML, optional PDF, data extracts.

    The analyses are those of the statistical analysis plan PLAN (``--plan``; default: the
    built-in plan), run exactly as ``retrowalk analyse`` runs them; the report shows the plan's
    text, its SHA-256 and whether it was locked before the outcome data were loaded.
    With --lake DIR (and --engine spark) the report is built from a Parquet lake instead.

    Extracts (every table and analysed dataset as CSV and Parquet, with data_dictionary.csv)
    go in OUT's folder under ``<name>_data/``.
    """
    from toolkit.analyses import load_plan
    from toolkit.report import build_report

    check_writable(out, "report")  # before the analyses run, not after
    if pdf is not None:
        check_writable(pdf, "PDF")
    plan = load_plan(plan_path) if plan_path is not None else None
    chosen = cohort_from_options(cohort_params)
    with opened_engine(study, engine, lake) as opened:
        if isinstance(chosen, str):
            load_cohort(opened, chosen)  # unknown names fail before any work
        check_cohort_levels(opened, chosen, (outcome,))
        result = build_report(
            opened,
            chosen,
            out,
            pdf=pdf,
            identifiable=identifiable,
            min_cell=min_cell,
            outcome=outcome,
            extracts=not no_extracts,
            plan=plan,
        )
    click.echo(f"report: {result.html}")
    if result.pdf:
        click.echo(f"pdf: {result.pdf}")
    if result.extracts:
        click.echo(f"extracts: {len(result.extracts)} file(s) in {result.extracts[0].parent}")
    timing = ", ".join(f"{stage} {sec:.1f} s" for stage, sec in result.seconds.items())
    click.echo(f"took {timing}")
    if identifiable:
        click.echo("warning: identifiable report (raw IDs and dates): do not share", err=True)
