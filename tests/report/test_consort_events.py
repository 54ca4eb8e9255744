"""The report's CONSORT flow counts the study's intercurrent events (issue 17 item 10)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from toolkit.report import build_content
from toolkit.study import open_study


@pytest.fixture(scope="module")
def content(demo_study: Path):  # type: ignore[no-untyped-def]
    with open_study(demo_study, read_only=True) as opened:
        return build_content(opened, None, policy=None)


def test_the_flow_table_and_figure_show_the_demo_events(content, demo_study: Path) -> None:  # type: ignore[no-untyped-def]
    raw = pl.read_csv(demo_study.parent / "raw" / "intercurrent_events.csv")
    per_event = dict(raw.group_by("event").agg(pl.col("participant_id").n_unique()).rows())
    tables = {t.key: t.frame for t in content.tables()}
    flow = tables["consort_flow"]
    assert flow["stage"].to_list() == [
        "enrolled",
        "with baseline",
        "discontinued",
        "lost to follow up",
        "rescue medication",
        "with follow-up",
        "analysed",
    ]
    assert flow["step"].to_list() == list(range(1, 8))
    totals = dict(zip(flow["stage"], flow["all"], strict=True))
    for event, n in per_event.items():
        # each "all" cell is the demo file's count, or hidden (then never shown elsewhere)
        shown = totals[event.replace("_", " ")]
        assert shown == str(n) or not str(shown).isdigit()
    assert str(totals["lost to follow up"]).isdigit()  # 90 demo participants: several lost
    # the figure draws every event stage with an arm count the table shows (small ones hidden)
    figure = next(f.figure for s in content.sections for f in s.figures if f.key == "consort_flow")
    drawn = {x for trace in figure.data for x in trace.x}
    arms = [c for c in flow.columns if c not in ("step", "stage", "all")]
    shown = {r["stage"] for r in flow.iter_rows(named=True) if any(r[a].isdigit() for a in arms)}
    assert drawn == shown


def test_reasons_are_tabulated_and_protected(content) -> None:  # type: ignore[no-untyped-def]
    tables = {t.key: t.frame for t in content.tables()}
    reasons = tables["consort_reasons"]
    assert all(": " in s for s in reasons["stage"].to_list())
    assert any(s.startswith("lost to follow up: ") for s in reasons["stage"].to_list())
    # every reasons cell is tied to the participants it counts in the report-wide pass
    keys = {k for k in content.suppression.counts if k[0] == "consort_reasons"}
    assert len(keys) == reasons.height * (reasons.width - 2)
    assert not [k for k in content.suppression.unmatched if str(k[0]).startswith("consort")]
