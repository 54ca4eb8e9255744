"""Change from baseline within each arm: mean change with a t interval, paired t-test, effect sizes.

Effect sizes follow Lakens (2013, Front. Psychol. 4:863): Cohen's d_z is the mean change divided
by the SD of the changes (the paired t statistic over sqrt(n)); its confidence interval inverts
the noncentral t distribution (exact under normality, as MBESS::ci.sm / effectsize). Hedges' g
applies the small-sample correction J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2)) to d_z and
to its limits.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from scipy import optimize, special, stats

from toolkit.stats._common import (
    check_alpha,
    check_columns,
    check_frame,
    check_numeric,
    complete_cases,
    result_frame,
    t_interval,
    with_notes,
)


def hedges_correction(df: float) -> float:
    """The exact small-sample bias correction J(df) of a standardised mean difference."""
    if df <= 1:
        return float("nan")
    return float(
        math.exp(special.gammaln(df / 2) - special.gammaln((df - 1) / 2)) / math.sqrt(df / 2)
    )


def noncentral_t_ci(t: float, df: float, alpha: float) -> tuple[float, float]:
    """Confidence limits of a noncentrality parameter, given an observed ``t`` on ``df``.

    Solves ``nct.cdf(t, df, ncp) = 1 - alpha / 2`` (lower) and ``= alpha / 2`` (upper) by root
    finding; the cdf decreases in ``ncp``, so each root is unique.
    """
    if not np.isfinite(t) or df <= 0:
        return float("nan"), float("nan")

    def solve(target: float) -> float:
        def f(ncp: float) -> float:
            value = float(stats.nct.cdf(t, df, ncp))
            if not np.isfinite(value):  # far tails: the cdf is 1 below t and 0 above
                value = 1.0 if ncp < t else 0.0
            return value - target

        width = 5.0 * math.sqrt(1 + t * t / (2 * df)) + 5.0
        low, high = t - width, t + width
        while f(low) < 0:
            low -= width
        while f(high) > 0:
            high += width
        return float(optimize.brentq(f, low, high, xtol=1e-12))

    return solve(1 - alpha / 2), solve(alpha / 2)


@with_notes
def change_from_baseline(
    data: pl.DataFrame,
    *,
    baseline: str = "baseline",
    follow_up: str = "follow_up",
    group: str | None = "arm",
    alpha: float = 0.05,
) -> pl.DataFrame:
    """Within-group change (follow-up minus baseline) with a paired t-test and effect sizes.

    Parameters
    ----------
    data
        One row per participant with the two measurements (and ``group``).
    baseline, follow_up
        Columns of the two measurements. Rows missing either are excluded (complete pairs),
        with a :class:`~toolkit.errors.StatsWarning`.
    group
        Column splitting the rows (one result row per level); ``None`` for a single row.
    alpha
        1 - confidence level.

    Returns
    -------
    polars.DataFrame
        One row per group: ``term`` (the group level, or ``"all"``), ``estimate`` (mean change),
        ``ci_low``/``ci_high`` (t interval), ``statistic`` (paired t), ``df`` (n - 1),
        ``p_value`` (two-sided), ``n`` (complete pairs), ``method``; extra columns ``group``,
        ``n_excluded``, ``sd_change``, ``mean_baseline``, ``mean_follow_up``, ``cohen_dz``,
        ``cohen_dz_ci_low``, ``cohen_dz_ci_high``, ``hedges_gz``, ``hedges_gz_ci_low``,
        ``hedges_gz_ci_high``. Matches R's ``t.test(follow_up, baseline, paired = TRUE)``.
    """
    func = "change_from_baseline"
    frame = check_frame(data, func)
    alpha = check_alpha(alpha, func)
    check_columns(frame, [baseline, follow_up, group], func)
    check_numeric(frame, [baseline, follow_up], func)
    parts: list[tuple[str, pl.DataFrame]]
    if group is None:
        parts = [("all", frame)]
    else:
        levels = sorted(str(v) for v in frame[group].drop_nulls().unique().to_list())
        parts = [(level, frame.filter(pl.col(group).cast(pl.String) == level)) for level in levels]
    rows = []
    for level, part in parts:
        kept, excluded = complete_cases(part, [baseline, follow_up], func)
        before = kept[baseline].cast(pl.Float64).to_numpy()
        after = kept[follow_up].cast(pl.Float64).to_numpy()
        diff = after - before
        n = diff.size
        mean = float(diff.mean()) if n else float("nan")
        sd = float(diff.std(ddof=1)) if n > 1 else float("nan")
        se = sd / math.sqrt(n) if n > 1 else float("nan")
        df = n - 1
        low, high, t, p = t_interval(mean, se, df, alpha)
        dz = mean / sd if n > 1 and sd > 0 else float("nan")
        nc_low, nc_high = noncentral_t_ci(t, df, alpha)
        dz_low = nc_low / math.sqrt(n) if n else nan()
        dz_high = nc_high / math.sqrt(n) if n else nan()
        j = hedges_correction(df)
        rows.append(
            {
                "term": level,
                "estimate": mean,
                "ci_low": low,
                "ci_high": high,
                "statistic": t,
                "df": float(df) if n > 1 else None,
                "p_value": p,
                "n": n,
                "method": (
                    f"paired t-test of {follow_up} - {baseline}; "
                    f"{100 * (1 - alpha):g}% t interval; "
                    f"complete pairs ({excluded} excluded); Cohen's d_z = mean/SD of change "
                    "(noncentral t CI), Hedges' g_z = J(df) * d_z"
                ),
                "group": level,
                "n_excluded": excluded,
                "sd_change": sd,
                "mean_baseline": float(before.mean()) if n else None,
                "mean_follow_up": float(after.mean()) if n else None,
                "cohen_dz": dz,
                "cohen_dz_ci_low": dz_low,
                "cohen_dz_ci_high": dz_high,
                "hedges_gz": j * dz,
                "hedges_gz_ci_low": j * dz_low,
                "hedges_gz_ci_high": j * dz_high,
            }
        )
    return result_frame(rows)


def nan() -> float:
    """Not a number (a readable default for undefined statistics)."""
    return float("nan")
