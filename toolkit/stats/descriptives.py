"""Descriptive tables: "Table 1" by arm and a missing-data summary.

These are the numbers a paper's first table shows: for each arm (and all participants), n with
mean (SD) and median [IQR] for continuous variables, and counts with percentages of those with
a known value for categorical ones.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl
from scipy import stats

from toolkit.stats._common import as_names, check_alpha, check_columns, check_frame

OVERALL = "all"
#: The group label of rows whose group value is missing (never the text "None").
MISSING_GROUP = "(missing)"

_TABLE1_SCHEMA = {
    "variable": pl.String,
    "level": pl.String,
    "group": pl.String,
    "n": pl.Int64,
    "summary": pl.String,
    "mean": pl.Float64,
    "sd": pl.Float64,
    "median": pl.Float64,
    "q1": pl.Float64,
    "q3": pl.Float64,
    "count": pl.Int64,
    "percent": pl.Float64,
    "missing": pl.Int64,
}


def _groups(data: pl.DataFrame, group: str | None, overall: bool) -> list[tuple[str, pl.DataFrame]]:
    out: list[tuple[str, pl.DataFrame]] = []
    if group is not None:
        unknown = None
        for key, part in data.group_by(group, maintain_order=False):
            if key[0] is None:
                unknown = part
                continue
            out.append((str(key[0]), part))
        out.sort(key=lambda item: item[0])
        if unknown is not None:
            out.append((MISSING_GROUP, unknown))
    if overall or group is None:
        out.append((OVERALL, data))
    return out


def table1(
    participants: pl.DataFrame,
    *,
    group: str | None = "arm",
    continuous: Iterable[str] = ("age", "bmi"),
    categorical: Iterable[str] = ("sex", "condition", "site"),
    overall: bool = True,
    digits: int = 1,
) -> pl.DataFrame:
    """Baseline characteristics by group ("Table 1").

    Parameters
    ----------
    participants
        One row per participant.
    group
        Column whose levels become the table's columns (``None``: all participants only).
        Participants with no value in it form the group ``"(missing)"``.
    continuous, categorical
        Variables summarised as mean (SD) / median [Q1, Q3], or as count (%).
    overall
        Also summarise all participants together (group ``"all"``).
    digits
        Decimals in the ``summary`` text.

    Returns
    -------
    polars.DataFrame
        One row per variable, level and group: ``variable``, ``level`` (null for continuous
        variables), ``group``, ``n`` (participants with a known value), ``summary`` (text such
        as ``"34.2 (7.1)"`` or ``"12 (40.0%)"``), ``mean``, ``sd``, ``median``, ``q1``, ``q3``
        (continuous), ``count`` and ``percent`` (categorical: percent of known values), and
        ``missing`` (participants with no value). Quartiles use linear interpolation, as R's
        default ``quantile(type = 7)``.
    """
    func = "table1"
    data = check_frame(participants, func, "participants")
    cont = as_names(continuous, "continuous", func)
    cat = as_names(categorical, "categorical", func)
    check_columns(data, [group, *cont, *cat], func)
    rows: list[dict[str, object]] = []
    groups = _groups(data, group, overall)
    for variable in cont:
        for name, part in groups:
            values = part[variable].cast(pl.Float64).drop_nulls().drop_nans()
            n = values.len()
            mean = values.mean() if n else None
            sd = values.std() if n > 1 else None
            median = values.median() if n else None
            q1 = values.quantile(0.25, "linear") if n else None
            q3 = values.quantile(0.75, "linear") if n else None
            summary = (
                f"{mean:.{digits}f} ({sd:.{digits}f})"
                if isinstance(mean, float) and isinstance(sd, float)
                else (f"{mean:.{digits}f}" if isinstance(mean, float) else "")
            )
            rows.append(
                {
                    "variable": variable,
                    "level": None,
                    "group": name,
                    "n": n,
                    "summary": summary,
                    "mean": mean,
                    "sd": sd,
                    "median": median,
                    "q1": q1,
                    "q3": q3,
                    "count": None,
                    "percent": None,
                    "missing": part.height - n,
                }
            )
    for variable in cat:
        levels = sorted(str(v) for v in data[variable].drop_nulls().unique().to_list())
        for name, part in groups:
            known = part[variable].drop_nulls().cast(pl.String)
            n = known.len()
            counts = dict(zip(*known.value_counts().to_dict(as_series=False).values(), strict=True))
            for level in levels:
                count = int(counts.get(level, 0))
                percent = 100.0 * count / n if n else None
                rows.append(
                    {
                        "variable": variable,
                        "level": level,
                        "group": name,
                        "n": n,
                        "summary": f"{count} ({percent:.{digits}f}%)"
                        if percent is not None
                        else "0",
                        "mean": None,
                        "sd": None,
                        "median": None,
                        "q1": None,
                        "q3": None,
                        "count": count,
                        "percent": percent,
                        "missing": part.height - n,
                    }
                )
    return pl.DataFrame(rows, schema=_TABLE1_SCHEMA)


def missing_summary(
    frame: pl.DataFrame,
    *,
    group: str | None = "arm",
    columns: Iterable[str] | None = None,
) -> pl.DataFrame:
    """How many values are missing, per column and group.

    Parameters
    ----------
    frame
        Any tidy frame, e.g. :func:`toolkit.analysis_frames.outcome_frame`.
    group
        Column to split by (``None``: whole frame only). Rows are also given for all groups
        together (group ``"all"``).
    columns
        Columns to count (default: every column except ``group``).

    Returns
    -------
    polars.DataFrame
        ``variable``, ``group``, ``n`` (rows), ``missing`` (null or NaN), ``percent_missing``.
    """
    func = "missing_summary"
    data = check_frame(frame, func, "frame")
    check_columns(data, [group], func)
    chosen = (
        as_names(columns, "columns", func)
        if columns is not None
        else tuple(c for c in data.columns if c != group)
    )
    check_columns(data, chosen, func)
    rows: list[dict[str, object]] = []
    for variable in chosen:
        for name, part in _groups(data, group, True):
            column = part[variable]
            missing = column.null_count()
            if column.dtype.is_float():
                missing += int(column.is_nan().sum() or 0)
            rows.append(
                {
                    "variable": variable,
                    "group": name,
                    "n": part.height,
                    "missing": missing,
                    "percent_missing": 100.0 * missing / part.height if part.height else None,
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "variable": pl.String,
            "group": pl.String,
            "n": pl.Int64,
            "missing": pl.Int64,
            "percent_missing": pl.Float64,
        },
    )


def exposure_summary(
    weekly: pl.DataFrame,
    *,
    group: str | None = "arm",
    by: str | None = "study_week",
    columns: Iterable[str] = ("retro_minutes", "forward_minutes", "adherence"),
    subject: str = "participant_id",
    alpha: float = 0.05,
) -> pl.DataFrame:
    """Mean weekly exposure per group (and study week), with a t interval of the mean.

    Parameters
    ----------
    weekly
        One row per participant and week, e.g. :func:`toolkit.analysis_frames.exposure_frame`.
    group
        Column to split by (``None``: all rows together).
    by
        Second split, typically ``"study_week"``. With ``None`` each participant's weeks are
        first averaged (``subject`` column), so ``n`` counts participants, not weeks.
    columns
        Exposure columns to summarise; nulls (e.g. adherence without a prescription) are left out.
    alpha
        1 - confidence level.

    Returns
    -------
    polars.DataFrame
        One row per variable, group and ``by`` value: ``variable``, ``group``, ``by`` value
        (column named like ``by``), ``n`` (participants with a value), ``mean``, ``sd``,
        ``ci_low``, ``ci_high``, ``median``.
    """
    func = "exposure_summary"
    data = check_frame(weekly, func, "weekly")
    alpha = check_alpha(alpha, func)
    chosen = as_names(columns, "columns", func)
    check_columns(data, [group, by, *chosen], func)
    keys = [k for k in (group, by) if k is not None]
    if by is None:
        check_columns(data, [subject], func)
        data = data.group_by([subject, *keys]).agg(
            pl.col(c).cast(pl.Float64).mean() for c in chosen
        )
    long = data.select(
        [*(pl.col(k) for k in keys), *(pl.col(c).cast(pl.Float64) for c in chosen)]
    ).unpivot(index=keys, on=list(chosen), variable_name="variable", value_name="value")
    summary = (
        long.drop_nulls("value")
        .group_by(["variable", *keys])
        .agg(
            pl.len().cast(pl.Int64).alias("n"),
            pl.col("value").mean().alias("mean"),
            pl.col("value").std().alias("sd"),
            pl.col("value").median().alias("median"),
        )
        .sort(["variable", *keys])
    )
    quantiles = [
        float(stats.t.ppf(1 - alpha / 2, n - 1)) if n > 1 else float("nan")
        for n in summary["n"].to_list()
    ]
    half = pl.Series("q", quantiles) * summary["sd"] / summary["n"].cast(pl.Float64).sqrt()
    out = summary.with_columns(
        (pl.col("mean") - half).alias("ci_low"), (pl.col("mean") + half).alias("ci_high")
    )
    if group is not None:
        out = out.rename({group: "group"}).with_columns(pl.col("group").cast(pl.String))
    else:
        out = out.with_columns(pl.lit(OVERALL).alias("group"))
    order = ["variable", "group", *([by] if by else []), "n", "mean", "sd", "ci_low", "ci_high"]
    return out.select([*order, "median"])
