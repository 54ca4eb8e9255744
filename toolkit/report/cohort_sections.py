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
from toolkit.summaries import consort_flow, enrolment_by_arm, participant_flow


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
    *,
    events: pl.DataFrame | None = None,
) -> Section:
    """CONSORT-style flow for the primary outcome: enrolled, with baseline, the intercurrent
    events recorded (discontinued, lost to follow-up, rescue medication, ...: rows of the
    ``intercurrent_events`` view), with follow-up, analysed; and the events' reasons."""
    flow = with_events(participant_flow(participants, outcomes, instrument), participants, events)
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
        "window; discontinued, lost to follow up and other events: participants with that "
        "intercurrent event recorded (any reason; a participant may have several); analysed: "
        "baseline and follow-up (the complete cases of the change and ANCOVA analyses).",
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
    tables = [table]
    if events is not None and events.height:
        paragraphs.append(
            "Intercurrent events (ICH E9(R1)) are counted from the study's intercurrent_events "
            "records (ingested with their dates and reasons); the reasons are tabulated below."
        )
        tables.append(_reasons_table(participants, events, sizes, privatiser))
    return Section("consort", "CONSORT flow", paragraphs, tables, [figure])


def event_stage(event: str, reason: str | None = None) -> str:
    """The flow-stage label of an intercurrent event (``lost to follow up``), or of one of its
    reasons (``lost to follow up: moved away``); the suppression pass ties labels to people."""
    label = event.replace("_", " ")
    return label if reason is None else f"{label}: {reason}"


def with_events(
    flow: pl.DataFrame, participants: pl.DataFrame, events: pl.DataFrame | None
) -> pl.DataFrame:
    """``flow`` (from ``participant_flow``) with the intercurrent-event stages of
    :func:`toolkit.summaries.consort_flow` after "with baseline", steps renumbered."""
    if events is None or events.height == 0:
        return flow
    counted = consort_flow(participants, events=events).filter(
        pl.col("stage").ne("randomised") & pl.col("reason").is_null()
    )
    enrolled = flow.filter(pl.col("stage") == "enrolled").select(
        "arm", pl.col("participants").alias("_enrolled")
    )
    extra = counted.join(enrolled, on="arm").select(
        pl.col("step").cast(pl.Float64) / 100 + 2,  # between "with baseline" (2) and 3
        "stage",
        "arm",
        "participants",
        (100.0 * pl.col("participants") / pl.col("_enrolled")).alias("percent_of_enrolled"),
    )
    both = pl.concat([flow.with_columns(pl.col("step").cast(pl.Float64)), extra])
    steps = {s: i for i, s in enumerate(sorted(set(both["step"].to_list())), start=1)}
    arm_order = {a: i for i, a in enumerate(dict.fromkeys(flow["arm"].to_list()))}
    return (
        both.with_columns(
            pl.col("step").replace_strict(steps, return_dtype=pl.Int64),
            pl.col("arm").replace_strict(arm_order, return_dtype=pl.Int64).alias("_arm"),
        )
        .sort("step", "_arm")
        .drop("_arm")
    )


def _reasons_table(
    participants: pl.DataFrame,
    events: pl.DataFrame,
    sizes: dict[str, int],
    privatiser: Privatiser,
) -> Table:
    """Participants per intercurrent event and recorded reason, by arm (CONSORT item 13b)."""
    counted = consort_flow(participants, events=events).filter(pl.col("reason").is_not_null())
    rows = counted.select(
        pl.col("step").rank("dense").cast(pl.Int64),
        pl.struct("stage", "reason")
        .map_elements(lambda r: event_stage(r["stage"], r["reason"]), return_dtype=pl.String)
        .alias("stage"),
        "arm",
        "participants",
    )
    wide = wide_counts(
        rows,
        index=["step", "stage"],
        on="arm",
        count="participants",
        text=None,
        privatiser=privatiser,
        group_sizes=sizes,
    )
    arms = [c for c in wide.columns if c not in ("step", "stage")]
    return Table(
        "consort_reasons",
        "Intercurrent events by recorded reason",
        wide,
        tuple(arms),
        "Participants with each intercurrent event and reason as recorded (\u201cnot given\u201d: "
        "no reason recorded); small cells are hidden as in the flow table.",
        {
            "step": "order of the row",
            "stage": "intercurrent event: reason",
            **{a: f"participants in arm {a} with this event and reason" for a in arms},
        },
    )
