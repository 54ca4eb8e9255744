"""``retrowalk analyse``: the demo plan on the demo study, --lock, and plan errors."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from click.testing import CliRunner

from toolkit import open_study
from toolkit.analyses import load_plan, plan_locks
from toolkit.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
DEMO_PLAN = ROOT / "analyses" / "demo_plan.toml"


def invoke(*args: str | Path) -> subprocess.CompletedProcess[str]:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def test_analyse_runs_the_demo_plan_and_locks_it(demo_study: Path, tmp_path: Path) -> None:
    copy = tmp_path / "study.duckdb"
    copy.write_bytes(demo_study.read_bytes())
    result = invoke("analyse", copy, DEMO_PLAN, "--lock", "--arm", "retro", "--arm", "forward",
                    "--format", "json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    plan = load_plan(DEMO_PLAN)
    assert {r["analysis"] for r in rows} == {a.id for a in plan.analyses}
    primary = [r for r in rows if r["analysis"] == "primary" and r["role"] == "difference"]
    assert [r["term"] for r in primary] == ["retro - forward"]
    assert f"plan {plan.sha256} locked at" in result.stderr
    with open_study(copy, read_only=True) as study:
        (lock,) = plan_locks(study, plan.sha256)
    # the demo's outcome files were loaded when the study was built, before this lock
    assert not lock.before_outcome_data
    assert "after the first outcome data were loaded" in lock.describe()


def test_analyse_table_lists_notes_and_bad_plans_exit_2(demo_study: Path, tmp_path: Path) -> None:
    table = invoke("analyse", demo_study, "--condition", "knee_oa")
    assert table.returncode == 0, table.stderr
    assert re.search(r"^\W*primary\b", table.stdout, flags=re.M)
    assert "note (kujala): not applicable" in table.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(DEMO_PLAN.read_text().replace('model = "mmrm"', 'model = "mmmr"'))
    refused = invoke("analyse", demo_study, bad)
    assert refused.returncode == 2
    assert "must be one of ancova, change, mmrm" in refused.stderr
    assert f"{bad}, line " in refused.stderr
