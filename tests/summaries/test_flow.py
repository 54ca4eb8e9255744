"""Participant flow and completeness: counts checked against SQL and hand-made frames."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit import open_study
from toolkit.cohorts import Cohort, members, select_view
from toolkit.summaries import FLOW_STAGES, data_completeness, enrolment_by_arm, participant_flow


def test_flow_counts_match_the_outcomes_view(demo_study: Path) -> None:
    with open_study(demo_study, read_only=True) as study:
        people = members(study, Cohort())
        outcomes = select_view(study, "outcomes", Cohort())
        expected = study.sql(
            "select p.arm, count(*) as enrolled, "
            "count(o.baseline) as base, count(o.follow_up) as follow, "
            "count(*) filter (where o.baseline is not null and o.follow_up is not null) as both_ "
            "from participants p left join outcomes o "
            "on o.participant_id = p.participant_id and o.instrument = 'nrs' group by p.arm"
        )
    flow = participant_flow(people, outcomes, "nrs")
    assert flow["stage"].unique(maintain_order=True).to_list() == list(FLOW_STAGES)
    for row in expected.iter_rows(named=True):
        got = dict(
            flow.filter(pl.col("arm") == row["arm"]).select("stage", "participants").iter_rows()
        )
        assert got == {
            "enrolled": row["enrolled"],
            "with baseline": row["base"],
            "with follow-up": row["follow"],
            "analysed": row["both_"],
        }
    everyone = flow.filter(pl.col("arm") == "all")
    assert everyone["participants"][0] == people.height
    assert everyone.filter(pl.col("stage") == "analysed")["participants"][0] == sum(
        expected["both_"]
    )
    assert (flow.filter(pl.col("stage") == "enrolled")["percent_of_enrolled"] == 100).all()
    assert enrolment_by_arm(people)["participants"].sum() == people.height


def test_completeness_counts_each_source_and_roster_field() -> None:
    people = pl.DataFrame(
        {
            "participant_id": ["a", "b", "c", "d"],
            "arm": ["x", "x", "y", "y"],
            "sex": ["f", None, "m", "f"],
            "age": [30.0, 40.0, None, None],
        }
    )
    sessions = pl.DataFrame({"participant_id": ["a", "a", "c"]})
    out = data_completeness(people, {"sessions": sessions}, roster_fields=("sex", "age"))
    got = {(r["item"], r["arm"]): r["participants_with_data"] for r in out.iter_rows(named=True)}
    assert got == {
        ("roster: sex", "x"): 1,
        ("roster: sex", "y"): 2,
        ("roster: age", "x"): 2,
        ("roster: age", "y"): 0,
        ("sessions", "x"): 1,
        ("sessions", "y"): 1,
    }
    assert out["item"].unique(maintain_order=True).to_list() == [
        "roster: sex",
        "roster: age",
        "sessions",
    ]
    assert out.filter(pl.col("item") == "sessions")["percent"].to_list() == [50.0, 50.0]
