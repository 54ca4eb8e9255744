"""ancova labels its contrasts by the arms actually analysed (issue 17, item 1).

Reproducers: with the ``forward`` arm lacking every follow-up, today's code labelled the
baseline slope "retro - usual_care"; without the reference arm's follow-ups it compared with
``forward`` but called it usual_care. The reference here is R's ``lm`` on the rows used:
``lm(follow_up ~ relevel(factor(arm), "usual_care") + baseline, data = complete_rows)``,
which is plain OLS and is recomputed below with numpy.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from toolkit.errors import UsageError
from toolkit.stats import ancova


def trial(seed: int = 7, n: int = 30) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    arms = np.repeat(["forward", "retro", "usual_care"], n)
    effect = {"forward": -0.5, "retro": -2.0, "usual_care": 0.0}
    baseline = rng.normal(6.0, 1.5, arms.size)
    shift = np.array([effect[a] for a in arms])
    follow = 1.0 + 0.6 * baseline + shift + rng.normal(0, 1, arms.size)
    return pl.DataFrame({"arm": arms, "baseline": baseline, "follow_up": follow})


def ols_difference(data: pl.DataFrame, level: str, reference: str) -> float:
    """The OLS arm coefficient on the rows given (the R lm reference)."""
    kept = data.drop_nulls()
    arms = kept["arm"].to_numpy()
    others = sorted(set(arms) - {reference})
    x = np.column_stack(
        [np.ones(kept.height)] + [(arms == o).astype(float) for o in others] + [kept["baseline"]]
    )
    beta = np.linalg.lstsq(x, kept["follow_up"].to_numpy(), rcond=None)[0]
    return float(beta[1 + others.index(level)])


def test_an_arm_without_follow_up_is_refused_by_name() -> None:
    data = trial().with_columns(
        pl.when(pl.col("arm") == "forward")
        .then(None)
        .otherwise(pl.col("follow_up"))
        .alias("follow_up")
    )
    with pytest.raises(UsageError, match=r"'forward'.*no complete row"):
        ancova(data, reference="usual_care")


def test_reference_arm_without_follow_up_is_refused_by_name() -> None:
    data = trial().with_columns(
        pl.when(pl.col("arm") == "usual_care")
        .then(None)
        .otherwise(pl.col("follow_up"))
        .alias("follow_up")
    )
    with pytest.raises(UsageError, match=r"'usual_care'.*no complete row"):
        ancova(data, reference="usual_care")


def test_arm_dropped_before_the_call_is_labelled_from_the_rows_used() -> None:
    # An arm filtered out upstream (e.g. a cohort of two arms) must leave correct labels.
    data = trial().filter(pl.col("arm") != "forward")
    result = ancova(data, reference="usual_care")
    diff = result.filter(pl.col("role") == "difference")
    assert diff["term"].to_list() == ["retro - usual_care"]
    assert diff["estimate"][0] == pytest.approx(
        ols_difference(data, "retro", "usual_care"), abs=1e-10
    )


def test_partial_missingness_keeps_labels_right() -> None:
    data = trial().with_columns(
        pl.when((pl.col("arm") == "forward") & (pl.col("baseline") > 6))
        .then(None)
        .otherwise(pl.col("follow_up"))
        .alias("follow_up")
    )
    with pytest.warns(Warning):
        result = ancova(data, reference="usual_care")
    for level in ("forward", "retro"):
        got = result.filter(pl.col("term") == f"{level} - usual_care")["estimate"][0]
        assert got == pytest.approx(ols_difference(data, level, "usual_care"), abs=1e-10)
    assert result["notes"].drop_nulls().str.contains("excluded").all()
