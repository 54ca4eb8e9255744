"""k-anonymous participant-level extracts: generalise the quasi-identifiers, suppress the rest.

Why: a private report's ``analysis_outcomes.csv`` kept exact age, BMI, sex, site, arm and
condition per pseudonym, and 171 of 200 demo participants were unique on five of those fields
(200 of 200 with BMI): a reader who knew a participant's age and site could find their row.

What a private report's participant-level extracts hold instead (``k`` = ``--min-cell``):

- **Quasi-identifiers** (:data:`QUASI_IDENTIFIERS`): age, BMI, sex, site, condition, arm. Dates
  are already study days (:mod:`toolkit.report.privacy`).
- **One generalisation for the whole report**, the first step of :data:`LADDER` at which at
  most :data:`MAX_SUPPRESSED` of the participants must be suppressed: age in 10-year bands and
  BMI in the WHO classes, then coarser bands and classes, then site, BMI, age and sex left out.
  The same participant gets the same generalised values in every extract, so joining extracts
  on the pseudonym reveals nothing more than one extract does.
- **Suppression**: participants still in a group of fewer than ``k`` (over the generalised
  quasi-identifiers) are removed from every participant-level extract.
- **Too small to protect**: a cohort of fewer than ``2k`` participants, or one where no step
  keeps at least half of them, gets no participant-level extract; the data dictionary says so.

:func:`k_anonymity` computes ``k`` of a frame (the smallest number of distinct participants
sharing one combination of quasi-identifier values); the extract writer checks it for every
participant-level extract it writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

#: Columns that, combined, could single a participant out to someone who knows them.
QUASI_IDENTIFIERS = ("age", "bmi", "sex", "site", "condition", "arm")

#: The generalised columns' names and meanings (for the data dictionary).
GENERALISED_COLUMNS = {
    "age_band": "age at enrolment, in bands (generalised for k-anonymity)",
    "bmi_class": "BMI class (WHO: <18.5, 18.5-24.9, 25-29.9, 30-34.9, 35-39.9, >=40; "
    "coarser when needed for k-anonymity)",
}

#: Below this many groups of ``k`` (cohort < 2k), no participant-level extract is written: one
#: group holding the whole cohort would be k-anonymous yet tell every member's outcome to anyone
#: who knows they are in the cohort (attribute disclosure).
MIN_GROUPS = 2

#: Largest share of participants a generalisation step may suppress before the next is tried.
MAX_SUPPRESSED = 0.10

_WHO: list[tuple[float, str]] = [
    (18.5, "<18.5"),
    (25, "18.5-24.9"),
    (30, "25-29.9"),
    (35, "30-34.9"),
    (40, "35-39.9"),
]
_WHO_COARSE: list[tuple[float, str]] = [(25, "<25"), (30, "25-29.9")]


def _band(width: int) -> pl.Expr:
    low = (pl.col("age") // width * width).cast(pl.Int64)
    return (
        pl.when(pl.col("age").is_null())
        .then(None)
        .otherwise(low.cast(pl.String) + "-" + (low + width - 1).cast(pl.String))
        .alias("age_band")
    )


def _bmi(classes: Sequence[tuple[float, str]], top: str) -> pl.Expr:
    expr: pl.Expr = pl.lit(top)
    for bound, label in reversed(classes):
        expr = pl.when(pl.col("bmi") < bound).then(pl.lit(label)).otherwise(expr)
    return pl.when(pl.col("bmi").is_null()).then(None).otherwise(expr).alias("bmi_class")


@dataclass(frozen=True)
class Step:
    """One generalisation: what each quasi-identifier becomes (None: left out)."""

    name: str
    age: int | None  # band width in years
    bmi: str | None  # "who" or "coarse"
    keep: tuple[str, ...]  # kept as they are

    def expressions(self) -> list[pl.Expr]:
        out = [pl.col(c) for c in self.keep]
        if self.age is not None:
            out.append(_band(self.age))
        if self.bmi == "who":
            out.append(_bmi(_WHO, ">=40"))
        elif self.bmi == "coarse":
            out.append(_bmi(_WHO_COARSE, ">=30"))
        return out


LADDER = (
    Step(
        "age in 10-year bands, BMI in WHO classes", 10, "who", ("sex", "site", "condition", "arm")
    ),
    Step(
        "age in 20-year bands, BMI <25/25-29.9/>=30",
        20,
        "coarse",
        ("sex", "site", "condition", "arm"),
    ),
    Step(
        "age in 20-year bands, BMI <25/25-29.9/>=30, site left out",
        20,
        "coarse",
        ("sex", "condition", "arm"),
    ),
    Step("age in 20-year bands, BMI and site left out", 20, None, ("sex", "condition", "arm")),
    Step("age, BMI and site left out", None, None, ("sex", "condition", "arm")),
    Step("age, BMI, site and sex left out", None, None, ("condition", "arm")),
)


@dataclass(frozen=True)
class Generalisation:
    """What :func:`generalise` decided for one report.

    ``values``: one row per kept participant with the generalised quasi-identifiers;
    ``suppressed``: pseudonyms removed; ``k``: the smallest group size reached (None when
    participant-level extracts are left out, with ``reason``); ``local``: participants removed
    from one extract only (by key), see :func:`apply`.
    """

    step: Step | None
    values: pl.DataFrame
    suppressed: frozenset[str]
    k: int | None
    reason: str = ""
    local: Mapping[str, int] = field(default_factory=dict)


def k_anonymity(
    frame: pl.DataFrame, columns: Sequence[str] | None = None, subject: str = "participant_id"
) -> int | None:
    """The smallest number of distinct participants sharing one combination of ``columns``
    (default: the quasi-identifiers present, generalised or not); None for an empty frame or
    one without quasi-identifiers (then only the pseudonym links rows)."""
    names = [
        c for c in (columns or (*QUASI_IDENTIFIERS, *GENERALISED_COLUMNS)) if c in frame.columns
    ]
    if frame.height == 0 or subject not in frame.columns:
        return None
    if not names:
        return frame[subject].n_unique()
    sizes = frame.group_by(names).agg(pl.col(subject).n_unique().alias("__k"))
    return int(sizes["__k"].min())  # type: ignore[arg-type]


def participant_values(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """One row per participant with every quasi-identifier any of ``frames`` shows about them
    (null where none does)."""
    parts = [
        f.select("participant_id", *[c for c in QUASI_IDENTIFIERS if c in f.columns]).unique(
            "participant_id"
        )
        for f in frames
        if "participant_id" in f.columns
    ]
    if not parts:
        return pl.DataFrame({"participant_id": []}, schema={"participant_id": pl.String})
    people = (
        pl.concat(parts, how="diagonal_relaxed")
        .group_by("participant_id")
        .agg(pl.all().drop_nulls().first())
    )
    missing = [c for c in QUASI_IDENTIFIERS if c not in people.columns]
    return people.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in missing)


def generalise(people: pl.DataFrame, k: int) -> Generalisation:
    """Choose the generalisation for ``people`` (from :func:`participant_values`)."""
    total = people.height
    empty = people.select("participant_id").clear()
    if total < MIN_GROUPS * k:
        return Generalisation(
            None,
            empty,
            frozenset(people["participant_id"].to_list()),
            None,
            f"the cohort has {total} participants, fewer than {MIN_GROUPS} x k = {MIN_GROUPS * k}",
        )
    fallback: Generalisation | None = None
    for step in LADDER:
        values = people.select("participant_id", *step.expressions())
        groups = [c for c in values.columns if c != "participant_id"]
        sizes = values.group_by(groups).agg(pl.len().alias("__n"))
        sized = values.join(sizes, on=groups, how="left", nulls_equal=True)
        small = sized.filter(pl.col("__n") < k)
        suppressed = frozenset(small["participant_id"].to_list())
        kept = sized.filter(pl.col("__n") >= k).drop("__n")
        result = Generalisation(step, kept, suppressed, k_anonymity(kept, groups))
        if len(suppressed) <= MAX_SUPPRESSED * total:
            return result
        if fallback is None and len(suppressed) <= total / 2:
            fallback = result
    if fallback is not None:
        return fallback
    return Generalisation(
        None,
        empty,
        frozenset(people["participant_id"].to_list()),
        None,
        f"more than half of the {total} participants would have to be suppressed to reach k = {k}",
    )


def apply(frame: pl.DataFrame, chosen: Generalisation, k: int) -> tuple[pl.DataFrame, int]:
    """``frame`` (participant-level) with its quasi-identifiers replaced by the generalised
    ones and suppressed participants' rows removed; returns it and how many participants were
    removed from this frame alone.

    A frame may hold only some participants (those with scheduled visits, say), so a group that
    has ``k`` members in the cohort can have fewer in the frame: those members are removed from
    this frame too (local suppression), so every file is k-anonymous on its own.
    """
    present = [c for c in QUASI_IDENTIFIERS if c in frame.columns]
    shown = [
        c
        for c in chosen.values.columns
        if c != "participant_id"
        and (
            c in present
            or (c == "age_band" and "age" in present)
            or (c == "bmi_class" and "bmi" in present)
        )
    ]
    kept = frame.drop(present).join(
        chosen.values.select("participant_id", *shown), on="participant_id", how="inner"
    )
    order = [c for c in frame.columns if c not in present or c in shown]
    added = [c for c in shown if c not in order]
    out = kept.select(*[c for c in order if c in kept.columns], *added)
    removed = 0
    if shown and out.height:
        sizes = out.group_by(shown).agg(pl.col("participant_id").n_unique().alias("__k"))
        sized = out.join(sizes, on=shown, how="left", nulls_equal=True)
        small = sized.filter(pl.col("__k") < k)["participant_id"].unique()
        removed = small.len()
        out = sized.filter(pl.col("__k") >= k).drop("__k")
    return out.sort("participant_id", maintain_order=True), removed
