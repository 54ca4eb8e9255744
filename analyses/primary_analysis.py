"""Primary analysis of the demo trial: the plan's primary ANCOVA, as a script.

    python analyses/primary_analysis.py [STUDY]            (default: the demo study)

Loads ``analyses/demo_plan.toml``, runs it on every randomised participant with
``toolkit.analyses.run_plan`` (the layer behind ``retrowalk analyse``, the report and the
dashboard) and prints the primary analysis: the difference between each arm and usual care in
follow-up NRS pain, adjusted for baseline and condition, with Holm-adjusted p-values, and the
caveats the analysis recorded.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

import toolkit
from toolkit.analyses import load_plan, run_plan

HERE = Path(__file__).resolve().parent


def main(study_path: Path) -> pl.DataFrame:
    """Print and return the primary analysis's between-arm differences."""
    plan = load_plan(HERE / "demo_plan.toml")
    with toolkit.open_study(study_path, read_only=True) as study:
        results = run_plan(study, plan)
    primary = results.filter(pl.col("analysis") == "primary")
    differences = primary.filter(pl.col("role") == "difference").select(
        "term", "estimate", "ci_low", "ci_high", "p_value", "p_adjusted", "n"
    )
    print(f"Plan {plan.title} (sha256 {plan.sha256[:12]}...)")
    print(plan.analysis("primary").estimand)
    with pl.Config(tbl_hide_dataframe_shape=True, float_precision=3):
        print(differences)
    for note in dict.fromkeys(str(primary["notes"][0] or "").split("; ")):
        if note:
            print(f"note: {note}")
    return differences


if __name__ == "__main__":
    from retrowalk_demo import default_demo_study

    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default_demo_study())
