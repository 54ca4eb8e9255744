"""Baseline characteristics (Table 1) and treadmill exposure sections.

Numbers come from :mod:`toolkit.stats` (``table1``) and :mod:`toolkit.summaries` (weekly
minutes, adherence, progression), figures from :mod:`toolkit.figures`; rows and figure groups
below the privacy threshold are suppressed or dropped here.
"""

from __future__ import annotations

import polars as pl

from toolkit.figures.exposure import figure_progression, figure_weekly_minutes
from toolkit.report.methods import MethodsLog
from toolkit.report.model import Figure, Section, Table
from toolkit.report.privacy import Privatiser
from toolkit.report.tables import result_table, wide_counts
from toolkit.stats import table1
from toolkit.summaries import adherence_by_participant, progression, weekly_minutes

CONTINUOUS = ("age", "bmi")
CATEGORICAL = ("sex", "condition", "site")


def table1_section(people: pl.DataFrame, privatiser: Privatiser, log: MethodsLog) -> Section:
    """Table 1: age and BMI (mean, SD, median, quartiles) and sex, condition, site (n, %) by arm."""
    summary = table1(people, group="arm", continuous=CONTINUOUS, categorical=CATEGORICAL)
    sizes = {str(arm): int(n) for arm, n in people.group_by("arm").len().iter_rows()}
    sizes["all"] = people.height
    continuous = summary.filter(pl.col("level").is_null()).select(
        "variable", "group", "n", "missing", "mean", "sd", "median", "q1", "q3"
    )
    cont_table = result_table(
        "table1_continuous",
        "Table 1a. Continuous characteristics by arm",
        continuous,
        privatiser,
    )
    categorical = summary.filter(pl.col("level").is_not_null())
    wide = wide_counts(
        categorical,
        index=["variable", "level"],
        on="group",
        count="count",
        text="summary",
        privatiser=privatiser,
        group_sizes=sizes,
        blocks="variable",
    )
    groups = [c for c in wide.columns if c not in ("variable", "level")]
    header = ", ".join(f"{g} n = {privatiser.count_text(sizes.get(g))}" for g in groups)
    cat_table = Table(
        "table1_categorical",
        "Table 1b. Categorical characteristics by arm: n (% of known values)",
        wide,
        tuple(groups),
        f"Group sizes: {header}. \u201c{privatiser.policy.suppressed_label}\u201d: fewer than "
        f"{privatiser.policy.min_cell} participants; \u201c*\u201d: withheld so that a smaller "
        "cell cannot be worked out from the totals.",
        {
            "variable": "characteristic",
            "level": "category",
            **{g: f"participants in {g}: count (% of known)" for g in groups},
        },
    )
    log.add(
        "Baseline characteristics",
        pl.DataFrame({"method": ["mean (SD), median [Q1, Q3]; counts (% of known values)"]}),
        n=people.height,
        missing="shown per variable, percentages of known values",
    )
    cont_table.source = cat_table.source = people
    return Section("table1", "Table 1: baseline characteristics", [], [cont_table, cat_table])


def exposure_section(
    weekly: pl.DataFrame,
    exposure: pl.DataFrame,
    person_weeks: pl.DataFrame,
    people: pl.DataFrame,
    privatiser: Privatiser,
    log: MethodsLog,
) -> Section:
    """Weekly minutes walked by arm, adherence to the prescription, speed/incline progression."""
    threshold = privatiser.policy.min_cell
    minutes = weekly_minutes(weekly, people)
    kept_minutes = minutes.filter(pl.col("n") >= threshold)
    dropped = _dropped(minutes, kept_minutes, ["arm", "measure"])
    figures = [
        Figure(
            "weekly_minutes",
            "Minutes walked per week by arm",
            figure_weekly_minutes(kept_minutes),
            "Mean minutes per participant and study week (weeks without sessions count as 0), "
            "with 95% confidence bands.",
            dropped,
        )
    ]
    adherence = adherence_by_participant(exposure, people)
    adherence_summary = table1(
        adherence.select(
            "participant_id",
            "arm",
            "mean_adherence",
            "retro_minutes_per_week",
            "forward_minutes_per_week",
            "sessions",
        ),
        group="arm",
        continuous=(
            "mean_adherence",
            "retro_minutes_per_week",
            "forward_minutes_per_week",
            "sessions",
        ),
        categorical=(),
    ).select("variable", "group", "n", "missing", "mean", "sd", "median", "q1", "q3")
    tables = [
        result_table(
            "adherence",
            "Adherence and exposure per participant with a walking prescription, by arm",
            adherence_summary,
            privatiser,
            note="mean_adherence: mean over the intervention weeks of minutes walked in the "
            "prescribed direction divided by the prescribed minutes (1 = prescription met).",
        )
    ]
    tables[0].source = adherence
    steps = progression(person_weeks, people)
    kept_steps = steps.filter(pl.col("n") >= threshold)
    figures.append(
        Figure(
            "progression",
            "Treadmill speed and incline by study week",
            figure_progression(kept_steps),
            "Participant weekly means (duration-weighted), mean with 95% confidence bands.",
            _dropped(steps, kept_steps, ["arm", "direction"]),
        )
    )
    log.add(
        "Exposure",
        pl.DataFrame({"method": ["weekly minutes per participant, mean with t-based 95% CI"]}),
        missing="weeks without sessions count as zero minutes",
    )
    paragraphs = [
        "Exposure is the treadmill walking recorded in the study: minutes walked backward (retro) "
        "and forward per study week, adherence to each arm's prescription, and the progression "
        "of speed and incline. Segments whose direction the device did not record are counted "
        "as unknown, never guessed."
    ]
    return Section("exposure", "Exposure", paragraphs, tables, figures)


def _dropped(full: pl.DataFrame, kept: pl.DataFrame, by: list[str]) -> list[str]:
    """Groups (``by``) present in ``full`` with some rows left out of ``kept``."""
    if full.height == kept.height:
        return []
    lost = full.join(kept, on=full.columns, how="anti", nulls_equal=True)
    groups = lost.select(by).unique().sort(by)
    return [
        f"{' '.join(str(v) for v in row)} (weeks with too few participants)"
        for row in groups.iter_rows()
    ]
