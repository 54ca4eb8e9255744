"""Dose-response and responder sections: how much walking, and how many improved enough.

Statistics from :mod:`toolkit.stats`, figures from :mod:`toolkit.figures`; this module only
privatises, suppresses and composes.
"""

from __future__ import annotations

import polars as pl

from toolkit.figures import figure_dose_response, figure_responders
from toolkit.report.methods import MethodsLog
from toolkit.report.model import Figure, Section, Table
from toolkit.report.outcome_sections import RESULT_KEEP, attempt, excluded_text, reference_arm
from toolkit.report.privacy import Privatiser
from toolkit.report.tables import mentions, result_table
from toolkit.stats import dose_response, dose_response_curve, responders

#: Adjustment set of the dose-response model: baseline, and forward minutes so that the retro
#: slope is not credited with forward walking (datasets/retrowalk_demo/MODEL.md).
DOSE_COVARIATES = ("baseline", "forward_minutes")


def dose_response_section(
    outcome: pl.DataFrame, instrument: str, privatiser: Privatiser, log: MethodsLog
) -> Section:
    """Regression of change on mean weekly retro minutes, adjusted for baseline and forward."""
    tables: list[Table] = []
    figures: list[Figure] = []
    notes: list[str] = []

    def linear() -> None:
        result = dose_response(
            outcome, outcome="change", exposure="retro_minutes", covariates=DOSE_COVARIATES
        )
        log.add(
            f"Dose-response of {instrument} change on mean weekly retro minutes",
            result,
            covariates=DOSE_COVARIATES,
            missing=excluded_text(result, privatiser),
        )
        tables.append(
            result_table(
                "dose_response",
                f"Dose-response: change in {instrument} per mean weekly retro-walking minute",
                result,
                privatiser,
                keep=[*RESULT_KEEP, "n_excluded"],
            )
        )
        curve = dose_response_curve(
            outcome, outcome="change", exposure="retro_minutes", covariates=DOSE_COVARIATES
        )
        points, dropped = privatiser.large_groups(outcome, ["arm"])
        figures.append(
            Figure(
                "dose_response",
                "Change against mean weekly retro minutes",
                figure_dose_response(points, curve, instrument=instrument),
                "One marker per participant (pseudonym on hover); line: fitted change with "
                "95% band, other covariates at their means.",
                dropped,
            )
        )

    attempt(notes, "The dose-response model", linear)
    paragraphs = [
        "Exposure is each participant's mean weekly minutes walked backward over the "
        "intervention weeks (usual care: 0); the slope is the change in the outcome per extra "
        "weekly minute.",
        *notes,
    ]
    return Section("dose-response", "Dose-response", paragraphs, tables, figures)


def responders_section(
    outcome: pl.DataFrame, instrument: str, mcid: str, privatiser: Privatiser, log: MethodsLog
) -> Section:
    """Proportion of responders (improvement of at least the MCID) by arm, and comparisons."""
    tables: list[Table] = []
    figures: list[Figure] = []
    notes: list[str] = []
    threshold = privatiser.policy.min_cell

    def build() -> None:
        result = responders(
            outcome, responder="responder", group="arm", reference=reference_arm(outcome)
        )
        log.add(
            f"Responder analysis ({instrument}, {mcid})",
            result,
            missing="participants without both measurements excluded",
        )
        marked = result.with_columns(
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
        tables.append(
            result_table(
                "responders",
                f"Responders ({instrument}): proportion improving by at least the MCID, by arm",
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
        shown = marked.filter(~pl.col("term").is_in(small))
        figures.append(
            Figure(
                "responders",
                "Responders by arm",
                figure_responders(shown, instrument=instrument, mcid=mcid),
                dropped_groups=small,
            )
        )

    attempt(notes, "The responder analysis", build)
    return Section("responders", "Responder analysis", notes, tables, figures)
