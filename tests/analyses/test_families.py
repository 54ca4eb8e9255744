"""``retrowalk stats --adjust`` adjusts within families of hypotheses (issue 17 item 9).

Before: every comparison row was one family (MMRM differences at week 6 and week 12 together,
and across outcomes). Now ``--family comparison`` (default) adjusts each kind of comparison at
each visit separately; checked against Holm and Benjamini-Hochberg computed by hand here (the
step-down / step-up definitions, Holm 1979 and Benjamini & Hochberg 1995) and, in the ``r``
suite, against R's ``p.adjust`` on the same p-values.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.analyses.test_plan import GOOD
from tests.stats.r_reference import require, run_r
from toolkit.analyses import parse_plan
from toolkit.cli.stats_command import run_analysis
from toolkit.cohorts import Cohort
from toolkit.errors import PlanError
from toolkit.study import open_study


def holm(p: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values: sorted ascending, (m - i) * p_(i), running max, cap 1."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    out = [0.0] * len(p)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        out[i] = running
    return out


def bh(p: list[float]) -> list[float]:
    """Benjamini-Hochberg step-up: m / i * p_(i), running min from the largest, cap 1."""
    order = sorted(range(len(p)), key=lambda i: p[i], reverse=True)
    out = [0.0] * len(p)
    running = 1.0
    for k, i in enumerate(order):
        rank = len(p) - k
        running = min(running, len(p) / rank * p[i])
        out[i] = running
    return out


@pytest.fixture(scope="module")
def mmrm_rows(demo_study: Path) -> dict[str, pl.DataFrame]:
    with open_study(demo_study, read_only=True) as study:
        return {
            family: run_analysis(
                study,
                "mmrm",
                Cohort(),
                outcomes=("nrs", "kujala"),
                adjust=method,
                family=family,
            ).filter(pl.col("p_adjusted").is_not_null())
            for family, method in (("comparison", "holm"), ("all", "holm"), ("outcome", "fdr_bh"))
        }


def test_each_visit_is_its_own_family_by_default(mmrm_rows: dict[str, pl.DataFrame]) -> None:
    rows = mmrm_rows["comparison"]
    assert set(rows["role"]) == {"difference"}
    visits = sorted(set(rows["visit"]))
    assert len(visits) >= 2
    assert sorted(set(rows["adjustment_family"])) == sorted(
        f"between-arm comparison at {v}" for v in visits
    )
    for visit in visits:
        group = rows.filter(pl.col("visit") == visit)
        assert set(group["outcome"]) == {"nrs", "kujala"}  # across outcomes and arms
        assert group["p_adjusted"].to_list() == pytest.approx(holm(group["p_value"].to_list()))


def test_family_all_keeps_one_family_and_outcome_splits_by_outcome(
    mmrm_rows: dict[str, pl.DataFrame],
) -> None:
    every = mmrm_rows["all"]
    assert set(every["adjustment_family"]) == {"all"}
    assert every["p_adjusted"].to_list() == pytest.approx(holm(every["p_value"].to_list()))
    # fewer tests per family: never larger than adjusting everything together
    by_visit = mmrm_rows["comparison"]
    assert all(
        a <= b + 1e-15 for a, b in zip(by_visit["p_adjusted"], every["p_adjusted"], strict=True)
    )
    assert any(a < b for a, b in zip(by_visit["p_adjusted"], every["p_adjusted"], strict=True))
    per_outcome = mmrm_rows["outcome"]
    for (name,), group in per_outcome.group_by("adjustment_family"):
        assert str(name).split(": ")[0] in ("nrs", "kujala")
        assert group["p_adjusted"].to_list() == pytest.approx(bh(group["p_value"].to_list()))


def test_within_arm_change_tests_are_not_adjusted_with_comparisons(demo_study: Path) -> None:
    with open_study(demo_study, read_only=True) as study:
        rows = run_analysis(study, "change", Cohort(), outcomes=("nrs", "kujala"), adjust="holm")
    tested = rows.filter(pl.col("p_adjusted").is_not_null())
    assert set(tested["adjustment_family"]) == {"within-arm change"}
    assert tested["p_adjusted"].to_list() == pytest.approx(holm(tested["p_value"].to_list()))


def test_a_plan_names_its_family_and_a_wrong_one_is_refused() -> None:
    plan = parse_plan('multiplicity_family = "comparison"\n' + GOOD, "p.toml")
    assert plan.multiplicity_family == "comparison"
    assert parse_plan(GOOD, "p.toml").multiplicity_family == "all"
    with pytest.raises(PlanError, match=r"line 1: 'multiplicity_family' must be one of all"):
        parse_plan('multiplicity_family = "visit"\n' + GOOD, "p.toml")


@pytest.mark.r
def test_families_match_r_p_adjust(mmrm_rows: dict[str, pl.DataFrame], tmp_path: Path) -> None:
    """R: ``unsplit(lapply(split(p, family), p.adjust, method = m), family)``; 1e-12 relative."""
    require()
    frames = {
        key: mmrm_rows[key].select("p_value", "adjustment_family")
        for key in ("comparison", "outcome")
    }
    got = run_r(
        """
        adj <- function(d, m) unsplit(lapply(split(d$p_value, d$adjustment_family), p.adjust,
          method = m), d$adjustment_family)
        emit(list(comparison = adj(read.csv("data_comparison.csv"), "holm"),
          outcome = adj(read.csv("data_outcome.csv"), "BH")))
        """,
        frames,
        tmp_path,
    )
    for key in ("comparison", "outcome"):
        assert mmrm_rows[key]["p_adjusted"].to_list() == pytest.approx(got[key], rel=1e-12)
