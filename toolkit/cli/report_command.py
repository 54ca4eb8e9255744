"""``retrowalk report``: a shareable static report (HTML, optional PDF, data extracts).

Private unless ``--identifiable`` is given: pseudonyms instead of participant IDs, study days
instead of dates, counts below ``--min-cell`` suppressed (see :mod:`toolkit.report.privacy`).
"""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.cohorts import Cohort, load_cohort
from toolkit.study import open_study


def _cohort(study_cohort: str | None, filters: tuple[str, ...]) -> Cohort | str | None:
    """A saved cohort's name, or a Cohort from ``KEY=VALUE`` filters, or None (everyone)."""
    if study_cohort and filters:
        raise click.UsageError("give either --cohort NAME or --filter KEY=VALUE, not both")
    if study_cohort:
        return study_cohort
    if not filters:
        return None
    pairs: dict[str, str] = {}
    for item in filters:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.UsageError(
                f"--filter takes KEY=VALUE (e.g. arms=retro,forward); got {item!r}"
            )
        pairs[key.strip()] = value.strip()
    return Cohort.from_dict(pairs)


@click.command("report")
@click.argument("study", type=click.Path(path_type=Path, exists=True, dir_okay=False))
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
@click.option("--cohort", "cohort_name", default=None, help="a saved cohort's name")
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="KEY=VALUE",
    help="a cohort filter instead of --cohort, e.g. arms=retro,forward or age_min=40 "
    "(repeat for more; keys as in toolkit.cohorts.Cohort)",
)
@click.option("--outcome", default="nrs", show_default=True, help="primary outcome instrument")
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
def report(
    study: Path,
    out: Path,
    pdf: Path | None,
    cohort_name: str | None,
    filters: tuple[str, ...],
    outcome: str,
    identifiable: bool,
    min_cell: int,
    no_extracts: bool,
) -> None:
    """Write a static report on STUDY: self-contained HTML, optional PDF, data extracts.

    Extracts (every table and analysed dataset as CSV and Parquet, with data_dictionary.csv)
    go in OUT's folder under ``<name>_data/``.
    """
    from toolkit.report import build_report

    chosen = _cohort(cohort_name, filters)
    with open_study(study, read_only=True) as opened:
        if isinstance(chosen, str):
            load_cohort(opened, chosen)  # unknown names fail before any work
        result = build_report(
            opened,
            chosen,
            out,
            pdf=pdf,
            identifiable=identifiable,
            min_cell=min_cell,
            outcome=outcome,
            extracts=not no_extracts,
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
