"""``retrowalk stats STUDY ANALYSIS``: run one cohort analysis and print its result frame.

The cohort is a saved cohort (``--cohort NAME``) or built from filter options; the analysis
frame comes from :mod:`toolkit.analysis_frames` and the numbers from :mod:`toolkit.stats`.
Statistical caveats (:class:`~toolkit.errors.StatsWarning`) are printed to stderr.
"""

from __future__ import annotations

import sys
import warnings
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
from toolkit.errors import StatsWarning, UsageError

ANALYSES = ("table1", "change", "ancova", "mixed-model", "mmrm", "dose-response", "responders")


#: The comparator arm used when --reference is not given and the cohort has it.
DEFAULT_REFERENCE = "usual_care"


def _reference(data: pl.DataFrame, given: str | None) -> str | None:
    """``given``, else usual care when present in the data, else the functions' default."""
    if given is not None or "arm" not in data.columns:
        return given
    return DEFAULT_REFERENCE if DEFAULT_REFERENCE in set(data["arm"].to_list()) else None


def run_analysis(
    study: Any,
    analysis: str,
    cohort: Any,
    *,
    outcome: str,
    reference: str | None,
    covariates: tuple[str, ...],
    spline_df: int | None,
    missing: str,
    alpha: float,
) -> pl.DataFrame:
    """The result frame of ``analysis`` on ``cohort`` (the CLI's work, callable from Python)."""
    from toolkit import analysis_frames as frames
    from toolkit import stats

    if analysis == "table1":
        data = frames.outcome_frame(study, cohort, outcome)
        return stats.table1(
            data, continuous=("age", "bmi", "baseline", "retro_minutes", "adherence")
        )
    if analysis == "change":
        return stats.change_from_baseline(frames.outcome_frame(study, cohort, outcome), alpha=alpha)
    if analysis == "ancova":
        data = frames.outcome_frame(study, cohort, outcome)
        return stats.ancova(
            data,
            covariates=covariates,
            reference=_reference(data, reference),
            missing=missing,
            alpha=alpha,
        )
    if analysis == "mixed-model":
        data = frames.trajectory_frame(study, cohort, outcome)
        return stats.mixed_model(
            data,
            outcome="score",
            time="study_week",
            group="arm",
            reference=_reference(data, reference),
            alpha=alpha,
        )
    if analysis == "mmrm":
        data = frames.visit_frame(study, cohort, outcome)
        return stats.mmrm(
            data,
            outcome="change",
            visit="visit",
            group="arm",
            baseline="baseline",
            covariates=covariates,
            reference=_reference(data, reference),
            alpha=alpha,
        )
    if analysis == "dose-response":
        return stats.dose_response(
            frames.outcome_frame(study, cohort, outcome),
            covariates=("baseline", *covariates),
            spline_df=spline_df,
            alpha=alpha,
        )
    if analysis == "responders":
        data = frames.outcome_frame(study, cohort, outcome)
        return stats.responders(data, reference=_reference(data, reference), alpha=alpha)
    raise UsageError(f"ANALYSIS must be one of {', '.join(ANALYSES)}. Got {analysis!r} instead.")


def comparison_rows(frame: pl.DataFrame, analysis: str) -> pl.Expr:
    """The rows holding each analysis's comparisons of interest (what --adjust adjusts)."""
    role = pl.col("role") if "role" in frame.columns else pl.lit(None, dtype=pl.String)
    if analysis == "change":
        return pl.lit(True)  # one within-arm test per arm
    if analysis in ("ancova", "mmrm"):
        return role == "difference"
    if analysis == "responders":
        return role == "risk_difference"
    if analysis == "mixed-model":
        return (role == "fixed") & pl.col("term").str.contains(":", literal=True)
    if analysis == "dose-response":
        return ((role == "coefficient") & (pl.col("term") == "retro_minutes")) | (
            (role == "test") & pl.col("term").str.ends_with("overall")
        )
    return pl.lit(False)


def adjust_comparisons(frame: pl.DataFrame, analysis: str, method: str) -> pl.DataFrame:
    """``frame`` with ``p_adjusted`` for the comparison rows (null elsewhere)."""
    from toolkit.stats import adjust_pvalues

    indexed = frame.with_row_index("_row")
    chosen = indexed.filter(comparison_rows(frame, analysis) & pl.col("p_value").is_not_null())
    adjusted = adjust_pvalues(chosen, method=method).select("_row", "p_adjusted")
    return indexed.join(adjusted, on="_row", how="left").sort("_row").drop("_row")


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
    help="adjust the comparisons' p-values across outcomes and arms (adds p_adjusted)",
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
@click.option("--alpha", type=float, default=0.05, show_default=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def stats(
    study: Path,
    analysis: str,
    outcomes: tuple[str, ...],
    adjust: str | None,
    reference: str | None,
    covariates: tuple[str, ...],
    spline_df: int | None,
    missing: str,
    alpha: float,
    fmt: str,
    **cohort_params: Any,
) -> None:
    """Run ANALYSIS (table1, change, ancova, mixed-model, mmrm, dose-response, responders)
    on a cohort of STUDY and print the result table."""
    from toolkit.study import open_study

    if not study.exists():
        raise click.UsageError(f"no study at {study}")
    cohort = cohort_from_options(cohort_params)
    with open_study(study, read_only=True) as opened:
        if adjust is not None and analysis == "table1":
            raise UsageError("--adjust needs an analysis with p-values, not table1.")
        check_cohort_levels(opened, cohort, outcomes)
        parts = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StatsWarning)
            for outcome in dict.fromkeys(outcomes):
                part = run_analysis(
                    opened,
                    analysis,
                    cohort,
                    outcome=outcome,
                    reference=reference,
                    covariates=covariates,
                    spline_df=spline_df,
                    missing=missing,
                    alpha=alpha,
                )
                parts.append(part.with_columns(pl.lit(outcome).alias("outcome")))
        result = pl.concat(parts, how="diagonal_relaxed")
        if adjust is not None:
            result = adjust_comparisons(result, analysis, adjust)
    for warning in caught:
        if issubclass(warning.category, StatsWarning):
            click.echo(f"warning: {warning.message}", err=True)
    # the current stdout (click runners swap it)
    write_frame(result, fmt, out=sys.stdout, width=terminal_width())
