"""Ad-hoc analyses (``retrowalk stats``) as one-off plans, so they run through the same layer.

:func:`single_plan` turns the options of one analysis on one or more outcomes into a
:class:`~toolkit.analyses.plan.Plan` (one ``secondary`` analysis per outcome, multiplicity
across them only when asked); :func:`describe` is the descriptive Table 1 of a cohort.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from toolkit import analysis_frames as frames
from toolkit.analyses.plan import (
    COVARIATES,
    MODELS,
    RANDOM_SLOPE,
    AnalysisSpec,
    Plan,
    Population,
)
from toolkit.cohorts import Cohort
from toolkit.errors import UsageError
from toolkit.instruments import gait_measures, instruments


def single_plan(
    model: str,
    outcomes: tuple[str, ...],
    *,
    reference: str | None = None,
    covariates: tuple[str, ...] = (),
    spline_df: int | None = None,
    missing: str = "complete_case",
    random_slope: str = "auto",
    alpha: float = 0.05,
    adjust: str | None = None,
    family: str = "comparison",
) -> Plan:
    """A plan holding ``model`` on each of ``outcomes`` with these options.

    ``covariates`` given here are explicit: for a dose-response they are added to baseline and
    a collinear one is refused (with no covariates the model's default adjustment applies).
    ``adjust`` adjusts p-values within each ``family`` (:mod:`toolkit.analyses.families`).
    """
    if model not in MODELS:
        raise UsageError(f"The 'model' must be one of {', '.join(MODELS)}. Got {model!r} instead.")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise UsageError(
            f"The 'alpha' parameter of {model} must be a float in (0, 1). Got {alpha!r} instead."
        )
    if random_slope not in RANDOM_SLOPE:
        raise UsageError(
            f"The 'random_slope' must be one of {', '.join(RANDOM_SLOPE)}. "
            f"Got {random_slope!r} instead."
        )
    known = (*instruments(), *gait_measures())
    for outcome in outcomes:
        if outcome not in known:
            raise UsageError(
                f"The 'outcome' must be one of {', '.join(sorted(known))}. Got {outcome!r} instead."
            )
    for covariate in covariates:
        if covariate not in COVARIATES:
            raise UsageError(
                f"The 'covariate' must be one of {', '.join(COVARIATES)}. "
                f"Got {covariate!r} instead."
            )
    chosen: tuple[str, ...] | None = None
    if covariates:
        chosen = ("baseline", *covariates) if model == "dose_response" else covariates
    specs = tuple(
        AnalysisSpec(
            id=f"{model}_{outcome}",
            outcome=outcome,
            model=model,
            role="exploratory" if model == "dose_response" else "secondary",
            estimand="ad-hoc analysis (retrowalk stats)",
            covariates=chosen,
            spline_df=spline_df,
            random_slope=random_slope,
            missing=missing,
            reference_arm=reference,
            observational=model == "dose_response",
        )
        for outcome in dict.fromkeys(outcomes)
    )
    return Plan(
        title=f"retrowalk stats {model}",
        analyses=specs,
        populations={"itt": Population("itt", "the cohort as selected")},
        reference_arm=reference or "auto",
        alpha=alpha,
        multiplicity=adjust or "none",
        multiplicity_roles=("secondary", "exploratory"),
        multiplicity_family=family,
        text="",
        source="<retrowalk stats>",
    )


def describe(study: Any, cohort: Cohort | str | None, outcome: str = "nrs") -> pl.DataFrame:
    """Table 1 of the cohort by arm: age, BMI, baseline score of ``outcome``, weekly retro
    minutes, adherence, sex, condition and site (:func:`toolkit.stats.table1`)."""
    from toolkit import stats

    data = frames.outcome_frame(study, cohort, outcome)
    return stats.table1(data, continuous=("age", "bmi", "baseline", "retro_minutes", "adherence"))
