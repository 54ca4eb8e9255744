"""Outcome section: change from baseline, ANCOVA, mixed model over time, MMRM at each visit.

Each runs the :mod:`toolkit.stats` function on the privatised analysis frames, records the run
for the methods text, and shows the result with small cells suppressed; figures come from
:mod:`toolkit.figures`. No statistics are computed here.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from toolkit.errors import UsageError
from toolkit.figures import figure_change, figure_trajectories
from toolkit.report.methods import MethodsLog
from toolkit.report.model import Figure, Section, Table
from toolkit.report.privacy import Privatiser
from toolkit.report.tables import mentions, result_table, small_groups
from toolkit.stats import ancova, change_from_baseline, mixed_model, mmrm
from toolkit.summaries import trajectory_means

#: The comparator of between-arm estimates when the cohort has it (as ``retrowalk stats``).
REFERENCE_ARM = "usual_care"

RESULT_KEEP = ["term", "estimate", "ci_low", "ci_high", "statistic", "df", "p_value", "n"]


def reference_arm(frame: pl.DataFrame) -> str | None:
    """:data:`REFERENCE_ARM` when ``frame`` has it, else None (the statistics' default)."""
    arms = set(frame["arm"].cast(pl.String).to_list()) if "arm" in frame.columns else set()
    return REFERENCE_ARM if REFERENCE_ARM in arms else None


def attempt(notes: list[str], what: str, build: Callable[[], None]) -> None:
    """Run ``build``; where the cohort cannot support the analysis, say why instead."""
    try:
        build()
    except UsageError as exc:
        notes.append(f"{what} could not be computed for this cohort: {exc}")


def excluded_text(result: pl.DataFrame, privatiser: Privatiser) -> str:
    """How many participants a complete-case analysis left out, suppressed if small."""
    if "n_excluded" not in result.columns or result.height == 0:
        return "complete cases"
    excluded = int(result["n_excluded"].drop_nulls().cast(pl.Int64).max() or 0)  # type: ignore[arg-type]
    return (
        f"complete-case analysis ({privatiser.count_text(excluded)} participant(s) without both "
        "measurements excluded)"
    )


def outcomes_section(
    outcome: pl.DataFrame,
    trajectory: pl.DataFrame,
    visits: pl.DataFrame,
    instrument: str,
    privatiser: Privatiser,
    log: MethodsLog,
) -> Section:
    """Within-arm change, baseline-adjusted arm comparison, and models of repeated scores."""
    tables: list[Table] = []
    figures: list[Figure] = []
    notes: list[str] = []
    small = small_groups(outcome, privatiser)
    threshold = privatiser.policy.min_cell

    def change() -> None:
        result = change_from_baseline(outcome, group="arm")
        log.add(
            f"Change from baseline in {instrument}",
            result,
            missing=excluded_text(result, privatiser),
        )
        tables.append(
            result_table(
                "change_from_baseline",
                f"Change from baseline in {instrument} by arm (follow-up minus baseline)",
                result,
                privatiser,
                keep=[*RESULT_KEEP, "n_excluded", "mean_baseline", "mean_follow_up", "hedges_gz"],
            )
        )
        shown = result.filter(pl.col("n") >= threshold)
        figures.append(
            Figure(
                "change",
                "Mean change from baseline by arm",
                figure_change(shown, instrument=instrument),
                dropped_groups=result.filter(pl.col("n") < threshold)["term"].to_list(),
            )
        )

    def adjusted() -> None:
        result = ancova(
            outcome,
            outcome="follow_up",
            baseline="baseline",
            group="arm",
            reference=reference_arm(outcome),
        )
        log.add(
            f"ANCOVA of follow-up {instrument}",
            result,
            covariates=("baseline",),
            missing=excluded_text(result, privatiser),
        )
        tables.append(
            result_table(
                "ancova",
                f"ANCOVA: follow-up {instrument} by arm adjusted for baseline",
                result,
                privatiser,
                keep=["role", *RESULT_KEEP, "n_excluded"],
                withhold=mentions(small),
                note="difference rows: adjusted mean difference between arms; adjusted_mean rows: "
                "arm means at the mean baseline.",
            )
        )

    def mixed() -> None:
        result = mixed_model(
            trajectory,
            outcome="score",
            time="study_week",
            group="arm",
            reference=reference_arm(trajectory),
        )
        log.add(
            f"Linear mixed model of {instrument} over study weeks",
            result,
            covariates=("arm", "study week", "arm x study week"),
            missing="all available scores (valid if data are missing at random); "
            f"{privatiser.count_text(trajectory['participant_id'].n_unique())} participants, "
            f"{trajectory.height} scores",
            n=trajectory["participant_id"].n_unique(),
        )
        tables.append(
            result_table(
                "mixed_model",
                f"Mixed model: {instrument} ~ study week x arm + (1 + study week | participant)",
                result,
                privatiser,
                keep=["role", *RESULT_KEEP, "n_subjects"],
                sizes=("n_subjects",),
                withhold=mentions(small_groups(trajectory, privatiser)),
                note="time:group rows: difference in weekly slope between an arm and the reference "
                "arm; n counts scores, n_subjects participants.",
            )
        )
        kept, dropped = privatiser.large_groups(trajectory, ["arm"])
        means = trajectory_means(kept)
        figures.append(
            Figure(
                "trajectories",
                f"{instrument} over time",
                figure_trajectories(
                    kept, means.filter(pl.col("n") >= threshold), instrument=instrument
                ),
                "Thin lines: individual participants (a random sample when many); thick lines: "
                "weekly arm means with 95% confidence bands (weeks with few participants omitted).",
                dropped,
            )
        )

    def repeated() -> None:
        result = mmrm(
            visits,
            outcome="change",
            visit="visit",
            group="arm",
            baseline="baseline",
            reference=reference_arm(visits),
        )
        log.add(
            f"MMRM of change in {instrument} at each scheduled visit",
            result,
            covariates=("baseline", "arm", "visit", "arm x visit"),
            missing="all available visits, unstructured covariance (valid if missing at random)",
            n=visits["participant_id"].n_unique(),
        )
        keep = ["role", "visit", *RESULT_KEEP, "n_subjects"]
        rows = result.filter(pl.col("role").is_in(["difference", "adjusted_mean"]))
        tables.append(
            result_table(
                "mmrm",
                f"MMRM: change in {instrument} by arm at each visit, adjusted for baseline",
                rows,
                privatiser,
                keep=keep,
                sizes=("n_subjects",),
                withhold=mentions(small_groups(visits, privatiser)),
            )
        )

    attempt(notes, "Change from baseline", change)
    attempt(notes, "ANCOVA", adjusted)
    attempt(notes, "The mixed model", mixed)
    attempt(notes, "The MMRM", repeated)
    return Section("outcomes", f"Outcomes: {instrument}", notes, tables, figures)
