"""The analysis-plan file: validated on load, errors naming the line and the allowed values."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.analyses import default_plan, load_plan, parse_plan
from toolkit.analyses.toml_lines import key_line
from toolkit.errors import PlanError

ROOT = Path(__file__).resolve().parents[2]

GOOD = """title = "t"
reference_arm = "usual_care"

[populations.per_protocol]
description = "adherent"
min_adherence = 0.5

[[analysis]]
id = "primary"
outcome = "nrs"
model = "ancova"
role = "primary"
estimand = "difference in follow-up NRS"

[[analysis]]
id = "dose"
outcome = "nrs"
model = "dose_response"
role = "exploratory"
"""


def test_the_demo_plan_and_the_default_plan_load() -> None:
    demo = load_plan(ROOT / "analyses" / "demo_plan.toml")
    assert demo.analysis("primary").role == "primary"
    assert demo.intervention_weeks == 12
    assert default_plan().analysis("dose_response").observational
    assert len(demo.sha256) == 64


def test_a_good_plan_parses_with_defaults() -> None:
    plan = parse_plan(GOOD, "p.toml")
    assert plan.reference_arm == "usual_care"
    assert plan.analysis("dose").observational is True
    assert plan.analysis("dose").covariates is None  # left to the model's default
    assert plan.populations["per_protocol"].filters.min_adherence == 0.5
    assert set(plan.populations) == {"itt", "per_protocol"}


def test_a_wrong_value_names_the_line_and_the_allowed_values() -> None:
    bad = GOOD.replace('model = "dose_response"', 'model = "anova"')
    with pytest.raises(
        PlanError,
        match=r"p\.toml, line 18: 'model' of analysis 'dose' must be "
        r"one of ancova, change, mmrm, mixed_model, responders, dose_response, .*\. "
        r"Got 'anova' instead\.",
    ):
        parse_plan(bad, "p.toml")


def test_unknown_outcome_key_and_population_are_refused_by_line() -> None:
    with pytest.raises(PlanError, match=r"line 10: 'outcome' of analysis 'primary' must be one of"):
        parse_plan(GOOD.replace('outcome = "nrs"', 'outcome = "pain"', 1), "p.toml")
    with pytest.raises(PlanError, match=r"line 13: unknown key 'estimund'"):
        parse_plan(GOOD.replace("estimand =", "estimund ="), "p.toml")
    with pytest.raises(
        PlanError,
        match=r"line 13: 'population' of analysis 'primary' must be one "
        r"of itt, per_protocol\. Got 'pp' instead",
    ):
        parse_plan(
            GOOD.replace('role = "primary"', 'role = "primary"\npopulation = "pp"'), "p.toml"
        )


def test_dose_response_must_be_exploratory_and_primary_needs_an_estimand() -> None:
    with pytest.raises(PlanError, match=r"line 19: .*observational.*exploratory or sensitivity"):
        parse_plan(GOOD.replace('role = "exploratory"', 'role = "secondary"\nestimand = "x"'), "p")
    with pytest.raises(PlanError, match=r"line 12: analysis 'primary' is primary: it needs an"):
        parse_plan(GOOD.replace('estimand = "difference in follow-up NRS"', ""), "p")


def test_syntax_errors_and_missing_files_are_plan_errors(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"not valid TOML.*line 1"):
        parse_plan("title = \n[x]\n", "p.toml")
    with pytest.raises(PlanError, match="no analysis plan at"):
        load_plan(tmp_path / "missing.toml")


def test_key_line_finds_keys_in_the_nth_array_table() -> None:
    assert key_line(GOOD, "analysis", "model", 1) == 18
    assert key_line(GOOD, None, "reference_arm") == 2
    assert key_line(GOOD, "populations.per_protocol", "min_adherence") == 6
    assert key_line(GOOD, "analysis", "spline_df", 1) == 15  # absent: the table's header
