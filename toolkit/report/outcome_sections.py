"""Outcome sections: change from baseline, ANCOVA, mixed model, dose-response, responders.

Each runs the :mod:`toolkit.stats` function on the privatised analysis frames, records the run
for the methods text, and shows the result with small cells suppressed. No statistics are
computed here.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from toolkit.errors import UsageError
from toolkit.report.methods import MethodsLog
from toolkit.report.model import Section, Table
from toolkit.report.privacy import Privatiser
from toolkit.report.tables import result_table
from toolkit.stats import ancova, change_from_baseline, dose_response, responders

#: Adjustment set of the dose-response model: baseline, and forward minutes so that the retro
#: slope is not credited with forward walking (datasets/retrowalk_demo/MODEL.md).
DOSE_COVARIATES = ("baseline", "forward_minutes")


def _attempt(tables: list[Table], notes: list[str], what: str, build: Callable[[], Table]) -> None:
    """Add ``build()``'s table, or a note saying why ``what`` could not be computed."""
    try:
        tables.append(build())
    except UsageError as exc:
        notes.append(f"{what} could not be computed for this cohort: {exc}")


def _excluded(result: pl.DataFrame, privatiser: Privatiser) -> str:
    if "n_excluded" not in result.columns or result.height == 0:
        return "complete cases"
    excluded = int(result["n_excluded"].drop_nulls().max() or 0)
    return (
        f"complete-case analysis ({privatiser.count_text(excluded)} participant(s) without both "
        "measurements excluded)"
    )


def outcomes_section(
    outcome: pl.DataFrame, instrument: str, privatiser: Privatiser, log: MethodsLog
) -> Section:
    """Within-arm change and the baseline-adjusted comparison of arms (ANCOVA)."""
    tables: list[Table] = []
    notes: list[str] = []

    def change() -> Table:
        result = change_from_baseline(outcome, group="arm")
        log.add(f"Change from baseline in {instrument}", result, missing=_excluded(result, privatiser))
        return result_table(
            "change_from_baseline",
            f"Change from baseline in {instrument} by arm (follow-up minus baseline)",
            result,
            privatiser,
            keep=["term", "estimate", "ci_low", "ci_high", "statistic", "df", "p_value", "n",
                  "n_excluded", "mean_baseline", "mean_follow_up", "sd_change", "hedges_gz"],
        )

    def adjusted() -> Table:
        result = ancova(outcome, outcome="follow_up", baseline="baseline", group="arm")
        log.add(
            f"ANCOVA of follow-up {instrument}",
            result,
            covariates=("baseline",),
            missing=_excluded(result, privatiser),
        )
        keep = ["role", "term", "estimate", "ci_low", "ci_high", "statistic", "df", "p_value",
                "n", "n_excluded"]
        return result_table(
            "ancova",
            f"ANCOVA: follow-up {instrument} by arm adjusted for baseline",
            result,
            privatiser,
            keep=keep,
            note="difference rows: adjusted mean difference between arms; adjusted_mean rows: "
            "arm means at the mean baseline.",
        )

    _attempt(tables, notes, "Change from baseline", change)
    _attempt(tables, notes, "ANCOVA", adjusted)
    return Section(
        "outcomes",
        f"Outcomes: {instrument}",
        notes,
        tables,
    )


def dose_response_section(
    outcome: pl.DataFrame, instrument: str, privatiser: Privatiser, log: MethodsLog
) -> Section:
    """Regression of change on mean weekly retro minutes, adjusted for baseline and forward."""
    tables: list[Table] = []
    notes: list[str] = []

    def linear() -> Table:
        result = dose_response(
            outcome, outcome="change", exposure="retro_minutes", covariates=DOSE_COVARIATES
        )
        log.add(
            f"Dose-response of {instrument} change on mean weekly retro minutes",
            result,
            covariates=DOSE_COVARIATES,
            missing=_excluded(result, privatiser),
        )
        return result_table(
            "dose_response",
            f"Dose-response: change in {instrument} per mean weekly retro-walking minute",
            result,
            privatiser,
            keep=["term", "estimate", "ci_low", "ci_high", "statistic", "df", "p_value", "n",
                  "n_excluded"],
        )

    _attempt(tables, notes, "The dose-response model", linear)
    paragraphs = [
        "Exposure is each participant's mean weekly minutes walked backward over the "
        "intervention weeks (usual care: 0); the slope is the change in the outcome per extra "
        "weekly minute.",
        *notes,
    ]
    return Section("dose-response", "Dose-response", paragraphs, tables)


def responders_section(
    outcome: pl.DataFrame, instrument: str, privatiser: Privatiser, log: MethodsLog
) -> Section:
    """Proportion of responders (improvement of at least the MCID) by arm, and comparisons."""
    tables: list[Table] = []
    notes: list[str] = []

    def build() -> Table:
        result = responders(outcome, responder="responder", group="arm")
        log.add(
            f"Responder analysis ({instrument}, MCID)",
            result,
            missing="participants without both measurements excluded",
        )
        marked = result.with_columns(
            pl.when(pl.col("role") == "proportion")
            .then(pl.col("n") - pl.col("count"))
            .otherwise(None)
            .alias("non_responders")
        )
        threshold = privatiser.policy.min_cell
        small = marked.filter(
            (pl.col("role") == "proportion")
            & pl.any_horizontal(
                pl.col(c).is_between(1, threshold - 1) for c in ("n", "count", "non_responders")
            )
        )["term"].to_list()
        # A comparison involving an arm whose proportion is withheld would reveal it again.
        involved = pl.lit(False)
        for arm in small:
            involved = involved | (
                (pl.col("role") != "proportion") & pl.col("term").str.contains(str(arm), literal=True)
            )
        return result_table(
            "responders",
            f"Responders ({instrument}): proportion improving by at least the MCID, by arm",
            marked,
            privatiser,
            keep=["role", "term", "estimate", "ci_low", "ci_high", "statistic", "p_value", "n",
                  "count"],
            sizes=("n", "count", "non_responders"),
            withhold=involved,
            note="proportion rows: responders/n with Wilson CI; risk_difference: Newcombe CI; "
            "odds_ratio: Woolf CI. Rows whose responders or non-responders number fewer than "
            f"{threshold} are withheld.",
        )

    _attempt(tables, notes, "The responder analysis", build)
    return Section("responders", "Responder analysis", notes, tables)
