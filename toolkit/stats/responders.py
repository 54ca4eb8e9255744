"""Responder analysis: proportion reaching the MCID per arm, risk difference and odds ratio.

Intervals: Wilson score for one proportion (Wilson 1927; Newcombe 1998a, method 3, as R's
``prop.test(correct = FALSE)``), Newcombe's hybrid score interval for a difference of
independent proportions (Newcombe 1998b, method 10), and Woolf's logit interval for the odds
ratio (with 0.5 added to every cell when one is zero, Haldane-Anscombe, announced by a
warning). The p-value of the difference is Pearson's chi-square test without continuity
correction (``prop.test(correct = FALSE)``); that of the odds ratio is the Wald z test on log OR.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import polars as pl
from scipy import stats

from toolkit.errors import StatsWarning, UsageError
from toolkit.stats._common import (
    check_alpha,
    check_choice,
    check_columns,
    check_frame,
    complete_cases,
    group_levels,
    result_frame,
    with_notes,
    z_interval,
)


def wilson_interval(successes: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion."""
    if n == 0:
        return float("nan"), float("nan")
    z = float(stats.norm.ppf(1 - alpha / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    # At 0 (n) events the limit is exactly 0 (1); the formula leaves rounding residue there.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def newcombe_difference(
    x1: int, n1: int, x2: int, n2: int, alpha: float = 0.05
) -> tuple[float, float, float]:
    """p1 - p2 with Newcombe's hybrid score (method 10) interval."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, alpha)
    l2, u2 = wilson_interval(x2, n2, alpha)
    diff = p1 - p2
    low = diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return diff, low, high


@with_notes
def responders(
    data: pl.DataFrame,
    *,
    responder: str = "responder",
    group: str = "arm",
    reference: str | None = None,
    alpha: float = 0.05,
    test: str = "chi2",
    missing: str = "complete_case",
) -> pl.DataFrame:
    """Responder proportions by arm and comparisons with the reference arm.

    Parameters
    ----------
    data
        One row per participant; ``responder`` is boolean (or 0/1), null when unknown
        (excluded, with a warning).
    group, reference
        Arm column and comparator arm (default: first in sorted order).
    alpha
        1 - confidence level.
    test
        ``"chi2"`` (default: Pearson chi-square p for the difference, Woolf interval and Wald
        z for the odds ratio) or ``"fisher"`` (Fisher's exact test for small cells, as R's
        ``fisher.test``: exact p for both rows, conditional maximum-likelihood odds ratio with
        its exact interval).
    missing
        ``"complete_case"`` (default: unknown responses excluded) or ``"non_responder"``
        (non-responder imputation: an unknown response counts as failure, the usual
        conservative sensitivity analysis).

    Returns
    -------
    polars.DataFrame
        Result columns plus ``role`` and ``group``: ``"proportion"`` rows per arm (estimate is
        the proportion, Wilson CI, ``count`` responders of ``n``), ``"risk_difference"`` rows
        (term ``"retro - usual_care"``, Newcombe CI, chi-square statistic with 1 df) and
        ``"odds_ratio"`` rows (Woolf CI, Wald z).
    """
    func = "responders"
    frame = check_frame(data, func)
    alpha = check_alpha(alpha, func)
    check_columns(frame, [responder, group], func)
    dtype = frame.schema[responder]
    if not (dtype == pl.Boolean or dtype.is_integer()):
        raise UsageError(
            f"The column {responder!r} given to {func} must be boolean or 0/1. Got {dtype} instead."
        )
    check_choice(test, "test", ("chi2", "fisher"), func)
    check_choice(missing, "missing", ("complete_case", "non_responder"), func)
    frame = frame.filter(pl.col(group).is_not_null())
    imputed = 0
    if missing == "non_responder":
        imputed = frame[responder].null_count()
        frame = frame.with_columns(pl.col(responder).fill_null(False if dtype == pl.Boolean else 0))
    kept, excluded = complete_cases(frame, [responder], func)
    present = sorted(str(v) for v in frame[group].unique().to_list())
    empty = sorted(set(present) - {str(v) for v in kept[group].unique().to_list()})
    if empty:
        raise UsageError(
            f"{func}: arm(s) {', '.join(repr(v) for v in empty)} of {group!r} have no known "
            f"response in {responder!r}; drop the arm from the cohort or impute (e.g. "
            "non-responder imputation)."
        )
    values = kept[responder].cast(pl.Int64)
    if not values.is_in([0, 1]).all():
        raise UsageError(f"The column {responder!r} given to {func} must hold only 0 and 1.")
    kept = kept.with_columns(values.alias(responder))
    levels = group_levels(kept, group, reference, func)
    if not levels:
        raise UsageError(f"{func} needs at least one participant with a known response.")
    counts: dict[str, tuple[int, int]] = {}
    for level in levels:
        part = kept.filter(pl.col(group).cast(pl.String) == level)[responder]
        counts[level] = (int(part.sum()), part.len())
    note = (
        f"non-responder imputation ({imputed} unknown response(s) counted as failures)"
        if missing == "non_responder"
        else f"complete cases ({excluded} with unknown response excluded)"
    )
    rows: list[dict[str, Any]] = []
    for level in levels:
        x, n = counts[level]
        low, high = wilson_interval(x, n, alpha)
        rows.append(
            {
                "term": level,
                "estimate": x / n if n else None,
                "ci_low": low,
                "ci_high": high,
                "n": n,
                "method": f"proportion with Wilson score {100 * (1 - alpha):g}% CI; {note}",
                "role": "proportion",
                "group": level,
                "count": x,
            }
        )
    ref = levels[0]
    x0, n0 = counts[ref]
    for level in levels[1:]:
        x1, n1 = counts[level]
        if n0 == 0 or n1 == 0:
            continue
        diff, low, high = newcombe_difference(x1, n1, x0, n0, alpha)
        pooled = (x0 + x1) / (n0 + n1)
        denom = pooled * (1 - pooled) * (1 / n0 + 1 / n1)
        chi2 = (x1 / n1 - x0 / n0) ** 2 / denom if denom > 0 else float("nan")
        p_diff = float(stats.chi2.sf(chi2, 1)) if math.isfinite(chi2) else None
        test_text = "Pearson chi-square test without continuity correction"
        if test == "fisher":
            table = [[x1, n1 - x1], [x0, n0 - x0]]
            p_diff = float(stats.fisher_exact(table).pvalue)
            chi2 = float("nan")
            test_text = "Fisher's exact test (two-sided)"
        rows.append(
            {
                "term": f"{level} - {ref}",
                "estimate": diff,
                "ci_low": low,
                "ci_high": high,
                "statistic": chi2,
                "df": 1.0,
                "p_value": p_diff,
                "n": n0 + n1,
                "method": (
                    f"risk difference with Newcombe hybrid score {100 * (1 - alpha):g}% CI; "
                    f"{test_text}; {note}"
                ),
                "role": "risk_difference",
                "group": level,
                "count": x1 + x0,
            }
        )
        if test == "fisher":
            rows.append(_fisher_odds_ratio(level, ref, (x1, n1, x0, n0), alpha, note))
            continue
        cells: list[float] = [x1, n1 - x1, x0, n0 - x0]
        added = ""
        if min(cells) == 0:
            cells = [c + 0.5 for c in cells]
            added = "; 0.5 added to each cell (a zero cell)"
            warnings.warn(
                f"responders: a zero cell comparing {level} with {ref}; 0.5 was added to each "
                "cell for the odds ratio (Haldane-Anscombe).",
                StatsWarning,
                stacklevel=2,
            )
        a, b, c, d = cells
        log_or = math.log(a * d / (b * c))
        se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        low, high, z, p = z_interval(log_or, se, alpha)
        rows.append(
            {
                "term": f"{level} / {ref}",
                "estimate": math.exp(log_or),
                "ci_low": math.exp(low),
                "ci_high": math.exp(high),
                "statistic": z,
                "df": None,
                "p_value": p,
                "n": n0 + n1,
                "method": (
                    f"odds ratio with Woolf (logit) {100 * (1 - alpha):g}% CI, "
                    f"Wald z{added}; {note}"
                ),
                "role": "odds_ratio",
                "group": level,
                "count": x1 + x0,
            }
        )
    return result_frame(rows)


def _fisher_odds_ratio(
    level: str, ref: str, counts: tuple[int, int, int, int], alpha: float, note: str
) -> dict[str, Any]:
    """Conditional MLE odds ratio with its exact interval and Fisher's p (R ``fisher.test``)."""
    from scipy.stats.contingency import odds_ratio

    x1, n1, x0, n0 = counts
    table = [[x1, n1 - x1], [x0, n0 - x0]]
    result = odds_ratio(table, kind="conditional")
    interval = result.confidence_interval(1 - alpha)
    return {
        "term": f"{level} / {ref}",
        "estimate": float(result.statistic),
        "ci_low": float(interval.low),
        "ci_high": float(interval.high),
        "p_value": float(stats.fisher_exact(table).pvalue),
        "n": n0 + n1,
        "method": (
            f"odds ratio, conditional maximum likelihood with exact {100 * (1 - alpha):g}% CI; "
            f"Fisher's exact test (two-sided); {note}"
        ),
        "role": "odds_ratio",
        "group": level,
        "count": x1 + x0,
    }
