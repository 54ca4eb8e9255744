"""Cohort definitions: SQL filters, saving by name, URL and JSON round trips."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from toolkit import open_study
from toolkit.cohorts import (
    Cohort,
    load_cohort,
    members,
    save_cohort,
    saved_cohort_names,
    select_view,
)
from toolkit.errors import UsageError


def test_filters_select_exactly_the_matching_participants(demo_study: Path) -> None:
    cohort = Cohort(arms=("retro", "forward"), sexes=("female",), age_min=30, age_max=60)
    with open_study(demo_study, read_only=True) as study:
        got = set(members(study, cohort)["participant_id"])
        expected = set(
            study.sql(
                "select participant_id from participants where arm in ('retro','forward') "
                "and sex = 'female' and age between 30 and 60"
            )["participant_id"]
        )
        assert got == expected and got
        everyone = study.cohort()
        assert everyone.height == study.sql("select count(*) from participants").item()


def test_adherence_and_completeness_filters(demo_study: Path) -> None:
    with open_study(demo_study, read_only=True) as study:
        adherent = study.cohort(min_adherence=0.6)
        means = study.sql("select participant_id, avg(adherence) a from weekly_exposure group by 1")
        keep = set(means.filter((means["a"] >= 0.6) | means["a"].is_null())["participant_id"])
        assert set(adherent["participant_id"]) == keep
        complete = Cohort(complete_for="nrs")
        outcomes = select_view(study, "outcomes", complete)
        nrs = outcomes.filter(outcomes["instrument"] == "nrs")
        assert nrs["follow_up"].null_count() == 0 and nrs["baseline"].null_count() == 0


def test_values_are_bound_not_formatted(demo_study: Path) -> None:
    evil = Cohort(arms=("retro') or ('1'='1",))
    sql, params = evil.to_sql()
    assert "1'='1" not in sql and params == ["retro') or ('1'='1"]
    with open_study(demo_study, read_only=True) as study:
        assert members(study, evil).height == 0


def test_round_trips_through_json_and_query_params() -> None:
    cohort = Cohort(
        arms=("retro",),
        conditions=("knee_oa", "patellofemoral_pain"),
        bmi_max=30.5,
        enrolled_from=date(2025, 2, 1),
        min_adherence=0.5,
        complete_for="nrs",
    )
    assert Cohort.from_json(cohort.to_json()) == cohort
    params = cohort.to_query_params()
    assert params["conditions"] == "knee_oa,patellofemoral_pain"
    assert Cohort.from_query_params({**params, "page": "overview"}) == cohort
    assert "arm in retro" in cohort.describe()


def test_bad_definitions_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="'age_min' of a cohort must not exceed 'age_max'"):
        Cohort(age_min=70, age_max=20)
    with pytest.raises(UsageError, match="Unknown cohort filter"):
        Cohort.from_dict({"colour": "red"})
    with pytest.raises(UsageError, match="cannot be 'old'"):
        Cohort.from_dict({"age_min": "old"})


def test_saved_cohorts_by_name(demo_study: Path, tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    shutil.copy(demo_study, path)
    with open_study(path) as study:
        save_cohort(study, "oa women", Cohort(conditions=("knee_oa",), sexes=("female",)))
        assert saved_cohort_names(study) == ["oa women"]
        assert load_cohort(study, "oa women").conditions == ("knee_oa",)
        assert set(study.cohort("oa women")["condition"]) == {"knee_oa"}
        with pytest.raises(UsageError, match="No saved cohort named 'nope'"):
            load_cohort(study, "nope")


def test_one_resolver_serves_the_study_and_the_analysis_frames(demo_study: Path) -> None:
    """``Study.cohort``, the analysis frames and reports all choose a cohort through
    ``resolve_cohort``: a Cohort, a saved name, None (everyone) or filters, never two of them."""
    from toolkit.cohorts import resolve_cohort

    with open_study(demo_study, read_only=True) as study:
        assert resolve_cohort(study) == Cohort()
        assert resolve_cohort(study, None, arms=["retro"]) == Cohort(arms=("retro",))
        chosen = Cohort(conditions=("knee_oa",))
        assert resolve_cohort(study, chosen) is chosen
        assert study.cohort(chosen).equals(members(study, chosen))
        with pytest.raises(UsageError, match="Give a cohort or cohort filters, not both"):
            study.cohort(chosen, age_min=40)
        with pytest.raises(UsageError, match="must be a Cohort, a saved cohort's name or None"):
            resolve_cohort(study, 3)  # type: ignore[arg-type]
