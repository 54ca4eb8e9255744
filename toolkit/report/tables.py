"""Turn statistics results into report tables with small cells suppressed.

The statistics functions return tidy frames with the fixed result vocabulary (``term, estimate,
ci_low, ci_high, statistic, df, p_value, n, method``); a report shows them with the participant
counts checked against the privacy threshold: a row computed from fewer than ``min_cell``
participants keeps its label but loses its numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import polars as pl

from toolkit.format import order_arms
from toolkit.report.model import Table
from toolkit.report.privacy import Privatiser, complementary_suppression

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
        [(pl.col(c).cast(pl.Int64) > 0) & (pl.col(c).cast(pl.Int64) < threshold) for c in present]
        or [pl.lit(False)]
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


def mentions(names: Sequence[str], column: str = "term") -> pl.Expr:
    """Rows whose ``column`` names any of ``names`` as a whole word (e.g. an arm in
    ``"retro - forward"`` or ``"group[forward]"``); False when ``names`` is empty."""
    if not names:
        return pl.lit(False)
    words = "|".join(re.escape(str(n)) for n in names)
    pattern = f"(^|[^A-Za-z0-9_])({words})($|[^A-Za-z0-9_])"
    return pl.col(column).cast(pl.String).str.contains(pattern)


def small_groups(frame: pl.DataFrame, privatiser: Privatiser, group: str = "arm") -> list[str]:
    """Levels of ``group`` with fewer than ``min_cell`` distinct participants in ``frame``."""
    if frame.height == 0 or group not in frame.columns:
        return []
    subject = "participant_id" if "participant_id" in frame.columns else None
    sizes = frame.group_by(group).agg(
        pl.col(subject).n_unique().alias("n") if subject else pl.len().alias("n")
    )
    return sorted(str(g) for g, n in sizes.iter_rows() if privatiser.is_small(int(n)))


#: How a cell hidden by secondary suppression is shown (it is not itself small).
SECONDARY_LABEL = "*"


def wide_counts(
    frame: pl.DataFrame,
    *,
    index: Sequence[str],
    on: str,
    count: str,
    text: str | None,
    privatiser: Privatiser,
    group_sizes: dict[str, int] | None = None,
    total: str | None = "all",
    blocks: str | bool | None = None,
) -> pl.DataFrame:
    """Counts spread wide (one column per ``on`` level), small cells and their complements hidden.

    A cell shows ``text`` (e.g. ``"12 (40.0%)"``) or the count; ``<min_cell`` where the count is
    small or the column's whole group (``group_sizes``) is; ``*`` where it is hidden so that a
    small cell cannot be recovered from a published total (see
    :func:`~toolkit.report.privacy.complementary_suppression`).

    Parameters
    ----------
    total
        The ``on`` level holding each row's total (other columns add up to it), if any.
    blocks
        Rows partition each column's total (group sizes are published): ``True`` for the
        whole table, an index column name when each of its values is one partition (the levels
        of one variable), ``None`` when rows do not partition the columns (e.g. flow stages).
    """
    min_cell = privatiser.policy.min_cell
    group_small = {g for g, n in (group_sizes or {}).items() if privatiser.is_small(n)}
    order = order_arms(frame[on].cast(pl.String).to_list())  # retro, forward, usual care, all
    base = frame.with_columns(pl.col(on).cast(pl.String))
    counts = base.pivot(on=on, index=list(index), values=count, maintain_order=True)
    columns = [c for c in order if c in counts.columns]
    matrix = [[None if v is None else int(v) for v in row] for row in counts.select(columns).rows()]
    if blocks is True:
        row_blocks: list[int] | None = [0] * len(matrix)
    elif isinstance(blocks, str):
        labels = counts[blocks].to_list()
        row_blocks = [labels.index(v) for v in labels]
    else:
        row_blocks = None
    hidden = complementary_suppression(
        matrix,
        min_cell,
        total_column=columns.index(total) if total in columns else None,
        blocks=row_blocks,
    )
    if text:
        shown_text = base.pivot(on=on, index=list(index), values=text, maintain_order=True)
    else:
        shown_text = counts.with_columns(pl.col(c).cast(pl.String) for c in columns)
    cells: dict[str, list[str | None]] = {}
    for c_index, column in enumerate(columns):
        values = shown_text[column].to_list()
        out: list[str | None] = []
        for r_index, value in enumerate(values):
            raw = matrix[r_index][c_index]
            if column in group_small or (raw is not None and 0 < raw < min_cell):
                out.append(privatiser.policy.suppressed_label)
            elif (r_index, c_index) in hidden:
                out.append(SECONDARY_LABEL)
            else:
                out.append(None if value is None else str(value))
        cells[column] = out
    return counts.select(index).with_columns(
        pl.Series(column, values, dtype=pl.String) for column, values in cells.items()
    )
