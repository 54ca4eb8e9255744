"""``retrowalk stats STUDY ANALYSIS``: run one cohort analysis and print its result frame.

The cohort is a saved cohort (``--cohort NAME``) or built from filter options; the analysis
frame comes from :mod:`toolkit.analysis_frames` and the numbers from :mod:`toolkit.stats`.
The analysis runs as a one-analysis plan through :mod:`toolkit.analyses` (the layer behind
``analyse``, ``report`` and the dashboard); its caveats (the ``notes`` column) also print to
stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import polars as pl

from toolkit.cli.cohort_options import (
    check_cohort_levels,
    cohort_from_options,
    cohort_options,
)
from toolkit.cli.output import FORMATS, terminal_width, write_frame
from toolkit.errors import UsageError

ANALYSES = ("table1", "change", "ancova", "mixed-model", "mmrm", "dose-response", "responders")


#: CLI analysis names and the plan models they run.
MODELS = {
    "change": "change",
    "ancova": "ancova",
    "mixed-model": "mixed_model",
    "mmrm": "mmrm",
    "dose-response": "dose_response",
    "responders": "responders",
}


def run_analysis(
    study: Any,
    analysis: str,
    cohort: Any,
    *,
    outcomes: tuple[str, ...] = (),
    outcome: str | None = None,
    reference: str | None = None,
    covariates: tuple[str, ...] = (),
    spline_df: int | None = None,
    missing: str = "complete_case",
    alpha: float = 0.05,
    random_slope: str = "auto",
    adjust: str | None = None,
    family: str = "comparison",
) -> pl.DataFrame:
    """The result frame of ``analysis`` on ``cohort`` for each outcome, through the analysis
    layer (:mod:`toolkit.analyses`): statistics columns first, then ``outcome``. ``outcome``
    (one instrument) is the older spelling of ``outcomes``. With ``adjust``, ``p_adjusted`` is
    adjusted within each ``family`` of comparisons, named in ``adjustment_family``."""
    from toolkit.analyses import run_plan
    from toolkit.analyses.adhoc import describe, single_plan

    outcomes = outcomes or ((outcome,) if outcome is not None else ("nrs",))

    if analysis == "table1":
        return describe(study, cohort, outcomes[0])
    if analysis not in MODELS:
        raise UsageError(
            f"ANALYSIS must be one of {', '.join(ANALYSES)}. Got {analysis!r} instead."
        )
    plan = single_plan(
        MODELS[analysis],
        outcomes,
        reference=reference,
        covariates=covariates,
        spline_df=spline_df,
        missing=missing,
        random_slope=random_slope,
        alpha=alpha,
        adjust=adjust,
        family=family,
    )
    table = run_plan(study, plan, cohort)
    from toolkit.stats import RESULT_COLUMNS

    front: tuple[str, ...] = ("analysis", "analysis_role", "model", "population", "outcome")
    front = (*front, "notes", "p_adjusted", "adjustment_family")
    rest = [c for c in table.columns if c not in (*RESULT_COLUMNS, *front)]
    extra = ["p_adjusted", "adjustment_family"] if adjust is not None else []
    return table.select(*RESULT_COLUMNS, *rest, "outcome", *extra)


@click.command()
@click.argument("study", type=click.Path(path_type=Path))
@click.argument("analysis", type=click.Choice(ANALYSES))
@cohort_options
@click.option(
    "--outcome",
    "outcomes",
    multiple=True,
    default=("nrs",),
    show_default=True,
    help="instrument, e.g. nrs, kujala (repeatable: one analysis per outcome)",
)
@click.option(
    "--adjust",
    type=click.Choice(("holm", "fdr_bh")),
    default=None,
    help="adjust the comparisons' p-values within each --family (adds p_adjusted and "
    "adjustment_family)",
)
@click.option(
    "--family",
    type=click.Choice(("comparison", "outcome", "all")),  # toolkit.analyses.families.FAMILIES
    default="comparison",
    show_default=True,
    help="with --adjust, which p-values are adjusted together: comparison (one family per kind "
    "of comparison and visit, across outcomes and arms), outcome (the same, per outcome), all",
)
@click.option(
    "--reference",
    default=None,
    help="comparator arm (default: usual_care if in the cohort, else first alphabetically)",
)
@click.option(
    "--covariate",
    "covariates",
    multiple=True,
    help="extra adjustment column (ancova, mmrm, dose-response), e.g. condition",
)
@click.option("--spline-df", type=click.IntRange(2, 6), default=None, help="dose-response spline")
@click.option(
    "--missing",
    type=click.Choice(("complete_case", "mice")),
    default="complete_case",
    show_default=True,
    help="ancova: complete cases or multiple imputation",
)
@click.option(
    "--random-slope",
    type=click.Choice(("auto", "yes", "no")),
    default="auto",
    show_default=True,
    help="mixed-model: random slope per participant (auto: dropped with a note if singular)",
)
@click.option("--alpha", type=float, default=0.05, show_default=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def stats(
    study: Path,
    analysis: str,
    outcomes: tuple[str, ...],
    adjust: str | None,
    family: str,
    reference: str | None,
    covariates: tuple[str, ...],
    spline_df: int | None,
    missing: str,
    random_slope: str,
    alpha: float,
    fmt: str,
    **cohort_params: Any,
) -> None:
    """Run ANALYSIS (table1, change, ancova, mixed-model, mmrm, dose-response, responders)
    on a cohort of STUDY and print the result table (through the same analysis layer as
    ``analyse``, ``report`` and the dashboard)."""
    from toolkit.study import open_study

    if not study.exists():
        raise click.UsageError(f"no study at {study}")
    cohort = cohort_from_options(cohort_params)
    if adjust is not None and analysis == "table1":
        raise UsageError("--adjust needs an analysis with p-values, not table1.")
    with open_study(study, read_only=True) as opened:
        check_cohort_levels(opened, cohort, outcomes)
        result = run_analysis(
            opened,
            analysis,
            cohort,
            outcomes=tuple(dict.fromkeys(outcomes)),
            reference=reference,
            covariates=covariates,
            spline_df=spline_df,
            missing=missing,
            alpha=alpha,
            random_slope=random_slope,
            adjust=adjust,
            family=family,
        )
    if "notes" in result.columns:
        for notes in result["notes"].drop_nulls().unique(maintain_order=True):
            for note in dict.fromkeys(str(notes).split("; ")):
                click.echo(f"note: {note}", err=True)
    # the current stdout (click runners swap it)
    write_frame(result, fmt, out=sys.stdout, width=terminal_width())
