"""Fit time of ``toolkit.stats.mixed_model`` for 1,000 and 10,000 participants x 8 visits.

Each size simulates a two-arm trial (random intercept and slope per participant) and times,
in the same run: the full ``mixed_model`` call (REML fit, Satterthwaite df, result frame), the
REML fit alone, and plain OLS of the same fixed effects (numpy ``lstsq``) as the baseline the
ratios are measured against. With ``--statsmodels`` it also times statsmodels' ``MixedLM`` on
the same data (slow at 10,000 participants) and prints the largest difference in fixed effects.

Usage (from the checkout root): ``PYTHONPATH=. python benchmarks/bench_mixed_model.py
[--statsmodels] [SIZES...]``.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import polars as pl

from toolkit.stats import mixed_model
from toolkit.stats.mixed import fit_lmm

VISITS = 8


def simulate(participants: int, seed: int = 1) -> pl.DataFrame:
    """Long data: ``participants`` x ``VISITS`` rows of participant_id, week, arm, score."""
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(participants), VISITS)
    week = np.tile(np.arange(VISITS, dtype=float), participants)
    arm = np.repeat(np.where(np.arange(participants) % 2 == 0, "control", "retro"), VISITS)
    intercepts = np.repeat(rng.normal(0, 1.2, participants), VISITS)
    slopes = np.repeat(rng.normal(0, 0.15, participants), VISITS)
    score = 6 + intercepts + (-0.1 - 0.08 * (arm == "retro") + slopes) * week
    score += rng.normal(0, 0.7, score.size)
    return pl.DataFrame(
        {"participant_id": [f"P{i:06d}" for i in ids], "week": week, "arm": arm, "score": score}
    )


def timed(function, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    """Best wall time of ``repeat`` calls (seconds)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - t0)
    return best


def measure(n: int, with_statsmodels: bool) -> None:
    """Time one size and print its row."""
    data = simulate(n)
    week = data["week"].to_numpy()
    retro = (data["arm"] == "retro").to_numpy().astype(float)
    x = np.column_stack([np.ones_like(week), week, retro, retro * week])
    z = x[:, :2]
    y = data["score"].to_numpy()
    codes = data["participant_id"].rank("dense").cast(pl.Int64).to_numpy()
    ols = timed(lambda: np.linalg.lstsq(x, y, rcond=None))
    fit = timed(lambda: fit_lmm(codes, x, z, y))
    full = timed(lambda: mixed_model(data, outcome="score", time="week", group="arm"), repeat=1)
    print(
        f"{n:>12,} {data.height:>8,} {ols:>8.4f} {fit:>10.2f} {full:>13.2f} "
        f"{fit / ols:>8.0f} {full / ols:>9.0f}"
    )
    if with_statsmodels:
        import statsmodels.formula.api as smf

        t0 = time.perf_counter()
        reference = smf.mixedlm(
            "score ~ week * arm", data.to_pandas(), groups="participant_id", re_formula="~week"
        ).fit(reml=True)
        seconds = time.perf_counter() - t0
        ours = mixed_model(data, outcome="score", time="week", group="arm")
        same_names = {
            "(Intercept)": "Intercept",
            "week": "week",
            "arm[retro]": "arm[T.retro]",
            "week:arm[retro]": "week:arm[T.retro]",
        }
        fixed = ours.filter(pl.col("role") == "fixed")
        gap = max(
            abs(r["estimate"] - reference.fe_params[same_names[r["term"]]])
            for r in fixed.to_dicts()
        )
        print(
            f"{'':>12} statsmodels MixedLM {seconds:.2f} s ({seconds / ols:.0f} x OLS, "
            f"{seconds / full:.1f} x mixed_model); max |fixed-effect difference| {gap:.2e}"
        )


def main(sizes: list[int], with_statsmodels: bool) -> None:
    """Print one row per size: seconds and ratios to OLS on the same data."""
    print(
        f"{'participants':>12} {'rows':>8} {'OLS s':>8} {'REML fit s':>10} "
        f"{'mixed_model s':>13} {'fit/OLS':>8} {'full/OLS':>9}"
    )
    for n in sizes:
        measure(n, with_statsmodels)


if __name__ == "__main__":
    args = sys.argv[1:]
    flag = "--statsmodels" in args
    numbers = [int(a) for a in args if a != "--statsmodels"]
    main(numbers or [1_000, 10_000], flag)
