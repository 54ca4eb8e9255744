"""A complete CONSORT flow (CONSORT 2010, item 13 and its diagram), per arm.

Stages: *randomised* (allocated to the arm), *received allocated intervention* (any exposure
recorded), *discontinued intervention* and *lost to follow-up* (from intercurrent-event rows,
counted per reason), and *analysed* separately for every analysis named by the caller, because
analyses use different participants (an MMRM keeps everyone with any post-baseline visit, a
complete-case ANCOVA only those with baseline and final follow-up). Intercurrent events (ICH E9
(R1): discontinuation, rescue medication, ...) are given as rows ``participant_id, event,
reason``; ``event`` values ``"discontinued"`` and ``"lost_to_follow_up"`` feed the flow, every
other event (e.g. ``"rescue_medication"``) is counted in its own stage so the report shows it.
Pure function on rows of public views (polars in, tidy polars out).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

_SCHEMA = {
    "step": pl.Int64,
    "stage": pl.String,
    "reason": pl.String,
    "arm": pl.String,
    "participants": pl.Int64,
    "percent_of_randomised": pl.Float64,
}


def consort_flow(
    participants: pl.DataFrame,
    *,
    exposure: pl.DataFrame | None = None,
    events: pl.DataFrame | None = None,
    analyses: Mapping[str, tuple[pl.DataFrame, Sequence[str]]] | None = None,
) -> pl.DataFrame:
    """CONSORT counts per arm.

    Parameters
    ----------
    participants
        Rows of the ``participants`` view (participant_id, arm): the randomised.
    exposure
        Rows with participant_id and a minutes column (``retro_minutes`` or ``minutes``, e.g.
        ``weekly_exposure``): a participant with any positive minutes received the intervention.
    events
        Intercurrent events: participant_id, event, reason (reason may be null).
    analyses
        Analysis name -> (its analysis frame, the columns it needs): a participant is
        analysed when at least one of their rows has all those columns non-null.

    Returns
    -------
    polars.DataFrame
        step, stage, reason (null except for per-reason rows), arm (arms sorted, then
        ``all``), participants, percent_of_randomised.
    """
    people = participants.select("participant_id", pl.col("arm").cast(pl.String))
    arms = sorted(a for a in people["arm"].unique().to_list() if a is not None)
    counts: list[tuple[str, str | None, pl.DataFrame]] = [("randomised", None, people)]
    if exposure is not None:
        minutes = "retro_minutes" if "retro_minutes" in exposure.columns else "minutes"
        received = exposure.filter(pl.col(minutes) > 0).select("participant_id").unique()
        counts.append(
            ("received allocated intervention", None, people.join(received, on="participant_id"))
        )
    if events is not None:
        tagged = events.select(
            "participant_id", "event", pl.col("reason").cast(pl.String).fill_null("not given")
        ).join(people, on="participant_id")
        others = sorted(set(tagged["event"].to_list()) - {"discontinued", "lost_to_follow_up"})
        for event in ["discontinued", "lost_to_follow_up", *others]:
            part = tagged.filter(pl.col("event") == event)
            label = event.replace("_", " ")
            counts.append((label, None, part.select("participant_id", "arm").unique()))
            for reason in sorted(set(part["reason"].to_list())):
                chosen = part.filter(pl.col("reason") == reason)
                counts.append((label, reason, chosen.select("participant_id", "arm").unique()))
    for name, (frame, columns) in (analyses or {}).items():
        usable = frame.drop_nulls(list(columns)).select("participant_id").unique()
        counts.append((f"analysed: {name}", None, people.join(usable, on="participant_id")))
    randomised = {a: people.filter(pl.col("arm") == a).height for a in arms}
    rows = []
    for step, (stage, reason, frame) in enumerate(counts, start=1):
        for arm in [*arms, "all"]:
            n = frame.height if arm == "all" else frame.filter(pl.col("arm") == arm).height
            base = people.height if arm == "all" else randomised[arm]
            rows.append(
                {
                    "step": step,
                    "stage": stage,
                    "reason": reason,
                    "arm": arm,
                    "participants": n,
                    "percent_of_randomised": 100.0 * n / base if base else None,
                }
            )
    return pl.DataFrame(rows, schema=_SCHEMA)
