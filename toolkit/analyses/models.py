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


def run_responders(inputs: Inputs) -> AnalysisResult:
    """Responders at the outcome's MCID (or published MID) by arm, and comparisons."""
    if inputs.mcid_text is None:
        inputs.notes.append(f"{inputs.spec.outcome} has no published MCID: no responder analysis")
        return AnalysisResult(
            inputs.spec, pl.DataFrame(), "not_applicable", inputs.notes, inputs.frame
        )
    reference = inputs.reference if len(inputs.arms) >= 2 else None
    table, why = _fit(
        inputs,
        lambda: stats.responders(inputs.frame, reference=reference, alpha=inputs.alpha),
    )
    return _result(inputs, table, why, data=inputs.frame)


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
}
