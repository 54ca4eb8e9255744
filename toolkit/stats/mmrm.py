"""Mixed model for repeated measures (MMRM) with an unstructured covariance over visits.

The analysis trials report for a continuous outcome measured at scheduled visits (Mallinckrodt
et al. 2008, Drug Inf. J. 42:303): fixed effects ``visit + group + group:visit (+ baseline
+ covariates)``, no random effects, and an unstructured ``T x T`` covariance of a subject's
residuals across the ``T`` visits, estimated by REML. Subjects with missing visits contribute
the visits they have (valid under missing at random).

The covariance is parameterised by its Cholesky factor with log-diagonal (as R's ``mmrm``
package, ``us()``), or is Toeplitz, AR(1) or compound symmetric (:mod:`toolkit.stats._covstruct`),
with a stated fallback when a fit fails (:mod:`toolkit.stats._mmrm_fit`). The REML criterion sums,
per pattern of observed visits, the Gaussian terms of all subjects sharing that pattern, and is
optimised with its analytic gradient and Hessian (:mod:`toolkit.stats._mmrm_reml`). Tests of the
reported contrasts (arm differences at each visit, adjusted means) use Satterthwaite degrees of
freedom (``mmrm``'s default; SAS ``ddfm=satterthwaite``) from the analytic Hessian, or
Kenward-Roger's adjusted covariance and df (pbkrtest; SAS ``ddfm=kr``).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import polars as pl

from toolkit.errors import StatsWarning, UsageError
from toolkit.stats._common import (
    adjust_family,
    as_names,
    check_alpha,
    check_choice,
    check_columns,
    check_frame,
    check_numeric,
    check_pairs,
    complete_cases,
    group_levels,
    result_frame,
    t_interval,
    with_notes,
)
from toolkit.stats._design import build_design
from toolkit.stats._mmrm_fit import DF_METHODS, STRUCTURES, _theta, contrast_tests, fit_mmrm

#: ``fit_mmrm`` and ``_theta`` are re-exported for callers that fit raw matrices.
__all__ = ["_theta", "fit_mmrm", "mmrm", "natural_key"]


def natural_key(value: str) -> list[Any]:
    """Sort key putting ``"week6"`` before ``"week12"``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", value)]


@with_notes
def mmrm(
    data: pl.DataFrame,
    *,
    outcome: str,
    visit: str,
    subject: str = "participant_id",
    group: str | None = None,
    baseline: str | None = None,
    covariates: Iterable[str] = (),
    reference: str | None = None,
    visits: Sequence[str] | None = None,
    visit_effects: bool = True,
    alpha: float = 0.05,
    covariance: str = "unstructured",
    fallback: bool = True,
    df_method: str = "satterthwaite",
    pairs: Sequence[tuple[str, str]] = (),
    contrast_visits: Sequence[str] | None = None,
    average_visits: bool = False,
    adjust: str | None = None,
    family: str = "contrasts",
) -> pl.DataFrame:
    """Fit an MMRM with unstructured covariance; report arm differences at every visit.

    Parameters
    ----------
    data
        Long format, one row per subject and post-baseline visit (e.g.
        :func:`toolkit.analysis_frames.visit_frame`).
    outcome
        Response column (typically change from baseline, or the score itself).
    visit
        Visit label column; visits are ordered naturally (``week6`` before ``week12``) unless
        ``visits`` gives the order.
    subject
        Subject identifier column.
    group
        Arm column (optional): adds arm and arm-by-visit effects.
    baseline
        Baseline value column (optional), entered as a covariate common to all visits.
    covariates
        Further adjustment columns (text columns become dummies).
    reference
        Comparator arm (default: first in sorted order).
    visit_effects
        ``True`` (default): visit and arm-by-visit mean effects, the trial MMRM. ``False``: one
        mean per arm across visits (``outcome ~ group + covariates``, still with unstructured
        covariance); then ``difference`` and ``adjusted_mean`` rows are not per visit.
    alpha
        1 - confidence level.
    covariance
        ``"unstructured"`` (default), ``"toeplitz"``, ``"ar1"`` or ``"cs"``.
    fallback
        When the requested structure's fit fails, try the next of unstructured -> Toeplitz ->
        AR(1) -> CS (default ``True``); the structure used is in ``method`` and ``notes``.
    df_method
        ``"satterthwaite"`` (default) or ``"kenward-roger"`` (adjusted SEs and df, as
        pbkrtest / SAS ``ddfm=kr``).
    pairs
        Contrasts on demand, as emmeans' pairwise contrasts: ``(arm, other)`` pairs, each
        reported as ``"arm - other at <visit>"`` rows with role ``"contrast"`` at every visit
        (or those in ``contrast_visits``), and with ``average_visits`` also averaged over
        those visits (equal weights, emmeans' ``avg``).
    adjust
        Multiplicity adjustment of the ``"contrast"`` rows only, as one family named
        ``family``: ``"holm"``, ``"bonferroni"``, ``"fdr_bh"`` or ``"hommel"`` (``p_adjusted``
        and ``family`` columns); the other rows are not adjusted.

    Returns
    -------
    polars.DataFrame
        Result columns plus ``role``, ``visit``, ``group`` and ``std_error``:
        ``"difference"`` rows (term ``"retro - usual_care at week12"``), ``"adjusted_mean"``
        rows (term ``"retro at week12"``, covariates at their means), ``"coefficient"`` rows
        (every fixed effect), ``"covariance"`` rows (``"sd(week6)"``,
        ``"cor(week6, week12)"``, estimates only). ``n`` counts measurements used;
        ``n_subjects`` the subjects.
    """
    func = "mmrm"
    frame = check_frame(data, func)
    alpha = check_alpha(alpha, func)
    check_choice(covariance, "covariance", STRUCTURES, func)
    check_choice(df_method, "df_method", DF_METHODS, func)
    if adjust is not None:
        check_choice(adjust, "adjust", ("holm", "bonferroni", "fdr_bh", "hommel"), func)
    if not isinstance(fallback, bool):
        raise UsageError(f"The 'fallback' parameter of {func} must be a bool. Got {fallback!r}.")
    covs = as_names(covariates, "covariates", func)
    adjusted_for = [c for c in (baseline, *covs) if c is not None]
    check_columns(frame, [outcome, visit, subject, group, *adjusted_for], func)
    check_numeric(frame, [outcome] + ([baseline] if baseline else []), func)
    needed = [outcome, visit, subject] + ([group] if group else []) + adjusted_for
    kept, excluded = complete_cases(
        frame, needed, func, reason="subjects keep their other visits: valid under MAR"
    )
    if group is not None:
        used = {str(v) for v in kept[group].unique().to_list()}
        empty = sorted(
            str(v) for v in frame[group].drop_nulls().unique().to_list() if str(v) not in used
        )
        if empty:
            raise UsageError(
                f"{func}: arm(s) {', '.join(repr(v) for v in empty)} of {group!r} have no "
                f"complete row in {', '.join(needed)}; drop the arm or analyse it another way."
            )
    kept = kept.with_columns(pl.col(visit).cast(pl.String))
    flat = (
        kept.group_by(visit)
        .agg((pl.col(outcome).max() - pl.col(outcome).min()).alias("range"))
        .filter(pl.col("range") == 0)[visit]
        .sort()
        .to_list()
    )
    if flat:
        raise UsageError(
            f"{func}: the outcome {outcome!r} has no variance at visit "
            f"{', '.join(repr(v) for v in flat)}; its covariance cannot be estimated (drop "
            "the visit or check the data)."
        )
    present = sorted(set(kept[visit].to_list()), key=natural_key)
    if visits is not None:
        order = [str(v) for v in visits]
        unknown = sorted(set(present) - set(order))
        if unknown:
            raise UsageError(
                f"The 'visits' parameter of {func} must list every visit in the data. "
                f"Missing {unknown}."
            )
        present = [v for v in order if v in set(present)]
    t = len(present)
    if t < 1:
        raise UsageError(f"{func} needs at least one visit with data.")
    if kept.select(pl.struct(subject, visit).is_duplicated().any()).item():
        raise UsageError(f"{func} needs at most one row per {subject} and {visit}.")
    visit_index = kept[visit].replace_strict(present, list(range(t)), return_dtype=pl.Int64)
    kept = kept.with_columns(visit_index.alias("_visit_index"))
    # Fixed effects: visit dummies, arm dummies, arm x visit, then baseline and covariates.
    if not isinstance(visit_effects, bool):
        raise UsageError(
            f"The 'visit_effects' parameter of {func} must be a bool. "
            f"Got {visit_effects!r} instead."
        )
    visit_design = build_design(
        kept, [visit] if visit_effects else [], intercept=True, levels={visit: present}
    )
    blocks = [visit_design.matrix]
    names = list(visit_design.names)
    levels: list[str] = []
    if group is not None:
        levels = group_levels(kept, group, reference, func)
        arm_values = kept[group].cast(pl.String).to_numpy()
        vis = kept["_visit_index"].to_numpy()
        for level in levels[1:]:
            blocks.append((arm_values == level).astype(float)[:, None])
            names.append(f"{group}[{level}]")
        for level in levels[1:] if visit_effects else []:
            for j in range(1, t):
                blocks.append(((arm_values == level) & (vis == j)).astype(float)[:, None])
                names.append(f"{group}[{level}]:{visit}[{present[j]}]")
    first_adjust = sum(block.shape[1] for block in blocks)
    if adjusted_for:
        extra = build_design(kept, adjusted_for, intercept=False)
        blocks.append(extra.matrix)
        names.extend(extra.names)
    x = np.hstack(blocks)
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise UsageError(f"{func}: the fixed-effects design is rank deficient in the rows used.")
    y = kept[outcome].cast(pl.Float64).to_numpy()
    codes = kept[subject].cast(pl.String).rank("dense").cast(pl.Int64).to_numpy()
    n_subjects = int(codes.max()) if codes.size else 0
    fit = fit_mmrm(
        codes, kept["_visit_index"].to_numpy(), x, y, t, covariance=covariance, fallback=fallback
    )
    if not fit["converged"]:
        warnings.warn(f"{func}: the REML optimiser did not converge.", StatsWarning, stacklevel=2)
    beta = fit["beta"]
    p = beta.size
    mean_row = x.mean(axis=0)
    quantities: list[tuple[str, str, str | None, str | None, np.ndarray]] = []
    arm_levels: list[str | None] = list(levels) if levels else [None]

    def cell(level: str | None, j: int) -> np.ndarray:
        vector = np.zeros(p)
        vector[0] = 1.0
        if j > 0 and visit_effects:
            vector[names.index(f"{visit}[{present[j]}]")] = 1.0
        if group is not None and level is not None and level != levels[0]:
            vector[names.index(f"{group}[{level}]")] = 1.0
            if j > 0 and visit_effects:
                vector[names.index(f"{group}[{level}]:{visit}[{present[j]}]")] = 1.0
        if adjusted_for:
            vector[first_adjust:] = mean_row[first_adjust:]
        return vector

    per_visit: list[tuple[int, str | None]] = (
        list(enumerate(present)) if visit_effects else [(0, None)]
    )
    for j, label in per_visit:
        at = f" at {label}" if label is not None else ""
        if group is not None:
            for level in levels[1:]:
                quantities.append(
                    (
                        "difference",
                        f"{level} - {levels[0]}{at}",
                        label,
                        level,
                        cell(level, j) - cell(levels[0], j),
                    )
                )
        for arm_level in arm_levels:
            term = f"{arm_level}{at}" if arm_level is not None else (label or "mean")
            quantities.append(("adjusted_mean", term, label, arm_level, cell(arm_level, j)))
    chosen_pairs = check_pairs(pairs, levels, func) if pairs else []
    if chosen_pairs and not visit_effects:
        per_visit_pairs: list[tuple[int, str | None]] = [(0, None)]
    else:
        wanted = set(contrast_visits) if contrast_visits is not None else set(present)
        unknown_visits = sorted(wanted - set(present))
        if unknown_visits:
            raise UsageError(
                f"The 'contrast_visits' parameter of {func} names visit(s) without data: "
                f"{unknown_visits}."
            )
        per_visit_pairs = [(j, v) for j, v in enumerate(present) if v in wanted]
    for first, second in chosen_pairs:
        vectors = []
        for j, label in per_visit_pairs:
            vector = cell(first, j) - cell(second, j)
            vectors.append(vector)
            at = f" at {label}" if label is not None else ""
            quantities.append(("contrast", f"{first} - {second}{at}", label, first, vector))
        if average_visits and len(vectors) > 1:
            quantities.append(
                (
                    "contrast",
                    f"{first} - {second} averaged over "
                    + ", ".join(str(v) for _, v in per_visit_pairs),
                    None,
                    first,
                    np.mean(vectors, axis=0),
                )
            )
    for j, name in enumerate(names):
        quantities.append(("coefficient", name, None, None, np.eye(p)[j]))
    fallback_df = float(max(n_subjects - np.linalg.matrix_rank(x), 1))
    tests, df_text, notes = contrast_tests(fit, [q[4] for q in quantities], df_method, fallback_df)
    for note in notes:
        warnings.warn(f"{func}: {note}.", StatsWarning, stacklevel=2)
    structure = fit["structure"]
    if fit["tried"]:
        warnings.warn(
            f"{func}: the {' and '.join(fit['tried'])} covariance "
            f"fit{'s' if len(fit['tried']) > 1 else ''} failed (no proper REML minimum); "
            f"{structure} used (fallback order unstructured, toeplitz, ar1, cs).",
            StatsWarning,
            stacklevel=2,
        )
    method = (
        f"MMRM, REML, {structure} covariance over {t} visit(s); {outcome} ~ "
        + (f"{visit}{' * ' + group if group else ''}" if visit_effects else (group or "1"))
        + (f" + {' + '.join(adjusted_for)}" if adjusted_for else "")
        + f"; {df_text}; {100 * (1 - alpha):g}% CIs; "
        f"{excluded} row(s) with missing values excluded (subjects keep their other visits)"
    )
    rows: list[dict[str, Any]] = []
    for (role, term, label, arm, vector), (variance, df) in zip(quantities, tests, strict=True):
        estimate = float(vector @ beta)
        se = float(np.sqrt(variance))
        low, high, stat, pval = t_interval(estimate, se, df, alpha)
        rows.append(
            {
                "term": term,
                "estimate": estimate,
                "ci_low": low,
                "ci_high": high,
                "statistic": stat,
                "df": df,
                "p_value": pval,
                "n": kept.height,
                "method": method,
                "role": role,
                "visit": label,
                "group": arm,
                "std_error": se,
                "n_subjects": n_subjects,
            }
        )
    adjust_family(rows, "contrast", adjust, family)
    sigma = fit["sigma"]
    sds = np.sqrt(np.diag(sigma))
    for j, label in enumerate(present):
        rows.append(
            {
                "term": f"sd({label})",
                "estimate": float(sds[j]),
                "n": kept.height,
                "method": method,
                "role": "covariance",
                "visit": label,
                "n_subjects": n_subjects,
            }
        )
    for j in range(t):
        for k in range(j + 1, t):
            rows.append(
                {
                    "term": f"cor({present[j]}, {present[k]})",
                    "estimate": float(sigma[j, k] / (sds[j] * sds[k])),
                    "n": kept.height,
                    "method": method,
                    "role": "covariance",
                    "n_subjects": n_subjects,
                }
            )
    return result_frame(rows)
