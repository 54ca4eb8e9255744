"""The report's first sections: who is in the cohort (definition) and how they flowed (CONSORT).

Counts come from :mod:`toolkit.summaries` (the same functions the dashboard shows) and the
figure from :mod:`toolkit.figures`; this module only privatises and composes them.
"""

from __future__ import annotations

import polars as pl

from toolkit.cohorts import Cohort
from toolkit.figures.overview import figure_participant_flow
from toolkit.report.model import Figure, Section, Table
from toolkit.report.privacy import Privatiser
from toolkit.report.tables import wide_counts
from toolkit.summaries import enrolment_by_arm, participant_flow


def cohort_text(cohort: Cohort, *, identifiable: bool) -> str:
    """The cohort definition in words; enrolment-date limits withheld in a private report.

    Calendar limits on enrolment can single out when someone joined, so a private report says
    that such a filter was applied without printing the dates.
    """
    if identifiable or (cohort.enrolled_from is None and cohort.enrolled_to is None):
        return cohort.describe()
    undated = Cohort.from_dict(
        {k: v for k, v in cohort.to_dict().items() if k not in ("enrolled_from", "enrolled_to")}
    )
    text = "" if undated.is_everyone() else undated.describe() + "; "
    return text + "enrolment-date window applied (dates withheld in a private report)"


def cohort_section(
    cohort: Cohort,
    participants: pl.DataFrame,
    study_total: int,
    privatiser: Privatiser,
    text: str,
) -> Section:
    """Cohort definition: the filters in words and JSON, and enrolment by arm and condition."""
    policy = privatiser.policy
    definition = cohort.to_json() if policy.identifiable else None
    paragraphs = [
        f"Definition: {text}.",
        f"The cohort holds {privatiser.count_text(participants.height)} of the study's "
        f"{privatiser.count_text(study_total)} enrolled participants.",
    ]
    if definition is not None:
        paragraphs.append(f"Machine-readable definition: {definition}")
    by_arm = enrolment_by_arm(participants).sort("condition", "arm")
    totals = by_arm.group_by("condition", maintain_order=True).agg(
        pl.lit("all").alias("arm"), pl.col("participants").sum()
    )
    counts = pl.concat([by_arm, totals.select(by_arm.columns)])
    sizes = dict(participants.group_by("arm").len().select("arm", "len").iter_rows())
    wide = wide_counts(
        counts,
        index=["condition"],
        on="arm",
        count="participants",
        text=None,
        privatiser=privatiser,
        group_sizes={str(k): int(v) for k, v in sizes.items()},
        blocks=True,
    )
    arms = [c for c in wide.columns if c != "condition"]
    table = Table(
        "enrolment_by_arm_condition",
        "Participants by condition and arm",
        wide,
        tuple(arms),
        f"Cells of fewer than {policy.min_cell} participants are shown as "
        f"\u201c{policy.suppressed_label}\u201d; \u201c*\u201d marks a cell withheld so that a "
        "smaller one cannot be worked out from the totals.",
        {"condition": "condition studied", **{a: f"participants in arm {a}" for a in arms}},
    )
    return Section("cohort", "Cohort definition", paragraphs, [table])


def consort_section(
    participants: pl.DataFrame,
    outcomes: pl.DataFrame,
    instrument: str,
    study_total: int,
    privatiser: Privatiser,
) -> Section:
    """CONSORT-style flow for the primary outcome: enrolled, with baseline, follow-up, analysed."""
    flow = participant_flow(participants, outcomes, instrument)
    sizes = {
        str(r["arm"]): int(r["participants"])
        for r in flow.filter(pl.col("stage") == "enrolled").iter_rows(named=True)
    }
    wide = wide_counts(
        flow,
        index=["step", "stage"],
        on="arm",
        count="participants",
        text=None,
        privatiser=privatiser,
        group_sizes=sizes,
    )
    arms = [c for c in wide.columns if c not in ("step", "stage")]
    table = Table(
        "consort_flow",
        f"Participant flow for the primary outcome ({instrument})",
        wide,
        tuple(arms),
        "Enrolled: in the cohort; with baseline / follow-up: a score in the baseline / follow-up "
        "window; analysed: both (the complete cases of the change and ANCOVA analyses).",
        {
            "step": "order of the stage",
            "stage": "CONSORT stage",
            **{a: f"participants in arm {a} at this stage" for a in arms},
        },
    )
    shown_cells = {
        (stage, arm)
        for stage, *cells in wide.select("stage", *arms).iter_rows()
        for arm, cell in zip(arms, cells, strict=True)
        if cell is not None and cell[:1].isdigit()
    }
    keep = [(r["stage"], r["arm"]) in shown_cells for r in flow.iter_rows(named=True)]
    shown_flow = flow.filter(pl.Series(keep, dtype=pl.Boolean))
    dropped = [
        f"{r['arm']} {r['stage']}"
        for r, kept in zip(flow.iter_rows(named=True), keep, strict=True)
        if not kept and r["arm"] != "all"
    ]
    figure = Figure(
        "consort_flow",
        "Participant flow by arm",
        figure_participant_flow(shown_flow, instrument=instrument),
        dropped_groups=dropped,
    )
    excluded = study_total - participants.height
    paragraphs = [
        f"Assessed (enrolled in the study): {privatiser.count_text(study_total)}; "
        f"excluded by the cohort definition: {privatiser.count_text(excluded)}; "
        f"in the cohort: {privatiser.count_text(participants.height)}."
    ]
    return Section("consort", "CONSORT flow", paragraphs, [table], [figure])
