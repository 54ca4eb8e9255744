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

from toolkit.cli.output import FORMATS, write_frame
from toolkit.errors import StatsWarning, UsageError

ANALYSES = ("table1", "change", "ancova", "mixed-model", "mmrm", "dose-response", "responders")


def _cohort(name: str | None, filters: dict[str, Any]) -> Any:
    """A saved cohort's name, or a Cohort built from the filter options."""
    from toolkit.cohorts import Cohort

    given = {k: v for k, v in filters.items() if v not in (None, ())}
    if name is not None:
        if given:
            raise UsageError("Use either --cohort or filter options, not both.")
        return name
    return Cohort.from_dict(given)


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


@click.command()
@click.argument("study", type=click.Path(path_type=Path))
@click.argument("analysis", type=click.Choice(ANALYSES))
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
@click.option("--outcome", default="nrs", show_default=True, help="instrument, e.g. nrs, kujala")
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
    outcome: str,
    reference: str | None,
    covariates: tuple[str, ...],
    spline_df: int | None,
    missing: str,
    alpha: float,
    fmt: str,
) -> None:
    """Run ANALYSIS (table1, change, ancova, mixed-model, mmrm, dose-response, responders)
    on a cohort of STUDY and print the result table."""
    from toolkit.study import open_study

    if not study.exists():
        raise click.UsageError(f"no study at {study}")
    filters = {
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
    with open_study(study, read_only=True) as opened:
        cohort = _cohort(cohort_name, filters)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StatsWarning)
            result = run_analysis(
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
    for warning in caught:
        if issubclass(warning.category, StatsWarning):
            click.echo(f"warning: {warning.message}", err=True)
    write_frame(result, fmt, out=sys.stdout)  # the current stdout (click runners swap it)
