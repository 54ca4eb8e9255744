"""Private extracts are k-anonymous (issue 15 item 3).

Before: ``analysis_outcomes.csv`` kept exact age, BMI, sex, site, arm and condition per
pseudonym (most demo participants unique on them), and a 6-person cohort's extract listed all
six while every table showed ``<5``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from toolkit.cohorts import Cohort
from toolkit.report import ReportResult, build_report
from toolkit.report.kanonymity import (
    QUASI_IDENTIFIERS,
    generalise,
    k_anonymity,
    participant_values,
)
from toolkit.study import open_study

GENERALISED = ("age_band", "bmi_class")


def _extracts(result: ReportResult) -> dict[str, pl.DataFrame]:
    folder = result.html.with_name(f"{result.html.stem}_data")
    return {p.stem: pl.read_parquet(p) for p in sorted(folder.glob("analysis_*.parquet"))}


def test_every_private_extract_is_k_anonymous(private_report: ReportResult) -> None:
    extracts = _extracts(private_report)
    assert {"analysis_outcomes", "analysis_scores"} <= set(extracts)
    for name, frame in extracts.items():
        assert "age" not in frame.columns and "bmi" not in frame.columns, name
        assert (k_anonymity(frame) or 5) >= 5, name
    # Joining every extract on the pseudonym reveals no smaller group either.
    people = participant_values(list(extracts.values()))
    columns = [c for c in (*QUASI_IDENTIFIERS, *GENERALISED) if c in people.columns]
    merged = (
        pl.concat(
            [
                f.select("participant_id", *[c for c in columns if c in f.columns]).unique()
                for f in extracts.values()
            ],
            how="diagonal_relaxed",
        )
        .group_by("participant_id")
        .agg(pl.all().drop_nulls().first())
    )
    assert k_anonymity(merged, columns) >= 5
    # The attack: nobody is unique on sex, site, condition, arm and age (band).
    outcomes = extracts["analysis_outcomes"]
    quasi = [c for c in ("sex", "site", "condition", "arm", "age_band") if c in outcomes.columns]
    unique = outcomes.group_by(quasi).agg(pl.len().alias("n")).filter(pl.col("n") == 1)
    assert unique.height == 0


def test_the_data_dictionary_says_what_was_done(private_report: ReportResult) -> None:
    dictionary = pl.read_csv(private_report.html.parent / "report_data" / "data_dictionary.csv")
    note = dictionary.filter(pl.col("table") == "privacy")["description"].item()
    assert "k-anonymous (k >= 5)" in note and "suppressed" in note
    listed = dictionary.filter(pl.col("file").str.starts_with("analysis_"))["column"].to_list()
    assert "age" not in listed and "bmi" not in listed
    described = dictionary.filter(pl.col("column").is_in(GENERALISED))
    assert described["description"].str.contains("k-anonymity").all()


def test_a_small_cohort_gets_no_participant_level_extract(demo_study: Path, tmp_path: Path) -> None:
    with open_study(demo_study, read_only=True) as opened:
        site, arm = opened.sql(
            "select site, arm from participants group by all having count(*) between 5 and 9 "
            "order by count(*), site, arm limit 1"
        ).row(0)
    result = build_report(demo_study, Cohort(sites=(site,), arms=(arm,)), tmp_path / "r.html")
    assert _extracts(result) == {}
    dictionary = pl.read_csv(result.html.with_name("r_data") / "data_dictionary.csv")
    note = dictionary.filter(pl.col("table") == "privacy")["description"].item()
    assert "participant-level extracts (analysis_*) left out" in note


def test_generalisation_steps_up_until_k_holds() -> None:
    people = pl.DataFrame(
        {
            "participant_id": [f"P{i:02d}" for i in range(20)],
            "age": [20 + 3 * i for i in range(20)],
            "bmi": [19 + 0.7 * i for i in range(20)],
            "sex": ["female", "male"] * 10,
            "site": ["a"] * 10 + ["b"] * 10,
            "condition": ["knee_oa"] * 20,
            "arm": ["retro"] * 20,
        }
    )
    chosen = generalise(participant_values([people]), 5)
    assert chosen.step is not None and chosen.k is not None and chosen.k >= 5
    assert len(chosen.suppressed) <= 10
    tiny = generalise(participant_values([people.head(4)]), 5)
    assert tiny.step is None and "fewer than 2 x k = 10" in tiny.reason


@pytest.mark.parametrize("k", [2, 10])
def test_k_follows_min_cell(k: int) -> None:
    people = pl.DataFrame(
        {
            "participant_id": [f"P{i}" for i in range(40)],
            "age": list(range(30, 70)),
            "sex": ["f", "m"] * 20,
            "arm": ["a"] * 40,
        }
    )
    chosen = generalise(participant_values([people]), k)
    assert chosen.k is not None and chosen.k >= k
