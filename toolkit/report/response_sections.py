"""Dose-response and responder sections: how much walking, and how many improved enough.

Results from the analysis layer (:mod:`toolkit.analyses`), figures from :mod:`toolkit.figures`;
this module only privatises, suppresses and composes. The dose-response is labelled
observational and exploratory beside its figure and in the methods: minutes walked are not
randomised.
"""

from __future__ import annotations

import polars as pl

from toolkit.analyses import AnalysisResult
from toolkit.figures import figure_dose_response, figure_responders
from toolkit.report.methods import MethodsLog
from toolkit.report.model import Figure, Section, Table
from toolkit.report.outcome_sections import (
    RESULT_KEEP,
    excluded_text,
    label,
    table_key,
    unavailable,
)
from toolkit.report.privacy import Privatiser
from toolkit.report.tables import mentions, result_table

OBSERVATIONAL = (
    "Observational and exploratory: minutes walked are not randomised (participants who "
    "respond may walk more), so the slope is an association, not the effect of walking more."
)


def dose_response_section(
    results: list[AnalysisResult], privatiser: Privatiser, log: MethodsLog, used: set[str]
) -> Section:
    """Regression of change on mean weekly minutes (one table and figure per analysis)."""
    tables: list[Table] = []
    figures: list[Figure] = []
    notes: list[str] = []
    for result in results:
        if result.spec.model != "dose_response":
            continue
        if result.status != "ok":
            notes.append(unavailable(result, privatiser))
            continue
        spec, table = result.spec, result.table
        key = table_key(result, used)
        log.add(
            f"{label(result)} Dose-response of {spec.outcome} change on mean weekly "
            f"{spec.exposure} (observational, exploratory)",
            table,
            covariates=result.covariates,
            missing=excluded_text(table, privatiser),
        )
        tables.append(
            result_table(
                key,
                f"{label(result)} Dose-response: change in {spec.outcome} per mean weekly "
                f"{spec.exposure.replace('_', ' ')} (observational)",
                table,
                privatiser,
                keep=[*RESULT_KEEP, "n_excluded"],
                note=privatiser.suppress_text("; ".join(result.notes)),
            )
        )
        tables[-1].source = result
        curve = result.curve if result.curve is not None else pl.DataFrame()
        points, dropped = privatiser.large_groups(
            privatiser.participant_frame(result.data), ["arm"]
        )
        figures.append(
            Figure(
                key,
                f"Change against mean weekly {spec.exposure.replace('_', ' ')} (observational)",
                figure_dose_response(
                    points, curve, exposure=spec.exposure, instrument=spec.outcome
                ),
                f"{OBSERVATIONAL} One marker per participant (pseudonym on hover); line: fitted "
                f"change with 95% band, adjusted for {', '.join(result.covariates) or 'nothing'} "
                "held at their means; drawn only inside the outcome's range.",
                dropped,
                source=result,
            )
        )
    paragraphs = [
        "Exposure is each participant's mean weekly minutes walked in the given direction over "
        "the intervention weeks (usual care: 0); the slope is the change in the outcome per "
        f"extra weekly minute. {OBSERVATIONAL}",
        *notes,
    ]
    return Section("dose-response", "Dose-response (observational)", paragraphs, tables, figures)


def responders_section(
    results: list[AnalysisResult], privatiser: Privatiser, log: MethodsLog, used: set[str]
) -> Section:
    """Proportion of responders (improvement of at least the MCID) by arm, and comparisons."""
    from toolkit.analyses.run import mcid_words

    tables: list[Table] = []
    figures: list[Figure] = []
    notes: list[str] = []
    threshold = privatiser.policy.min_cell
    for result in results:
        if result.spec.model != "responders":
            continue
        if result.status != "ok":
            notes.append(unavailable(result, privatiser))
            continue
        instrument, mcid = result.spec.outcome, mcid_words(result.spec.outcome)
        log.add(
            f"{label(result)} Responder analysis ({instrument}, {mcid})",
            result.table,
            missing="participants without both measurements excluded",
        )
        marked = result.table.with_columns(
            pl.when(pl.col("role") == "proportion")
            .then(pl.col("n") - pl.col("count"))
            .otherwise(None)
            .alias("non_responders")
        )
        # A proportion discloses its responders and its non-responders: either small withholds
        # it, and then also every comparison with that arm (which would give it back).
        small = marked.filter(
            (pl.col("role") == "proportion")
            & pl.any_horizontal(
                pl.col(c).is_between(1, threshold - 1) for c in ("n", "count", "non_responders")
            )
        )["term"].to_list()
        key = table_key(result, used)
        tables.append(
            result_table(
                key,
                f"{label(result)} Responders ({instrument}): proportion improving by at least "
                "the MCID, by arm",
                marked,
                privatiser,
                keep=[
                    "role",
                    "term",
                    "estimate",
                    "ci_low",
                    "ci_high",
                    "statistic",
                    "p_value",
                    "n",
                    "count",
                ],
                sizes=("n", "count", "non_responders"),
                withhold=(pl.col("role") != "proportion") & mentions(small),
                note=f"MCID: {mcid}. proportion rows: responders/n with Wilson CI; "
                "risk_difference: Newcombe CI; odds_ratio: Woolf CI. Rows whose responders or "
                f"non-responders number fewer than {threshold} are withheld.",
            )
        )
        tables[-1].source = result
        figures.append(
            Figure(
                key,
                f"Responders by arm ({instrument})",
                figure_responders(
                    marked.filter(~pl.col("term").is_in(small)), instrument=instrument, mcid=mcid
                ),
                dropped_groups=small,
                source=result,
            )
        )
    return Section("responders", "Responder analysis", notes, tables, figures)
