"""``retrowalk stats``: every analysis runs on the demo study; formats and exit codes.

Most cases run the command in-process with click's runner (the real command, study and
statistics; only the process start is saved); one runs it as a user would, in a subprocess.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import run_cli
from toolkit.cli.main import cli
from toolkit.cli.stats_command import ANALYSES
from toolkit.stats import RESULT_COLUMNS


def invoke(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``retrowalk ARGS`` in-process; the result shaped like ``run_cli``'s."""
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


@pytest.mark.parametrize("analysis", [a for a in ANALYSES if a != "table1"])
def test_every_analysis_prints_the_result_columns(demo_study: Path, analysis: str) -> None:
    result = invoke("stats", demo_study, analysis, "--format", "csv")
    assert result.returncode == 0, result.stderr
    header = next(csv.reader(io.StringIO(result.stdout)))
    assert header[: len(RESULT_COLUMNS)] == list(RESULT_COLUMNS)


def test_table1_json_and_filters(demo_study: Path) -> None:
    result = invoke(
        "stats", demo_study, "table1", "--arm", "retro", "--sex", "female", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    groups = {r["group"] for r in rows}
    assert groups == {"retro", "all"}
    sex = {r["level"] for r in rows if r["variable"] == "sex"}
    assert sex == {"female"}


def test_ancova_uses_usual_care_as_reference_and_reports_exclusions(demo_study: Path) -> None:
    result = invoke("stats", demo_study, "ancova", "--format", "json")
    rows = json.loads(result.stdout)
    terms = [r["term"] for r in rows if r["role"] == "difference"]
    assert terms == ["forward - usual_care", "retro - usual_care"]
    assert "complete-case" in result.stderr  # the StatsWarning reaches the user


def test_saved_cohort_and_usage_errors(demo_study: Path, tmp_path: Path) -> None:
    from toolkit import open_study
    from toolkit.cohorts import Cohort, save_cohort

    copy = tmp_path / "study.duckdb"
    copy.write_bytes(demo_study.read_bytes())
    with open_study(copy) as study:
        save_cohort(study, "walkers", Cohort(arms=("retro", "forward")))
    ok = invoke("stats", copy, "responders", "--cohort", "walkers", "--format", "json")
    assert ok.returncode == 0, ok.stderr
    assert {r["term"] for r in json.loads(ok.stdout) if r["role"] == "proportion"} == {
        "forward",
        "retro",
    }
    both = run_cli("stats", copy, "change", "--cohort", "walkers", "--arm", "retro")
    assert both.returncode == 2 and "either --cohort NAME or filter options" in both.stderr
    unknown = invoke("stats", copy, "change", "--cohort", "nobody")
    assert unknown.returncode == 2 and "No saved cohort named 'nobody'" in unknown.stderr
    bad = invoke("stats", copy, "ancova", "--alpha", "1.5")
    assert bad.returncode == 2 and "The 'alpha' parameter of ancova" in bad.stderr
    assert invoke("stats", copy, "regression").returncode == 2
    assert invoke("stats", tmp_path / "none.duckdb", "change").returncode == 2


def test_several_outcomes_with_holm_adjustment(demo_study: Path) -> None:
    from statsmodels.stats.multitest import multipletests

    result = invoke(
        "stats", demo_study, "ancova", "--outcome", "nrs", "--outcome", "vas",
        "--adjust", "holm", "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["outcome"] for r in rows} == {"nrs", "vas"}
    differences = [r for r in rows if r["role"] == "difference"]
    assert len(differences) == 4  # two arms vs usual care, two outcomes
    expected = multipletests([r["p_value"] for r in differences], method="holm")[1]
    assert [r["p_adjusted"] for r in differences] == pytest.approx(list(expected))
    assert all(r["p_adjusted"] is None for r in rows if r["role"] != "difference")
    refused = invoke("stats", demo_study, "table1", "--adjust", "holm")
    assert refused.returncode == 2 and "p-values" in refused.stderr
