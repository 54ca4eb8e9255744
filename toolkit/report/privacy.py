"""Privacy rules of a shared report: pseudonyms, study days for dates, small-cell suppression.

A report leaves the research team (ethics boards, co-authors, email), so by default it must not
carry what identifies a participant:

- **Participant IDs** are replaced by report-local pseudonyms (``P001``...) assigned in a random
  order drawn from the operating system's CSPRNG (:mod:`secrets`) for every report, so a
  pseudonym cannot be derived from the ID and two reports' pseudonyms cannot be linked.
- **Calendar dates** are reduced to study days: every date or timestamp column of a
  participant-level frame becomes ``<column>_study_day`` (days from the participant's enrolment
  date) and the calendar value is dropped.
- **Small cells**: any count of participants below ``min_cell`` (default 5, the threshold
  commonly used by statistical agencies and health-data custodians, e.g. the UK ONS and NHS
  Digital's small-number rule) is shown as ``<min_cell``; statistics computed from fewer than
  ``min_cell`` participants are withheld; figure groups below it are dropped.

``identifiable=True`` (``--identifiable``) turns the first two off; suppression still follows
``min_cell`` (pass ``min_cell=1`` to switch it off as well).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import polars as pl

from toolkit.errors import UsageError

#: A whole number counting people (or their rows) in free text.
COUNTED = re.compile(
    r"(?<![\w.])\d+(?=\s+(?:of\s+\d+\s+)?(?:row|participant|subject|responder|"
    r"non-responder|patient|person|people|measurement|missing|dropped|left out)"
    r"|(?:\s+[\w()-]+){0,3}\s+excluded)",
    re.IGNORECASE,
)


def _small(column: pl.Expr, min_cell: int) -> pl.Expr:
    """Whether a count is a small cell (1 to ``min_cell - 1``); null counts are not."""
    value = column.cast(pl.Int64)
    return ((value > 0) & (value < min_cell)).fill_null(False)


def complementary_suppression(
    counts: Sequence[Sequence[int | None]],
    min_cell: int,
    *,
    total_column: int | None = None,
    blocks: Sequence[int] | None = None,
) -> set[tuple[int, int]]:
    """Cells to suppress in a count table so that no small cell can be recovered by subtraction.

    Primary suppression hides each small cell (1 to ``min_cell - 1``). A hidden cell is still
    recoverable when it is the only hidden cell of a sum that is published: a row whose total
    column is shown, or a column whose total is known (group sizes are published elsewhere in
    the report). Secondary suppression then hides the smallest other cell of that sum, and
    repeats until every published sum hides zero or at least two cells (the classic
    complementary-suppression heuristic, e.g. Hundepool et al., *Statistical Disclosure
    Control*, Wiley 2012, ch. 5).

    Parameters
    ----------
    counts
        Rows of cells (None: not a count, never suppressed).
    min_cell
        The threshold.
    total_column
        Index of the column holding each row's total (the other columns add up to it).
    blocks
        Block number of each row: the rows of one block add up to the column totals (e.g. the
        levels of one variable). None when rows do not partition the columns (no column rule).

    Returns
    -------
    set of (row, column)
        The cells to show as suppressed.
    """
    hidden = {
        (r, c)
        for r, row in enumerate(counts)
        for c, value in enumerate(row)
        if value is not None and 0 < value < min_cell
    }
    sums: list[list[tuple[int, int]]] = []
    if total_column is not None:
        sums += [
            [(r, c) for c, v in enumerate(row) if v is not None] for r, row in enumerate(counts)
        ]
    if blocks is not None:
        width = max((len(row) for row in counts), default=0)
        for block in set(blocks):
            rows = [r for r, b in enumerate(blocks) if b == block]
            for c in range(width):
                sums.append([(r, c) for r in rows if counts[r][c] is not None])
    changed = True
    while changed:
        changed = False
        for cells in sums:
            if sum(cell in hidden for cell in cells) != 1:
                continue
            others = [cell for cell in cells if cell not in hidden]
            if not others:
                continue
            smallest = min(others, key=lambda cell: (counts[cell[0]][cell[1]] or 0, cell))
            hidden.add(smallest)
            changed = True
    return hidden


@dataclass(frozen=True)
class PrivacyPolicy:
    """What a report may show.

    Parameters
    ----------
    identifiable
        Include raw participant IDs and calendar dates (must be asked for explicitly).
    min_cell
        Smallest count of participants shown; smaller counts are suppressed.
    """

    identifiable: bool = False
    min_cell: int = 5

    def __post_init__(self) -> None:
        if isinstance(self.min_cell, bool) or not isinstance(self.min_cell, int):
            raise UsageError(
                f"The 'min_cell' parameter of a report must be an int >= 1. "
                f"Got {self.min_cell!r} instead."
            )
        if self.min_cell < 1:
            raise UsageError(
                f"The 'min_cell' parameter of a report must be an int >= 1. "
                f"Got {self.min_cell} instead."
            )

    @property
    def suppressed_label(self) -> str:
        """How a suppressed count is shown, e.g. ``<5``."""
        return f"<{self.min_cell}"


@dataclass
class Privatiser:
    """Applies a :class:`PrivacyPolicy` to the frames of one report.

    Parameters
    ----------
    policy
        The rules.
    enrolment
        One row per participant known to the report: ``participant_id`` and ``enrolled_on``
        (the reference of study days).
    """

    policy: PrivacyPolicy
    enrolment: pl.DataFrame
    pseudonyms: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        ids = [str(v) for v in self.enrolment["participant_id"].unique().to_list()]
        order = secrets.SystemRandom().sample(ids, len(ids))
        width = max(3, len(str(len(ids))))
        self.pseudonyms = {pid: f"P{i + 1:0{width}d}" for i, pid in enumerate(order)}

    # -- participant-level frames -------------------------------------------------------------

    def participant_frame(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` with IDs pseudonymised and dates turned into study days (unless identifiable).

        Columns of type Date or Datetime become ``<name>_study_day`` (integer days since the
        participant's enrolment; ``enrolled_on`` itself is dropped, its study day being 0).
        Without a ``participant_id`` column, date columns are dropped.
        """
        if self.policy.identifiable:
            return frame
        temporal = [name for name, dtype in frame.schema.items() if dtype.is_temporal()]
        out = frame
        if temporal and "participant_id" in frame.columns:
            ref = self.enrolment.select(
                pl.col("participant_id").cast(pl.String),
                pl.col("enrolled_on").cast(pl.Date).alias("__enrolled"),
            )
            out = out.with_columns(pl.col("participant_id").cast(pl.String)).join(
                ref, on="participant_id", how="left"
            )
            days = [
                (pl.col(name).cast(pl.Date) - pl.col("__enrolled"))
                .dt.total_days()
                .cast(pl.Int32)
                .alias(f"{name}_study_day")
                for name in temporal
                if name != "enrolled_on"
                and frame.schema[name] != pl.Duration
                and f"{name}_study_day" not in frame.columns
            ]
            out = out.with_columns(days).drop("__enrolled")
        out = out.drop(temporal)
        if "participant_id" in out.columns:
            out = out.with_columns(
                pl.col("participant_id")
                .cast(pl.String)
                .replace_strict(self.pseudonyms, default=None)
                .alias("participant_id")
            )
            unknown = out["participant_id"].null_count() - frame["participant_id"].null_count()
            if unknown:
                raise UsageError(
                    f"{unknown} row(s) belong to participants outside this report's cohort; "
                    "a report only shows its cohort."
                )
            # Rows sorted by raw ID would let a reader line pseudonyms up with a roster:
            # order by pseudonym instead (stable, so each participant's rows keep their order).
            out = out.sort("participant_id", maintain_order=True, nulls_last=True)
        return out

    def pseudonym(self, participant_id: str) -> str:
        """The report's name for one participant (the ID itself when identifiable)."""
        return participant_id if self.policy.identifiable else self.pseudonyms[participant_id]

    # -- counts and aggregates ----------------------------------------------------------------

    def is_small(self, count: int | None) -> bool:
        """Whether ``count`` participants is a small cell: 1 to ``min_cell - 1``.

        A zero is shown: it describes nobody (the usual small-number rules, e.g. NHS
        Digital's, suppress 1 to 7 and publish zeros).
        """
        return count is not None and 0 < count < self.policy.min_cell

    def count_text(self, count: int | None) -> str:
        """A count as shown: the number, or ``<min_cell`` when suppressed."""
        if count is None:
            return ""
        return self.policy.suppressed_label if self.is_small(count) else str(count)

    def suppress_text(self, text: str) -> str:
        """``text`` with small counts of people suppressed.

        For free text written by the statistics functions: warnings ("2 of 30 row(s) ... were
        excluded") and method descriptions ("complete pairs (2 excluded)"). A whole number from
        1 to ``min_cell - 1`` is suppressed where it counts rows, participants, subjects,
        responders or exclusions; other numbers ("2 visits", "95%") are left alone.
        """
        label = self.policy.suppressed_label

        def replace(match: re.Match[str]) -> str:
            return label if self.is_small(int(match.group())) else match.group()

        return COUNTED.sub(replace, text)

    def suppress_counts(
        self,
        frame: pl.DataFrame,
        counts: Sequence[str],
        *,
        dependent: Iterable[str] = (),
        size: str | None = None,
    ) -> pl.DataFrame:
        """Suppress small counts in a table of aggregates.

        Parameters
        ----------
        frame
            One row per group (or result term).
        counts
            Columns counting participants; each becomes text, ``<min_cell`` where small.
        dependent
            Columns computed from the group (means, CIs, percentages): nulled where the row's
            ``size`` column is small.
        size
            The column giving the number of participants behind the row's statistics
            (default: the first of ``counts``).

        Returns
        -------
        polars.DataFrame
            Same rows and columns; ``counts`` as strings, ``dependent`` nulled where suppressed.
        """
        out = frame
        if size is not None:
            small = _small(pl.col(size), self.policy.min_cell)
            out = out.with_columns(
                pl.when(small).then(None).otherwise(pl.col(c)).alias(c)
                for c in dependent
                if c in frame.columns
            )
        return out.with_columns(
            pl.when(_small(pl.col(c), self.policy.min_cell))
            .then(pl.lit(self.policy.suppressed_label))
            .otherwise(pl.col(c).cast(pl.Int64).cast(pl.String))
            .alias(c)
            for c in counts
        )

    def large_groups(
        self, frame: pl.DataFrame, by: Sequence[str], subject: str = "participant_id"
    ) -> tuple[pl.DataFrame, list[str]]:
        """Rows of ``frame`` whose group (``by``) has at least ``min_cell`` distinct subjects.

        Returns the kept rows and a description of each dropped group (for figure captions).
        Figures built from the kept rows never show a group smaller than the threshold.
        """
        if not by:
            total = frame[subject].n_unique() if subject in frame.columns else frame.height
            if self.is_small(total):
                return frame.clear(), ["all participants"]
            return frame, []
        sizes = frame.group_by(by).agg(
            (pl.col(subject).n_unique() if subject in frame.columns else pl.len()).alias("__n")
        )
        small = sizes.filter(_small(pl.col("__n"), self.policy.min_cell))
        if small.height == 0:
            return frame, []
        kept = frame.join(small.select(by), on=list(by), how="anti", nulls_equal=True)
        dropped = [
            " x ".join(str(row[c]) for c in by)
            for row in small.sort(by, nulls_last=True).iter_rows(named=True)
        ]
        return kept, dropped
