"""Families of hypotheses for p-value adjustment: which comparisons are adjusted together.

A family is the set of hypotheses whose error rate is controlled together (ICH E9, section 5.6;
Bretz, Hothorn & Westfall 2010, ch. 1). Adjusting every row a run produces as one family mixes
hypotheses that answer different questions: the between-arm comparison at week 6 with the one
at week 12, and both with the within-arm change tests. A plan's ``multiplicity_family`` (and
``retrowalk stats --family``) chooses:

- ``all``: every comparison row of the analyses in ``multiplicity_roles`` is one family (the
  behaviour before families existed);
- ``comparison``: one family per kind of comparison and visit (between-arm comparisons at each
  visit, or over the follow-up when the model has no visits; within-arm change; dose-response),
  across outcomes and arms;
- ``outcome``: as ``comparison``, separately for each outcome.
"""

from __future__ import annotations

import polars as pl

FAMILIES = ("all", "comparison", "outcome")


def comparison_kind() -> pl.Expr:
    """The kind of hypothesis a comparison row tests (the rows of
    :func:`toolkit.analyses.run.comparison_rows`)."""
    model = pl.col("model")
    return (
        pl.when(model == "change")
        .then(pl.lit("within-arm change"))
        .when(model == "dose_response")
        .then(pl.lit("dose-response"))
        .when(model == "cace")
        .then(pl.lit("causal dose"))
        .otherwise(pl.lit("between-arm comparison"))
    )


def family_labels(rows: pl.DataFrame, scope: str) -> pl.Series:
    """The family label of each comparison row of ``rows`` under ``scope`` (one of FAMILIES)."""
    if scope not in FAMILIES:
        raise ValueError(f"unknown family scope {scope!r}; known: {', '.join(FAMILIES)}")
    if scope == "all":
        return pl.Series("adjustment_family", ["all"] * rows.height, dtype=pl.String)
    visit = (
        pl.when(pl.col("visit").is_not_null())
        .then(pl.lit(" at ") + pl.col("visit").cast(pl.String))
        .otherwise(pl.lit(""))
        if "visit" in rows.columns
        else pl.lit("")
    )
    label = comparison_kind() + visit
    if scope == "outcome":
        label = pl.col("outcome").cast(pl.String) + pl.lit(": ") + label
    return rows.select(label.alias("adjustment_family")).to_series()
