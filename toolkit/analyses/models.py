"""One planned analysis, run: the model on its frame, with its caveats as data.

Each ``run_<model>`` takes the analysis's :class:`Inputs` (its frames, reference arm, scale)
and returns an :class:`AnalysisResult`. Nothing here reads the study: :mod:`toolkit.analyses.run`
builds the inputs from public views. Every caveat (rows excluded, a covariate dropped, a fit
that fell back, a curve cut at the scale) is a note in the result, never a Python warning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from toolkit import stats
from toolkit.analyses.caveats import collect_notes
from toolkit.analyses.plan import AnalysisSpec
from toolkit.analyses.safety import collinear_covariates, is_singular, keep_in_range
from toolkit.errors import UsageError

#: Default adjustment of a dose-response: baseline, and the other walking direction's minutes
#: (so one direction is not credited with the other; datasets/retrowalk_demo/MODEL.md).
OTHER_EXPOSURE = {"retro_minutes": "forward_minutes", "forward_minutes": "retro_minutes"}


@dataclass
class Inputs:
    """What one analysis needs: its frames (already restricted to its population and to the
    conditions its outcome applies to), the reference arm and the outcome's range."""

    spec: AnalysisSpec
    frame: pl.DataFrame
    long: Callable[[], pl.DataFrame]
    reference: str | None
    arms: list[str]
    scale: tuple[float, float]
    mcid_text: str | None
    alpha: float
    notes: list[str] = field(default_factory=list)
    higher_is_better: bool = False


@dataclass
class AnalysisResult:
    """One analysis as run.

    Attributes
    ----------
    spec
        The plan's analysis.
    table
        The statistics function's tidy result (empty when not run).
    status
        ``"ok"``, ``"not_applicable"`` (the outcome is not collected for this cohort) or
        ``"not_estimable"`` (the cohort cannot support the model; the notes say why).
    notes
        Caveats in words.
    data
        The frame analysed (one row per participant, or per score / visit for mixed models).
    curve
        Fitted curve with CI band (dose-response, mixed model), kept inside the outcome's range.
    reference
        The reference arm of between-arm comparisons.
    covariates
        Adjustment covariates actually used.
    """

    spec: AnalysisSpec
    table: pl.DataFrame
    status: str = "ok"
    notes: list[str] = field(default_factory=list)
    data: pl.DataFrame = field(default_factory=pl.DataFrame)
    curve: pl.DataFrame | None = None
    reference: str | None = None
    covariates: tuple[str, ...] = ()


def _adjustment(inputs: Inputs, default: tuple[str, ...]) -> tuple[str, ...]:
    """The analysis's covariates plus stratification factors; a factor with one level in the
    data is dropped with a note (it cannot be estimated)."""
    spec = inputs.spec
    chosen = spec.covariates if spec.covariates is not None else default
    wanted = list(dict.fromkeys([*chosen, *spec.stratification]))
    kept = []
    for name in wanted:
        column = inputs.frame[name] if name in inputs.frame.columns else None
        if column is not None and not column.dtype.is_numeric() and column.n_unique() < 2:
            inputs.notes.append(f"{name} has one level in this cohort and is not adjusted for")
            continue
        kept.append(name)
    return tuple(kept)


def _between_arms(inputs: Inputs) -> str | None:
    """Why between-arm comparisons cannot run, or None."""
    if len(inputs.arms) < 2:
        shown = ", ".join(inputs.arms) or "none"
        return f"needs at least two arms; this cohort has {shown}"
    return None


def _fit(inputs: Inputs, func: Callable[[], pl.DataFrame]) -> tuple[pl.DataFrame | None, str]:
    """Run ``func`` collecting its notes; a usage error (the data cannot support the model)
    becomes the not-estimable reason."""
    try:
        table, notes = collect_notes(func)
    except UsageError as exc:
        return None, str(exc)
    inputs.notes.extend(notes)
    return table, ""


def _result(
    inputs: Inputs, table: pl.DataFrame | None, why: str, **extra: object
) -> AnalysisResult:
    if table is None:
        inputs.notes.append(why)
        return AnalysisResult(
            inputs.spec,
            pl.DataFrame(),
            "not_estimable",
            inputs.notes,
            inputs.frame,
            reference=inputs.reference,
        )
    return AnalysisResult(
        inputs.spec,
        table,
        "ok",
        inputs.notes,
        reference=inputs.reference,
        **extra,  # type: ignore[arg-type]
    )


def run_change(inputs: Inputs) -> AnalysisResult:
    """Within-arm change from baseline (paired t)."""
    table, why = _fit(inputs, lambda: stats.change_from_baseline(inputs.frame, alpha=inputs.alpha))
    return _result(inputs, table, why, data=inputs.frame)


def run_ancova(inputs: Inputs) -> AnalysisResult:
    """Follow-up by arm adjusted for baseline (+ stratification factors and covariates)."""
    reason = _between_arms(inputs)
    if reason:
        return _result(inputs, None, f"ANCOVA {reason}")
    covariates = tuple(c for c in _adjustment(inputs, ()) if c != "baseline")
    table, why = _fit(
        inputs,
        lambda: stats.ancova(
            inputs.frame,
            covariates=covariates,
            reference=inputs.reference,
            missing=inputs.spec.missing,
            alpha=inputs.alpha,
        ),
    )
    return _result(inputs, table, why, data=inputs.frame, covariates=("baseline", *covariates))


def _responder_frame(inputs: Inputs) -> pl.DataFrame:
    """The frame with ``responder`` by the analysis's rule: the MCID (the view's flag), or an
    IMMPACT relative tier (>= 30% or >= 50% improvement, :func:`toolkit.stats.responder_tiers`)."""
    rule = inputs.spec.responder
    if rule == "mcid":
        return inputs.frame
    tiers = stats.responder_tiers(inputs.frame, higher_is_better=inputs.higher_is_better)
    return tiers.with_columns(pl.col(rule).alias("responder"))


def run_responders(inputs: Inputs) -> AnalysisResult:
    """Responders at the outcome's MCID (or published MID, or an IMMPACT tier) by arm."""
    if inputs.mcid_text is None and inputs.spec.responder == "mcid":
        inputs.notes.append(f"{inputs.spec.outcome} has no published MCID: no responder analysis")
        return AnalysisResult(
            inputs.spec, pl.DataFrame(), "not_applicable", inputs.notes, inputs.frame
        )
    reference = inputs.reference if len(inputs.arms) >= 2 else None
    frame = _responder_frame(inputs)
    missing = "non_responder" if inputs.spec.missing == "non_responder" else "complete_case"
    table, why = _fit(
        inputs,
        lambda: stats.responders(frame, reference=reference, alpha=inputs.alpha, missing=missing),
    )
    return _result(inputs, table, why, data=frame)


def run_responders_logistic(inputs: Inputs) -> AnalysisResult:
    """Baseline-adjusted logistic model of responding: odds ratios between arms."""
    reason = _between_arms(inputs)
    if reason:
        return _result(inputs, None, f"the logistic responder model {reason}")
    frame = _responder_frame(inputs)
    covariates = tuple(c for c in _adjustment(inputs, ()) if c != "baseline")
    table, why = _fit(
        inputs,
        lambda: stats.responders_logistic(
            frame, reference=inputs.reference, covariates=covariates, alpha=inputs.alpha
        ),
    )
    return _result(inputs, table, why, data=frame, covariates=("baseline", *covariates))


def run_tipping_point(inputs: Inputs) -> AnalysisResult:
    """Delta-adjusted multiple imputation of the ANCOVA: the shift of the imputed outcomes at
    which the first difference stops being significant (a missing-not-at-random check)."""
    reason = _between_arms(inputs)
    if reason:
        return _result(inputs, None, f"the tipping-point analysis {reason}")
    covariates = tuple(c for c in _adjustment(inputs, ()) if c != "baseline")
    table, why = _fit(
        inputs,
        lambda: stats.tipping_point(
            inputs.frame,
            deltas=inputs.spec.deltas,
            term=inputs.spec.contrast,
            covariates=covariates,
            reference=inputs.reference,
            alpha=inputs.alpha,
        ),
    )
    return _result(inputs, table, why, data=inputs.frame, covariates=("baseline", *covariates))


def run_reference_based(inputs: Inputs) -> AnalysisResult:
    """Reference-based multiple imputation (jump to / copy reference) of the visit changes."""
    reason = _between_arms(inputs)
    if reason:
        return _result(inputs, None, f"reference-based imputation {reason}")
    visits = inputs.long()
    table, why = _fit(
        inputs,
        lambda: stats.reference_based(
            visits,
            outcome="change",
            visit="visit",
            reference=inputs.reference,
            method=inputs.spec.imputation,
            imputation=inputs.spec.reference_draws,
            alpha=inputs.alpha,
        ),
    )
    return _result(inputs, table, why, data=visits, covariates=("baseline",))


def run_cace(inputs: Inputs) -> AnalysisResult:
    """Complier-average (instrumental-variable) effect per unit of dose, using randomisation:
    the causal counterpart of the observational dose-response."""
    reason = _between_arms(inputs)
    if reason:
        return _result(inputs, None, f"the complier-average effect {reason}")
    covariates = _adjustment(inputs, ("baseline",))
    table, why = _fit(
        inputs,
        lambda: stats.complier_average_effect(
            inputs.frame,
            dose=inputs.spec.exposure,
            covariates=covariates,
            reference=inputs.reference,
            alpha=inputs.alpha,
        ),
    )
    return _result(inputs, table, why, data=inputs.frame, covariates=covariates)


def run_mmrm(inputs: Inputs) -> AnalysisResult:
    """Change at every scheduled visit, unstructured covariance, adjusted for baseline."""
    visits = inputs.long()
    group = "arm" if len(inputs.arms) >= 2 else None
    covariates = tuple(
        c for c in _adjustment(inputs, ()) if c not in ("baseline",) and c in visits.columns
    )
    table, why = _fit(
        inputs,
        lambda: stats.mmrm(
            visits,
            outcome="change",
            visit="visit",
            group=group,
            baseline="baseline",
            covariates=covariates,
            reference=inputs.reference if group else None,
            alpha=inputs.alpha,
            covariance=inputs.spec.covariance,
            df_method=inputs.spec.df_method,
        ),
    )
    return _result(inputs, table, why, data=visits, covariates=("baseline", *covariates))


def run_mixed_model(inputs: Inputs, *, curve: bool = True) -> AnalysisResult:
    """Scores over study weeks by arm; random intercept and slope, or intercepts only when the
    slope fit is singular (``random_slope = "auto"``) or the plan says so."""
    scores = inputs.long()
    spec = inputs.spec
    group = "arm" if len(inputs.arms) >= 2 else None
    reference = inputs.reference if group else None

    def fit(slope: bool) -> Callable[[], pl.DataFrame]:
        return lambda: stats.mixed_model(
            scores,
            outcome="score",
            time="study_week",
            group=group,
            reference=reference,
            random_slope=slope,
            alpha=inputs.alpha,
            df_method=spec.df_method,
        )

    slope = spec.random_slope != "no"
    try:
        table, notes = collect_notes(fit(slope))
    except UsageError as exc:
        return _result(inputs, None, str(exc))
    singular = slope and (is_singular(table) or any("singular" in n for n in notes))
    if singular and spec.random_slope == "auto":
        inputs.notes.append(
            "the random-slope fit was singular (a variance at zero or a correlation of +-1); "
            'refitted with random intercepts only (random_slope = "auto")'
        )
        slope = False
        table, notes = collect_notes(fit(False))
    inputs.notes.extend(n for n in notes if not (singular and "singular" in n and not slope))
    fitted = None
    if curve:
        fitted, _ = collect_notes(
            lambda: stats.mixed_model_curve(
                scores,
                outcome="score",
                time="study_week",
                group=group,
                reference=reference,
                random_slope=slope,
                alpha=inputs.alpha,
            )
        )
        fitted, cut = keep_in_range(fitted, *inputs.scale)
        inputs.notes.extend(cut)
    method = "random intercept and slope" if slope else "random intercept only"
    table = table.with_columns(pl.lit(method).alias("random_effects"))
    return _result(inputs, table, "", data=scores, curve=fitted)


def run_dose_response(inputs: Inputs, *, curve: bool = True) -> AnalysisResult:
    """Change on mean weekly minutes (observational), adjusted for baseline and, by default,
    the other direction's minutes unless collinear with the exposure (VIF over the limit)."""
    spec = inputs.spec
    exposure = spec.exposure
    default = ("baseline", OTHER_EXPOSURE[exposure])
    covariates = list(_adjustment(inputs, default))
    data = inputs.frame.filter(pl.col("change").is_not_null() & pl.col("baseline").is_not_null())
    for name, vif in collinear_covariates(data, exposure, covariates, protected=("baseline",)):
        explicit = spec.covariates is not None and name in spec.covariates
        if explicit and spec.collinear != "drop":
            raise UsageError(
                f"Analysis {spec.id!r}: the covariate {name!r} is collinear with the exposure "
                f"{exposure!r} in this cohort (variance inflation factor {vif:.3g} > 10), so the "
                'slope cannot be estimated with it. Remove it, or set collinear = "drop".'
            )
        covariates.remove(name)
        inputs.notes.append(
            f"{name} was not adjusted for: it is collinear with {exposure} in this cohort "
            f"(variance inflation factor {vif:.3g} > 10)"
        )
    inputs.notes.append(
        "observational: minutes walked are not randomised (adherence may follow response); "
        "exploratory, not a causal effect"
    )
    kwargs = {
        "outcome": "change",
        "exposure": exposure,
        "covariates": tuple(covariates),
        "spline_df": spec.spline_df,
        "alpha": inputs.alpha,
    }
    table, why = _fit(inputs, lambda: stats.dose_response(inputs.frame, **kwargs))  # type: ignore[arg-type]
    fitted = None
    if table is not None and curve:
        fitted, _ = collect_notes(lambda: stats.dose_response_curve(inputs.frame, **kwargs))  # type: ignore[arg-type]
        offset = float(data["baseline"].mean() or 0.0) if data.height else 0.0  # type: ignore[arg-type]
        fitted, cut = keep_in_range(fitted, *inputs.scale, offset=offset)
        inputs.notes.extend(cut)
    return _result(
        inputs, table, why, data=inputs.frame, curve=fitted, covariates=tuple(covariates)
    )


RUNNERS: dict[str, Callable[..., AnalysisResult]] = {
    "change": run_change,
    "ancova": run_ancova,
    "responders": run_responders,
    "mmrm": run_mmrm,
    "mixed_model": run_mixed_model,
    "dose_response": run_dose_response,
    "responders_logistic": run_responders_logistic,
    "tipping_point": run_tipping_point,
    "reference_based": run_reference_based,
    "cace": run_cace,
}
