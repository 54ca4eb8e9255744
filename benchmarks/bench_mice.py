"""Bias and coverage of ``ancova(missing="mice")`` over simulated small trials (issue 17, item 3).

Each replicate simulates a two-arm trial of ``n`` participants (true arm effect -1.00 at follow-up,
baseline and an intermediate visit correlated with it, sex affecting the outcome by 3.0), deletes
30% of follow-ups at random given the intermediate visit (MAR) and 30% of sex values completely at
random, then estimates the arm effect by:

- complete cases (``missing="complete_case"``);
- MICE with R mice's 5 donors, sex imputed by logistic regression (the new default);
- the same with the intermediate visit as an auxiliary variable (``auxiliary=("week6",)``);
- MICE with a 20-donor pool (statsmodels' fixed pool used before).

It prints, per method, the mean estimate, its bias against the truth, the empirical SE, the mean
reported SE and the coverage of the nominal 95% interval (with its Monte-Carlo SE).

With ``--r`` the same replicates are also analysed by R's ``mice`` (5 donors, its default
``pmm``/``logreg`` methods, same number of imputations and iterations), as the reference.

Usage (from the checkout root): ``PYTHONPATH=. python benchmarks/bench_mice.py [--r]
[REPLICATES] [N]`` (defaults 200 and 90).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import polars as pl

from toolkit.errors import StatsWarning
from toolkit.stats import ancova

TRUTH = -1.0


def simulate(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    arm = np.where(np.arange(n) % 2 == 0, "retro", "usual_care")
    retro = (arm == "retro").astype(float)
    male = rng.uniform(size=n) < 0.5
    baseline = rng.normal(6.0, 1.5, n)
    person = rng.normal(0, 1.0, n)
    week6 = 1.0 + 0.7 * baseline + 0.5 * TRUTH * retro + 1.5 * male + person + rng.normal(0, 0.6, n)
    follow = 1.0 + 0.6 * baseline + TRUTH * retro + 3.0 * male + person + rng.normal(0, 0.6, n)
    # MAR: those doing badly at week 6 drop out more often.
    z = (week6 - week6.mean()) / week6.std()
    drop = rng.uniform(size=n) < 1 / (1 + np.exp(-(np.log(0.3 / 0.7) + 1.0 * z)))
    sex_missing = rng.uniform(size=n) < 0.3
    return pl.DataFrame(
        {
            "arm": arm,
            "baseline": baseline,
            "week6": week6,
            "follow_up": np.where(drop, np.nan, follow),
        }
    ).with_columns(
        pl.Series(
            "sex",
            [
                None if m else ("male" if s else "female")
                for m, s in zip(sex_missing, male, strict=True)
            ],
            dtype=pl.String,
        ),
        pl.col("follow_up").fill_nan(None),
    )


METHODS = {
    "complete cases": {},
    "MICE, 5 donors": {"missing": "mice", "n_imputations": 20},
    "MICE, 5 donors + auxiliary week6": {
        "missing": "mice",
        "n_imputations": 20,
        "auxiliary": ("week6",),
    },
    "MICE, 20 donors": {"missing": "mice", "n_imputations": 20, "donors": 20},
}


R_SCRIPT = """
suppressPackageStartupMessages(library(mice))
args <- commandArgs(TRUE); dir <- args[1]; reps <- as.integer(args[2])
for (r in seq_len(reps) - 1) {
  d <- read.csv(file.path(dir, sprintf("d%d.csv", r)), stringsAsFactors = TRUE,
                na.strings = c("", "NA"))
  d$arm <- relevel(d$arm, "usual_care"); d$week6 <- NULL
  imp <- mice(d, m = 20, maxit = 10, donors = 5L, seed = r, printFlag = FALSE)
  p <- summary(pool(with(imp, lm(follow_up ~ arm + baseline + sex))), conf.int = TRUE)
  k <- which(p$term == "armretro")
  cat(p$estimate[k], p$std.error[k], p$`2.5 %`[k], p$`97.5 %`[k], "\\n")
}
"""


def r_mice(replicates: int, n: int) -> list[tuple[float, float, float, float]]:
    """R mice's estimates on the same replicates (one Rscript run)."""
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(replicates):
            simulate(n, seed=1000 + r).write_csv(Path(tmp) / f"d{r}.csv")
        script = Path(tmp) / "sim.R"
        script.write_text(R_SCRIPT)
        done = subprocess.run(
            ["Rscript", str(script), tmp, str(replicates)],
            capture_output=True,
            text=True,
            check=True,
        )
    return [tuple(float(v) for v in line.split()) for line in done.stdout.splitlines()]  # type: ignore[misc]


def main(replicates: int, n: int, with_r: bool = False) -> None:
    found: dict[str, list[tuple[float, float, float, float]]] = {m: [] for m in METHODS}
    started = time.perf_counter()
    for r in range(replicates):
        data = simulate(n, seed=1000 + r)
        for name, options in METHODS.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", StatsWarning)
                result = ancova(
                    data,
                    covariates=("sex",),
                    reference="usual_care",
                    seed=r,
                    **options,  # type: ignore[arg-type]
                )
            row = result.filter(pl.col("term") == "retro - usual_care").row(0, named=True)
            found[name].append((row["estimate"], row["std_error"], row["ci_low"], row["ci_high"]))
    seconds = time.perf_counter() - started
    if with_r:
        found["R mice, 5 donors (reference)"] = r_mice(replicates, n)
    print(f"{replicates} replicates of n = {n}, truth {TRUTH:+.2f}; {seconds:.0f} s in all")
    print(
        f"{'method':36s} {'mean':>7s} {'bias':>7s} {'emp SE':>7s} {'mean SE':>7s} {'coverage':>9s}"
    )
    for name, values in found.items():
        arr = np.asarray(values)
        covered = (arr[:, 2] <= TRUTH) & (arr[:, 3] >= TRUTH)
        cover = covered.mean()
        mc = np.sqrt(cover * (1 - cover) / len(arr))
        print(
            f"{name:36s} {arr[:, 0].mean():7.3f} {arr[:, 0].mean() - TRUTH:+7.3f} "
            f"{arr[:, 0].std(ddof=1):7.3f} {arr[:, 1].mean():7.3f} {cover:8.3f} (MC SE {mc:.3f})"
        )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:] if not a.startswith("--")]
    main(args[0] if args else 200, args[1] if len(args) > 1 else 90, "--r" in sys.argv)
