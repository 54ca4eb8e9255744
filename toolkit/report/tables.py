"""Turn statistics results into report tables with small cells suppressed.

The statistics functions return tidy frames with the fixed result vocabulary (``term, estimate,
ci_low, ci_high, statistic, df, p_value, n, method``); a report shows them with the participant
counts checked against the privacy threshold: a row computed from fewer than ``min_cell``
participants keeps its label but loses its numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from toolkit.report.model import Table
from toolkit.report.privacy import Privatiser

#: Columns of a result frame that count participants.
COUNT_COLUMNS = ("n", "n_excluded", "count", "participants", "missing")

#: Result columns described in every data dictionary.
RESULT_DESCRIPTIONS = {
    "term": "what the row estimates (a group level, a difference between arms, a coefficient)",
    "estimate": "the point estimate",
    "ci_low": "lower limit of the 95% confidence interval",
    "ci_high": "upper limit of the 95% confidence interval",
    "statistic": "the test statistic (t, z or chi-square; see method)",
    "df": "degrees of freedom of the statistic",
    "p_value": "two-sided p-value",
    "n": "participants behind the row (suppressed below the threshold)",
    "method": "the method that produced the row",
    "n_excluded": "participants left out for a missing value",
    "count": "participants counted (e.g. responders)",
    "missing": "participants with no value",
    "participants": "participants",
}


def result_table(
    key: str,
    title: str,
    result: pl.DataFrame,
    privatiser: Privatiser,
    *,
    keep: Sequence[str] | None = None,
    sizes: Sequence[str] = ("n",),
    withhold: pl.Expr | None = None,
    note: str = "",
) -> Table:
    """A statistics result as a report table, small counts suppressed.

    Parameters
    ----------
    key, title
        The table's extract name and caption.
    result
        A result frame (``n`` is the participants behind each row).
    privatiser
        The report's privacy rules.
    keep
        Columns to show, in order (default: all but ``method``, which goes in the methods text).
    sizes
        Counts behind each row's statistics: where any is below the threshold, the row's
        numbers are withheld (e.g. ``("n", "count", "non_count")`` for a proportion, whose
        complement also discloses).
    withhold
        A further condition (on ``result``'s columns) under which a row's numbers are withheld.
    note
        A sentence under the table.
    """
    columns = list(keep) if keep is not None else [c for c in result.columns if c != "method"]
    threshold = privatiser.policy.min_cell
    present = [c for c in sizes if c in result.columns]
    flag = pl.any_horizontal(
        [pl.col(c).cast(pl.Int64) < threshold for c in present] or [pl.lit(False)]
    )
    if withhold is not None:
        flag = flag | withhold.fill_null(False)
    marked = result.with_columns(flag.fill_null(False).alias("__small"))
    frame = marked.select([c for c in columns if c in result.columns] + ["__small"])
    counts = [c for c in COUNT_COLUMNS if c in frame.columns]
    dependent = [
        c
        for c, dtype in frame.schema.items()
        if c not in counts and c != "__small" and (dtype.is_numeric() or dtype == pl.Boolean)
    ]
    withheld = frame.with_columns(
        pl.when(pl.col("__small")).then(None).otherwise(pl.col(c)).alias(c) for c in dependent
    ).drop("__small")
    shown = privatiser.suppress_counts(withheld, counts)
    small = int(marked["__small"].sum())
    if small:
        extra = (
            f"{small} row(s) computed from fewer than {privatiser.policy.min_cell} participants: "
            "estimates withheld."
        )
        note = f"{note} {extra}".strip()
    descriptions = {c: RESULT_DESCRIPTIONS.get(c, "") for c in shown.columns}
    return Table(key, title, shown, tuple(counts), note, descriptions)


def wide_counts(
    frame: pl.DataFrame,
    *,
    index: Sequence[str],
    on: str,
    count: str,
    text: str | None,
    privatiser: Privatiser,
    group_sizes: dict[str, int] | None = None,
) -> pl.DataFrame:
    """Counts spread wide (one column per ``on`` level), each cell suppressed where small.

    A cell shows ``text`` (e.g. ``"12 (40.0%)"``) or the count, or ``<min_cell`` when the count
    is small or the column's whole group (``group_sizes``) is.
    """
    label = privatiser.policy.suppressed_label
    group_small = {g for g, n in (group_sizes or {}).items() if privatiser.is_small(n)}
    shown = frame.with_columns(
        pl.when(
            (pl.col(count).cast(pl.Int64) < privatiser.policy.min_cell)
            | pl.col(on).cast(pl.String).is_in(sorted(group_small))
        )
        .then(pl.lit(label))
        .otherwise(pl.col(text) if text else pl.col(count).cast(pl.String))
        .alias("__cell")
    )
    order = list(dict.fromkeys(frame[on].cast(pl.String).to_list()))
    wide = shown.with_columns(pl.col(on).cast(pl.String)).pivot(
        on=on, index=list(index), values="__cell", maintain_order=True
    )
    return wide.select(*index, *[c for c in order if c in wide.columns])
