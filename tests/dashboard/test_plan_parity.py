"""The CLI, the report and the dashboard give identical numbers for every analysis of the demo
study's plan, on the same cohort (everyone, and retro vs forward with no usual care)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from dashboard.downloads import display_frame
from toolkit import open_study
from toolkit.analyses import load_plan, run_plan
from toolkit.cli.main import cli
from toolkit.cohorts import Cohort
from toolkit.report import PrivacyPolicy, build_content

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard" / "app.py"
PLAN = ROOT / "analyses" / "demo_plan.toml"
NUMBERS = ("estimate", "ci_low", "ci_high", "statistic", "df", "p_value", "n")
COHORTS = {"everyone": (), "retro_vs_forward": ("retro", "forward")}


def _value(row: dict[str, Any], column: str) -> Any:
    value = row.get(column)
    missing = value is None or value == "" or (isinstance(value, float) and math.isnan(value))
    return None if missing else value


def key(row: dict[str, Any]) -> tuple[Any, ...]:
    """A result row's identity: analysis, role, term, visit (MMRM), delta (tipping point)."""
    delta = _value(row, "delta")
    return (
        row["analysis"],
        row.get("role"),
        row["term"],
        _value(row, "visit"),
        None if delta is None else float(delta),
    )


def same(a: Any, b: Any) -> bool:
    missing = (None, "")
    if a in missing or (isinstance(a, float) and math.isnan(a)):
        return b in missing or (isinstance(b, float) and math.isnan(b))
    if b in missing or (isinstance(b, float) and math.isnan(b)):
        return False
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)


def cli_rows(study: Path, arms: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    args = ["analyse", str(study), str(PLAN), "--format", "json"]
    for arm in arms:
        args += ["--arm", arm]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return {key(r): r for r in json.loads(result.stdout)}


def dashboard_table(
    study: Path, arms: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, snapshots: Path
) -> pd.DataFrame:
    """The Outcomes page's "Run the whole plan" table as the dashboard shows it."""
    monkeypatch.setenv("RETROWALK_STUDY", str(study))
    monkeypatch.setenv("RETROWALK_SNAPSHOT_DIR", str(snapshots))
    monkeypatch.setenv("RETROWALK_PLAN", str(PLAN))
    at = AppTest.from_file(str(APP), default_timeout=300)
    if arms:
        at.query_params["arms"] = ",".join(arms)
    at.run()
    at.switch_page("views/outcomes.py").run()
    at.toggle(key="outcomes_plan").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    shown: pd.DataFrame = at.dataframe[-1].value
    return shown


def report_rows(study: Path, arms: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Every row of every analysis table of the report (no cell suppressed: min_cell 1)."""
    with open_study(study, read_only=True) as opened:
        content = build_content(
            opened, Cohort(arms=arms), plan=load_plan(PLAN), policy=PrivacyPolicy(min_cell=1)
        )
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for table in content.tables():
        found = re.match(r"^\[(\w+): ", table.title)
        if not found:
            continue
        for row in table.frame.to_dicts():
            row["analysis"] = found.group(1)
            rows[key(row)] = row
    return rows


@pytest.mark.parametrize("cohort", sorted(COHORTS))
@pytest.mark.slow
def test_cli_report_and_dashboard_agree_on_every_analysis(
    cohort: str,
    demo_study: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    arms = COHORTS[cohort]
    cli_table = cli_rows(demo_study, arms)
    plan = load_plan(PLAN)
    assert {k[0] for k in cli_table} == {a.id for a in plan.analyses}
    if arms:  # no usual care: the plan's reference arm resolves to forward everywhere
        primary = [k for k in cli_table if k[0] == "primary" and k[1] == "difference"]
        assert [k[2] for k in primary] == ["retro - forward"]

    with open_study(demo_study, read_only=True) as opened:
        layer = run_plan(opened, plan, Cohort(arms=arms))
    for row in layer.to_dicts():  # the CLI prints exactly the layer's rows
        for column in (*NUMBERS, "p_adjusted"):
            assert same(row[column], cli_table[key(row)].get(column)), (key(row), column)
    # The dashboard shows the same rows through the one formatter it shares with the report.
    board = dashboard_table(demo_study, arms, monkeypatch, tmp_path_factory.mktemp("snapshots"))
    expected = display_frame(layer)[0].to_pandas()
    pd.testing.assert_frame_equal(
        board.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )

    report = report_rows(demo_study, arms)
    shown = {k[0] for k in report}
    ran = {k[0] for k, r in cli_table.items() if r["status"] == "ok"}
    assert shown == ran  # every analysis that ran has its table in the report
    loose = {(k[0], *k[2:]): r for k, r in cli_table.items()}  # tables without a role
    for k, row in report.items():
        match = cli_table.get(k) if k[1] is not None else loose.get((k[0], *k[2:]))
        assert match is not None, k
        for column in NUMBERS:
            if column in row:
                assert same(match.get(column), row[column]), (k, column)
