"""``retrowalk report``: a shareable static report (HTML, optional PDF, data extracts).

Private unless ``--identifiable`` is given: pseudonyms instead of participant IDs, study days
instead of dates, counts below ``--min-cell`` suppressed (see :mod:`toolkit.report.privacy`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from toolkit.cohorts import Cohort, load_cohort
from toolkit.study import open_study


def _cohort(
    study_cohort: str | None, options: dict[str, Any], filters: tuple[str, ...]
) -> Cohort | str | None:
    """A saved cohort's name, or a Cohort from the filter options and ``KEY=VALUE`` filters,
    or None (everyone)."""
    given: dict[str, Any] = {k: v for k, v in options.items() if v not in (None, ())}
    if study_cohort and (filters or given):
        raise click.UsageError("give either --cohort NAME or filter options, not both")
    if study_cohort:
        return study_cohort
    if not filters and not given:
        return None
    pairs: dict[str, Any] = dict(given)
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
@click.option("--arm", "arms", multiple=True, help="keep this arm (repeatable)")
@click.option("--condition", "conditions", multiple=True, help="keep this condition (repeatable)")
@click.option("--sex", "sexes", multiple=True, help="keep this sex (repeatable)")
@click.option("--site", "sites", multiple=True, help="keep this site (repeatable)")
@click.option("--age-min", type=float, default=None)
@click.option("--age-max", type=float, default=None)
@click.option("--bmi-min", type=float, default=None)
@click.option("--bmi-max", type=float, default=None)
@click.option("--min-adherence", type=float, default=None, help="mean weekly adherence, e.g. 0.5")
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="KEY=VALUE",
    help="any other cohort filter, e.g. enrolled_from=2025-03-01 or complete_for=nrs "
    "(repeatable; keys as in toolkit.cohorts.Cohort)",
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
    arms: tuple[str, ...],
    conditions: tuple[str, ...],
    sexes: tuple[str, ...],
    sites: tuple[str, ...],
    age_min: float | None,
    age_max: float | None,
    bmi_min: float | None,
    bmi_max: float | None,
    min_adherence: float | None,
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

    options = {
        "arms": arms,
        "conditions": conditions,
        "sexes": sexes,
        "sites": sites,
        "age_min": age_min,
        "age_max": age_max,
        "bmi_min": bmi_min,
        "bmi_max": bmi_max,
        "min_adherence": min_adherence,
    }
    chosen = _cohort(cohort_name, options, filters)
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
