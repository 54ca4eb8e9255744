"""Methods text written from what the report actually ran.

Every analysis the report runs appends an :class:`AnalysisRun` (what, on which outcome, with
which covariates, how missing data were handled, on how many participants, and the ``method``
string the statistics function itself returned). The methods section is generated from these
records, so it cannot describe an analysis that was not run, or miss one that was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from toolkit.report.privacy import Privatiser


@dataclass(frozen=True)
class AnalysisRun:
    """One analysis as run.

    Attributes
    ----------
    name
        What it is, e.g. ``"ANCOVA of follow-up NRS"``.
    methods
        The distinct ``method`` strings of its result rows.
    covariates
        Adjustment variables.
    missing
        How missing data were handled, in words.
    n
        Participants analysed (None when not a single number).
    """

    name: str
    methods: tuple[str, ...]
    covariates: tuple[str, ...] = ()
    missing: str = ""
    n: int | None = None


@dataclass
class MethodsLog:
    """The analyses a report ran, in order."""

    runs: list[AnalysisRun] = field(default_factory=list)

    def add(
        self,
        name: str,
        result: pl.DataFrame,
        *,
        covariates: Sequence[str] = (),
        missing: str = "",
        n: int | None = None,
    ) -> None:
        """Record ``result`` (a statistics result frame) under ``name``."""
        methods: tuple[str, ...] = ()
        if "method" in result.columns:
            methods = tuple(dict.fromkeys(m for m in result["method"].to_list() if m))
        if n is None and "n" in result.columns and result.height:
            values = {v for v in result["n"].to_list() if v is not None}
            n = values.pop() if len(values) == 1 else None
        self.runs.append(AnalysisRun(name, methods, tuple(covariates), missing, n))


def methods_paragraphs(
    log: MethodsLog,
    *,
    cohort_text: str,
    outcome: str,
    windows: str,
    privatiser: Privatiser,
) -> list[str]:
    """The methods section: population, outcome definition, one sentence per analysis, privacy."""
    paragraphs = [
        f"Population: {cohort_text}. Outcome: {outcome}; {windows}",
    ]
    for run in log.runs:
        sentence = f"{run.name}: {'; '.join(run.methods) or 'see table'}"
        if run.covariates:
            sentence += f"; adjusted for {', '.join(run.covariates)}"
        if run.missing:
            sentence += f"; missing data: {run.missing}"
        if run.n is not None:
            sentence += f"; n = {privatiser.count_text(run.n)}"
        paragraphs.append(privatiser.suppress_text(sentence) + ".")
    policy = privatiser.policy
    if policy.identifiable:
        paragraphs.append(
            "Disclosure control: this report was generated with --identifiable and shows raw "
            f"participant IDs and calendar dates; counts below {policy.min_cell} are suppressed."
        )
    else:
        paragraphs.append(
            "Disclosure control: participant IDs are replaced by pseudonyms drawn at random for "
            "this report; dates are expressed as days from each participant's enrolment; counts "
            f"of fewer than {policy.min_cell} participants are shown as "
            f"\u201c{policy.suppressed_label}\u201d, statistics from such groups are withheld, "
            "and such groups are left out of figures."
        )
    paragraphs.append(
        "Analyses were computed by the retrowalk toolkit (versions in Provenance); p-values are "
        "two-sided and intervals are 95% unless stated."
    )
    return paragraphs
