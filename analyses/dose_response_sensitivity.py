"""Dose-response sensitivity analysis (observational, exploratory), as a script.

    python analyses/dose_response_sensitivity.py [STUDY]   (default: the demo study)

The plan's dose-response regresses change in NRS pain on mean weekly retro-walking minutes,
adjusted for baseline and forward minutes. Minutes walked are not randomised, so the slope is
an association. This script checks how much it depends on modelling choices: the adjustment
set, a restricted cubic spline instead of a line, and the per-protocol population, each run as
a variant of the plan's analysis through ``toolkit.analyses.execute_plan``.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import polars as pl

import toolkit
from toolkit.analyses import execute_plan, load_plan

HERE = Path(__file__).resolve().parent

#: Variants of the plan's dose-response: (label, changes to its analysis).
VARIANTS: list[tuple[str, dict[str, object]]] = [
    ("as planned (baseline + forward minutes)", {}),
    ("baseline only", {"covariates": ("baseline",)}),
    ("baseline + forward minutes + condition", {"stratification": ("condition",)}),
    ("per-protocol population", {"population": "per_protocol"}),
    ("restricted cubic spline, 3 df", {"spline_df": 3}),
]


def main(study_path: Path) -> pl.DataFrame:
    """Print and return the retro-minutes slope (or overall test) of each variant."""
    plan = load_plan(HERE / "demo_plan.toml")
    planned = plan.analysis("dose_response")
    rows = []
    with toolkit.open_study(study_path, read_only=True) as study:
        for label, changes in VARIANTS:
            spec = replace(planned, id=f"dose_{len(rows)}", **changes)  # type: ignore[arg-type]
            variant = replace(plan, analyses=(*plan.analyses, spec))
            result = execute_plan(study, variant, only=(spec.id,), curves=False).result(spec.id)
            table = result.table
            term = "retro_minutes overall" if spec.spline_df else "retro_minutes"
            row = table.filter(pl.col("term") == term)
            rows.append(
                {
                    "variant": label,
                    "term": term,
                    "estimate": row["estimate"][0],
                    "ci_low": row["ci_low"][0],
                    "ci_high": row["ci_high"][0],
                    "p_value": row["p_value"][0],
                    "n": row["n"][0],
                    "adjusted_for": ", ".join(result.covariates),
                }
            )
    summary = pl.DataFrame(rows)
    print("Dose-response of NRS change on weekly retro minutes (observational, exploratory)")
    with pl.Config(tbl_hide_dataframe_shape=True, float_precision=4, fmt_str_lengths=50):
        print(summary)
    return summary


if __name__ == "__main__":
    from retrowalk_demo import default_demo_study

    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default_demo_study())
