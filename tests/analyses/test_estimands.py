"""Estimand strategies use the recorded intercurrent events (issue 17 item 10, ICH E9(R1))."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from tests.analyses.test_plan import GOOD
from toolkit.analyses import execute_plan, parse_plan
from toolkit.errors import PlanError
from toolkit.study import open_study

PLAN = """title = "estimands"
reference_arm = "usual_care"
multiplicity = "none"

[[analysis]]
id = "policy"
outcome = "nrs"
model = "mmrm"
role = "primary"
estimand = "NRS change at each visit whatever happened (treatment policy)"

[[analysis]]
id = "hypothetical"
outcome = "nrs"
model = "mmrm"
role = "secondary"
estimand = "NRS change had no one stopped walking or taken rescue medication"
intercurrent_strategy = "hypothetical"
"""


def test_hypothetical_sets_aside_values_after_an_event(demo_study: Path) -> None:
    with open_study(demo_study, read_only=True) as study:
        run = execute_plan(study, parse_plan(PLAN, "p.toml"), curves=False)
        expected = study.sql(
            "with first as (select participant_id, min(study_day) as day from intercurrent_events"
            " where event <> 'lost_to_follow_up' group by participant_id) "
            "select count(*) as n, count(distinct v.participant_id) as people from visit_scores v"
            " join first using (participant_id) where v.instrument = 'nrs' and v.study_day > "
            "first.day and v.change is not null"
        ).row(0, named=True)
    assert expected["n"] > 0  # the demo's rescue medication comes before later visits
    policy, hypothetical = run.results
    assert policy.notes == [] or not any("hypothetical" in n for n in policy.notes)
    note = next(n for n in hypothetical.notes if n.startswith("hypothetical strategy"))
    found = re.search(r"(\d+) value\(s\) of (\d+) participant", note)
    assert found is not None
    assert (int(found[1]), int(found[2])) == (expected["n"], expected["people"])
    rows = {
        r.spec.id: r.table.filter(pl.col("role") == "difference")["estimate"].to_list()
        for r in run.results
    }
    assert rows["policy"] != rows["hypothetical"]


def test_hypothetical_needs_repeated_visits() -> None:
    bad = GOOD.replace(
        'estimand = "difference in follow-up NRS"',
        'estimand = "difference in follow-up NRS"\nintercurrent_strategy = "hypothetical"',
    )
    with pytest.raises(
        PlanError, match=r"line 14: the hypothetical strategy of analysis 'primary'"
    ):
        parse_plan(bad, "p.toml")
    with pytest.raises(PlanError, match=r"'intercurrent_strategy' of analysis 'primary' must be"):
        parse_plan(bad.replace('"hypothetical"', '"composite"'), "p.toml")


def test_a_plan_runs_reference_based_by_conditional_means(demo_study: Path) -> None:
    plan = parse_plan(
        PLAN
        + """
[[analysis]]
id = "j2r"
outcome = "nrs"
model = "reference_based"
role = "sensitivity"
imputation = "J2R"
reference_draws = "conditional_mean"
""",
        "p.toml",
    )
    assert plan.analysis("j2r").reference_draws == "conditional_mean"
    with open_study(demo_study, read_only=True) as study:
        run = execute_plan(study, plan, only=("j2r",), curves=False)
    table = run.results[0].table
    assert table.height >= 1 and all("jackknife" in m for m in table["method"].to_list())
    assert table["df"].null_count() == table.height


def test_first_intercurrent_event_is_the_earliest_that_is_not_lost_to_follow_up(
    demo_study: Path,
) -> None:
    # recomputed here from the events themselves, the rule the view states
    with open_study(demo_study, read_only=True) as study:
        events = study.sql("select participant_id, study_day, event from intercurrent_events")
        first = study.sql("select participant_id, study_day, event from first_intercurrent_events")
    expected = (
        events.filter(pl.col("event") != "lost_to_follow_up")
        .sort("participant_id", "study_day", "event")
        .group_by("participant_id", maintain_order=True)
        .first()
    )
    assert expected.height > 0 and first.height == expected.height
    assert first.sort("participant_id").equals(expected.sort("participant_id"))
    lost_only = set(events["participant_id"]) - set(expected["participant_id"])
    assert lost_only  # the demo has dropouts who are only lost to follow-up: no row for them
    assert not lost_only & set(first["participant_id"])
