"""Fit time of ``toolkit.stats.mmrm`` at 8 visits: 1,000 and 10,000 participants (issue 17, 13).

Simulates a two-arm trial with an unstructured (AR-like, heteroscedastic) covariance over 8
visits, baseline as covariate and ~15% of visits missing at random, then times, in the same run:
the full ``mmrm`` call (REML fit with analytic gradient and Hessian, Satterthwaite df for every
reported contrast, result frame) and, as the baseline the ratio is measured against, ordinary
least squares of the same fixed effects (numpy ``lstsq``). Goal: 10,000 x 8 in under 30 s.
With ``--kr`` it also times ``df_method="kenward-roger"``.

Usage (from the checkout root): ``PYTHONPATH=. python benchmarks/bench_mmrm.py [--kr] [SIZES...]``
(default sizes 1000 10000).
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import polars as pl

from toolkit.errors import StatsWarning
from toolkit.stats import mmrm

VISITS = 8


def simulate(participants: int, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    lag = np.abs(np.subtract.outer(np.arange(VISITS), np.arange(VISITS)))
    sd = np.linspace(1.0, 1.8, VISITS)
    sigma = np.outer(sd, sd) * 0.7**lag
    errors = rng.normal(size=(participants, VISITS)) @ np.linalg.cholesky(sigma).T
    arm = np.where(np.arange(participants) % 2 == 0, "usual_care", "retro")
    baseline = rng.normal(6, 1.5, participants)
    week = np.arange(1, VISITS + 1)
    mean = -0.2 * week[None, :] - 0.1 * week[None, :] * (arm == "retro")[:, None]
    y = mean - 0.4 * (baseline[:, None] - 6) + errors
    keep = rng.uniform(size=y.shape) > 0.15
    ids, visit = np.nonzero(keep)
    return pl.DataFrame(
        {
            "participant_id": [f"P{i:06d}" for i in ids],
            "visit": [f"week{w}" for w in week[visit]],
            "arm": arm[ids],
            "baseline": baseline[ids],
            "change": y[keep],
        }
    )


def main(sizes: list[int], kr: bool) -> None:
    for n in sizes:
        data = simulate(n)
        started = time.perf_counter()
        x = np.column_stack([np.ones(data.height), data["baseline"].to_numpy()])
        np.linalg.lstsq(x, data["change"].to_numpy(), rcond=None)
        ols = time.perf_counter() - started
        methods = ["satterthwaite"] + (["kenward-roger"] if kr else [])
        for df_method in methods:
            started = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", StatsWarning)
                result = mmrm(
                    data,
                    outcome="change",
                    visit="visit",
                    group="arm",
                    baseline="baseline",
                    reference="usual_care",
                    df_method=df_method,
                )
            seconds = time.perf_counter() - started
            last = result.filter(pl.col("term") == f"retro - usual_care at week{VISITS}").row(
                0, named=True
            )
            print(
                f"{n:6d} participants x {VISITS} visits ({data.height} rows), {df_method}: "
                f"{seconds:6.1f} s (OLS baseline {ols * 1000:.1f} ms, ratio "
                f"{seconds / max(ols, 1e-9):.0f}x); week{VISITS} difference "
                f"{last['estimate']:.3f} (truth {-0.1 * VISITS:.3f}), df {last['df']:.1f}; "
                f"{'goal < 30 s met' if seconds < 30 else 'GOAL < 30 s MISSED'}"
            )


if __name__ == "__main__":
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    sizes = [int(a) for a in sys.argv[1:] if not a.startswith("--")] or [1000, 10000]
    main(sizes, "--kr" in flags)
