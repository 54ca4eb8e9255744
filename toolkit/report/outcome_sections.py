"""Outcome section: change from baseline, ANCOVA, mixed model over time, MMRM at each visit.

The numbers come from the analysis layer (:func:`toolkit.analyses.execute_plan`, the same run
the CLI and the dashboard make); this module privatises each result (small groups withheld,
counts suppressed), records it for the methods text and draws its figure from
:mod:`toolkit.figures`. No statistics are computed here.
"""

from __future__ import annotations

import polars as pl

from toolkit.analyses import AnalysisResult
from toolkit.figures import figure_change, figure_trajectories
from toolkit.report.methods import MethodsLog
from toolkit.report.model import Figure, Section, Table
from toolkit.report.privacy import Privatiser
from toolkit.report.tables import mentions, result_table, small_groups
from toolkit.summaries import trajectory_means

RESULT_KEEP = ["term", "estimate", "ci_low", "ci_high", "statistic", "df", "p_value", "n"]

#: The table key of each model's first analysis (later ones add their analysis id).
TABLE_KEYS = {
    "tipping_point": "tipping_point",
    "reference_based": "reference_based",
    "cace": "cace",
    "responders_logistic": "responders_logistic",
    "change": "change_from_baseline",
    "ancova": "ancova",
    "mixed_model": "mixed_model",
    "mmrm": "mmrm",
    "dose_response": "dose_response",
    "responders": "responders",
}


def table_key(result: AnalysisResult, used: set[str]) -> str:
    """The model's key for its first analysis in the report, else ``<key>_<analysis id>``."""
    key = TABLE_KEYS[result.spec.model]
    if key in used:
        key = f"{key}_{result.spec.id}"
    used.add(key)
    return key


def label(result: AnalysisResult) -> str:
    """``[id, role]`` in front of a table title or a methods sentence."""
    spec = result.spec
    population = "" if spec.population == "itt" else f", {spec.population}"
    return f"[{spec.id}: {spec.role}{population}]"


def excluded_text(result: pl.DataFrame, privatiser: Privatiser) -> str:
    """How many participants a complete-case analysis left out, suppressed if small."""
    if "n_excluded" not in result.columns or result.height == 0:
        return "complete cases"
    excluded = int(result["n_excluded"].drop_nulls().cast(pl.Int64).max() or 0)  # type: ignore[arg-type]
    return (
        f"complete-case analysis ({privatiser.count_text(excluded)} participant(s) without both "
        "measurements excluded)"
    )


def unavailable(result: AnalysisResult, privatiser: Privatiser) -> str:
    """Why an analysis shows no table (not applicable, or not estimable for this cohort)."""
    what = "is not applicable" if result.status == "not_applicable" else "could not be computed"
    reasons = privatiser.suppress_text("; ".join(result.notes))
    return f"{label(result)} {result.spec.model} of {result.spec.outcome} {what}: {reasons}"


def _change(
    result: AnalysisResult, key: str, privatiser: Privatiser, log: MethodsLog
) -> tuple[Table, Figure | None]:
    table, outcome = result.table, result.spec.outcome
    threshold = privatiser.policy.min_cell
    log.add(
        f"{label(result)} Change from baseline in {outcome}",
        table,
        missing=excluded_text(table, privatiser),
    )
    shown = result_table(
        key,
        f"{label(result)} Change from baseline in {outcome} by arm (follow-up minus baseline)",
        table,
        privatiser,
        keep=[*RESULT_KEEP, "n_excluded", "mean_baseline", "mean_follow_up", "hedges_gz"],
    )
    figure = Figure(
        "change" if key == "change_from_baseline" else f"change_{result.spec.id}",
        f"Mean change from baseline by arm ({outcome})",
        figure_change(table.filter(pl.col("n") >= threshold), instrument=outcome),
        dropped_groups=table.filter(pl.col("n") < threshold)["term"].to_list(),
    )
    return shown, figure


def _ancova(
    result: AnalysisResult, key: str, privatiser: Privatiser, log: MethodsLog
) -> tuple[Table, Figure | None]:
    table, outcome = result.table, result.spec.outcome
    log.add(
        f"{label(result)} ANCOVA of follow-up {outcome}",
        table,
        covariates=result.covariates,
        missing=excluded_text(table, privatiser),
    )
    small = small_groups(privatiser.participant_frame(result.data), privatiser)
    shown = result_table(
        key,
        f"{label(result)} ANCOVA: follow-up {outcome} by arm adjusted for "
        f"{', '.join(result.covariates)} (reference: {result.reference})",
        table,
        privatiser,
        keep=["role", *RESULT_KEEP, "n_excluded"],
        withhold=mentions(small),
        note="difference rows: adjusted mean difference between arms; adjusted_mean rows: "
        "arm means at the mean baseline.",
    )
    return shown, None


def _mixed(
    result: AnalysisResult, key: str, privatiser: Privatiser, log: MethodsLog
) -> tuple[Table, Figure | None]:
    table, outcome = result.table, result.spec.outcome
    scores = privatiser.participant_frame(result.data)
    effects = str(table["random_effects"][0]) if "random_effects" in table.columns else ""
    log.add(
        f"{label(result)} Linear mixed model of {outcome} over study weeks ({effects})",
        table,
        covariates=("arm", "study week", "arm x study week"),
        missing="all available scores (valid if data are missing at random); "
        f"{privatiser.count_text(scores['participant_id'].n_unique())} participants, "
        f"{scores.height} scores",
        n=scores["participant_id"].n_unique(),
    )
    shown = result_table(
        key,
        f"{label(result)} Mixed model: {outcome} ~ study week x arm, {effects} per participant",
        table,
        privatiser,
        keep=["role", *RESULT_KEEP, "n_subjects"],
        sizes=("n_subjects",),
        withhold=mentions(small_groups(scores, privatiser)),
        note="time:group rows: difference in weekly slope between an arm and the reference "
        "arm; n counts scores, n_subjects participants.",
    )
    kept, dropped = privatiser.large_groups(scores, ["arm"])
    means = trajectory_means(kept)
    threshold = privatiser.policy.min_cell
    figure = Figure(
        "trajectories" if key == "mixed_model" else f"trajectories_{result.spec.id}",
        f"{outcome} over time",
        figure_trajectories(kept, means.filter(pl.col("n") >= threshold), instrument=outcome),
        "Thin lines: individual participants (a random sample when many); thick lines: "
        "weekly arm means with 95% confidence bands (weeks with few participants omitted).",
        dropped,
    )
    return shown, figure


def _mmrm(
    result: AnalysisResult, key: str, privatiser: Privatiser, log: MethodsLog
) -> tuple[Table, Figure | None]:
    table, outcome = result.table, result.spec.outcome
    visits = privatiser.participant_frame(result.data)
    log.add(
        f"{label(result)} MMRM of change in {outcome} at each scheduled visit",
        table,
        covariates=(*result.covariates, "arm", "visit", "arm x visit"),
        missing="all available visits, unstructured covariance (valid if missing at random)",
        n=visits["participant_id"].n_unique(),
    )
    rows = table.filter(pl.col("role").is_in(["difference", "adjusted_mean"]))
    shown = result_table(
        key,
        f"{label(result)} MMRM: change in {outcome} by arm at each visit, adjusted for baseline",
        rows,
        privatiser,
        keep=["role", "visit", *RESULT_KEEP, "n_subjects"],
        sizes=("n_subjects",),
        withhold=mentions(small_groups(visits, privatiser)),
    )
    return shown, None


def _other(
    result: AnalysisResult, key: str, privatiser: Privatiser, log: MethodsLog
) -> tuple[Table, Figure | None]:
    """Models without a figure of their own (tipping point, reference-based imputation, CACE,
    logistic responders): their rows as the statistics function returned them."""
    table, spec = result.table, result.spec
    what = {
        "tipping_point": "Tipping-point analysis (delta-adjusted multiple imputation)",
        "reference_based": (
            f"Reference-based multiple imputation ({spec.imputation})"
            if spec.reference_draws == "bayes"
            else f"Reference-based conditional mean imputation ({spec.imputation})"
        ),
        "cace": "Complier-average causal effect per unit of dose (instrumental variable)",
        "responders_logistic": "Logistic model of responding, adjusted for baseline",
    }.get(spec.model, spec.model)
    log.add(
        f"{label(result)} {what} of {spec.outcome}",
        table,
        covariates=result.covariates,
        missing=excluded_text(table, privatiser),
    )
    keep = [c for c in ("role", "visit", "delta") if c in table.columns]
    small = small_groups(privatiser.participant_frame(result.data), privatiser)
    shown = result_table(
        key,
        f"{label(result)} {what}: {spec.outcome}",
        table,
        privatiser,
        keep=[*keep, *RESULT_KEEP],
        withhold=mentions(small),
        note=privatiser.suppress_text("; ".join(dict.fromkeys(result.notes))),
    )
    return shown, None


BUILDERS = {
    "change": _change,
    "ancova": _ancova,
    "mixed_model": _mixed,
    "mmrm": _mmrm,
    "tipping_point": _other,
    "reference_based": _other,
    "cace": _other,
    "responders_logistic": _other,
}


def outcomes_section(
    results: list[AnalysisResult],
    instrument: str,
    privatiser: Privatiser,
    log: MethodsLog,
    used: set[str],
) -> Section:
    """Within-arm change, baseline-adjusted arm comparisons, and models of repeated scores: one
    table per analysis of the plan (primary first, as the plan orders them)."""
    tables: list[Table] = []
    figures: list[Figure] = []
    notes: list[str] = []
    for result in results:
        if result.spec.model not in BUILDERS:
            continue
        if result.status != "ok":
            notes.append(unavailable(result, privatiser))
            continue
        table, figure = BUILDERS[result.spec.model](
            result, table_key(result, used), privatiser, log
        )
        table.source = result
        tables.append(table)
        if figure is not None:
            figure.source = result
            figures.append(figure)
    return Section("outcomes", f"Outcomes: {instrument}", notes, tables, figures)
