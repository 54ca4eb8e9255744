"""The scripts in analyses/ run against the demo study, as a researcher runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, cli_env


def run_script(name: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "analyses" / name), *map(str, args)],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=600,
        check=False,
    )


def test_primary_analysis_script(demo_study: Path) -> None:
    result = run_script("primary_analysis.py", demo_study)
    assert result.returncode == 0, result.stderr
    assert "retro - usual_care" in result.stdout and "forward - usual_care" in result.stdout
    assert "Difference between arms" in result.stdout  # the estimand in words
    assert "note: ancova:" in result.stdout  # complete-case exclusions, as data


def test_dose_response_sensitivity_script(demo_study: Path) -> None:
    result = run_script("dose_response_sensitivity.py", demo_study)
    assert result.returncode == 0, result.stderr
    for label in ("as planned", "baseline only", "per-protocol", "spline"):
        assert label in result.stdout, label
    assert "observational" in result.stdout


def test_cohort_figure_script(demo_study: Path, tmp_path: Path) -> None:
    out = tmp_path / "figure.html"
    result = run_script("cohort_figure.py", demo_study, out)
    assert result.returncode == 0, result.stderr
    assert "participants; figure:" in result.stdout
    text = out.read_text(encoding="utf-8")
    assert "Plotly.newPlot" in text and "Knee OA" in text
