"""run_plan on the demo study: tidy results, caveats as data, the safe defaults."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pytest

from toolkit import Study, open_study
from toolkit.analyses import default_plan, execute_plan, parse_plan, resolve_reference, run_plan
from toolkit.cohorts import Cohort
from toolkit.errors import UsageError
from toolkit.stats import RESULT_COLUMNS


@pytest.fixture(scope="module")
def demo(demo_study: Path) -> Iterator[Study]:
    with open_study(demo_study, read_only=True) as study:
        yield study


def test_run_plan_is_tidy_with_notes_and_adjusted_p(demo: Study) -> None:
    table = run_plan(demo)
    assert table.columns[:7] == [
        "analysis",
        "analysis_role",
        "outcome",
        "model",
        "population",
        "status",
        "reference_arm",
    ]
    assert set(RESULT_COLUMNS) | {"notes", "p_adjusted"} <= set(table.columns)
    assert set(table["analysis"]) == {a.id for a in default_plan().analyses}
    primary = table.filter(analysis="primary", role="difference")
    assert primary["term"].to_list() == ["forward - usual_care", "retro - usual_care"]
    assert primary["p_adjusted"].is_not_null().all()
    assert (primary["p_adjusted"] >= primary["p_value"]).all()
    # exploratory rows are outside the multiplicity family
    assert table.filter(analysis="dose_response")["p_adjusted"].is_null().all()
    assert "excluded" in primary["notes"][0]


def test_reference_arm_is_resolved_from_the_cohort() -> None:
    assert resolve_reference("auto", ["retro", "usual_care", "forward"]) == ("usual_care", None)
    assert resolve_reference("auto", ["retro", "forward"]) == ("forward", None)
    ref, note = resolve_reference("usual_care", ["retro", "forward"])
    assert ref == "forward" and "not in this cohort" in str(note)


def test_retro_vs_forward_without_usual_care_compares_with_forward(demo: Study) -> None:
    table = run_plan(demo, None, Cohort(arms=("retro", "forward")))
    primary = table.filter(analysis="primary", role="difference")
    assert primary["term"].to_list() == ["retro - forward"]
    assert primary["status"].to_list() == ["ok"]


def test_collinear_forward_minutes_are_dropped_and_the_curve_stays_in_range(demo: Study) -> None:
    run = execute_plan(demo, None, Cohort(arms=("retro", "usual_care")), only=("dose_response",))
    result = run.result("dose_response")
    assert "forward_minutes" not in result.covariates
    assert any("collinear with retro_minutes" in n for n in result.notes)
    slope = result.table.filter(term="retro_minutes")["estimate"].item()
    assert -0.5 < slope < 0.5  # NRS points per weekly minute: sensible, not -2
    assert result.curve is not None and result.curve.height > 0
    baseline = result.data.drop_nulls(["change", "baseline"])["baseline"].mean()
    fitted = result.curve["estimate"] + baseline
    assert fitted.min() >= 0 and fitted.max() <= 10  # type: ignore[operator]
    assert any("observational" in n for n in result.notes)


def test_an_explicitly_requested_collinear_covariate_is_refused(demo: Study) -> None:
    plan = parse_plan(
        """
        [[analysis]]
        id = "p"
        outcome = "nrs"
        model = "ancova"
        role = "primary"
        estimand = "x"
        [[analysis]]
        id = "dose"
        outcome = "nrs"
        model = "dose_response"
        role = "exploratory"
        covariates = ["baseline", "forward_minutes"]
        """
    )
    with pytest.raises(UsageError, match=r"'forward_minutes' is collinear with the exposure"):
        execute_plan(demo, plan, Cohort(arms=("retro", "usual_care")), only=("dose",))


def test_kujala_is_not_applicable_outside_patellofemoral_pain(demo: Study) -> None:
    table = run_plan(demo, None, Cohort(conditions=("knee_oa",)))
    kujala = table.filter(analysis="kujala")
    assert kujala["status"].to_list() == ["not_applicable"]
    assert "not applicable" in kujala["notes"][0]
    mixed = run_plan(demo).filter(analysis="kujala", role="difference")
    assert mixed["status"].unique().to_list() == ["ok"]
    assert "not applicable (not missing)" in mixed["notes"][0]


def test_singular_random_slope_falls_back_to_random_intercepts(demo: Study) -> None:
    result = execute_plan(demo, only=("nrs_trajectory",)).result("nrs_trajectory")
    assert result.table["random_effects"][0] == "random intercept only"
    assert any("singular" in n for n in result.notes)
    assert result.curve is not None
    assert result.curve["estimate"].is_between(0, 10).all()


def test_notes_are_collected_per_call_on_threads_without_a_lock(demo: Study) -> None:
    cohorts = [Cohort(arms=("retro", "usual_care")), Cohort(conditions=("knee_oa",))] * 2

    def notes(cohort: Cohort) -> str:
        run = execute_plan(demo, None, cohort, only=("primary",), curves=False)
        return "; ".join(run.result("primary").notes)

    alone = [notes(c) for c in cohorts[:2]]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(notes, cohorts))
    assert together == alone * 2


def test_gait_outcome_is_analysed_baseline_adjusted(demo: Study) -> None:
    rows = run_plan(demo).filter(analysis="walking_speed")
    assert rows["status"].unique().to_list() == ["ok"]
    difference = rows.filter(role="difference")
    assert difference.height == 2 and difference["n"].max() > 3  # type: ignore[operator]
    assert pl.Series(rows["method"]).str.contains("baseline").any()
