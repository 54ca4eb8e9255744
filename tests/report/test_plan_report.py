"""The report runs a plan through the analysis layer: plan text, sha256, lock, safe defaults."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from tests.conftest import run_cli
from toolkit import open_study
from toolkit.analyses import load_plan
from toolkit.cohorts import Cohort
from toolkit.report import build_content

ROOT = Path(__file__).resolve().parents[2]
DEMO_PLAN = ROOT / "analyses" / "demo_plan.toml"


@pytest.mark.slow
def test_report_plan_shows_the_plan_its_sha256_and_its_lock(
    demo_study: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "study.duckdb"
    copy.write_bytes(demo_study.read_bytes())
    out = tmp_path / "report.html"
    unlocked = run_cli("report", copy, "--out", out, "--plan", DEMO_PLAN, "--no-extracts")
    assert unlocked.returncode == 0, unlocked.stderr
    text = html.unescape(out.read_text(encoding="utf-8"))
    plan = load_plan(DEMO_PLAN)
    assert plan.sha256 in text
    assert 'id="plan-text"' in text and "[[analysis]]" in text
    assert "was not locked in the study" in text
    assert run_cli("analyse", copy, DEMO_PLAN, "--lock", "--format", "csv").returncode == 0
    assert (
        run_cli("report", copy, "--out", out, "--plan", DEMO_PLAN, "--no-extracts").returncode == 0
    )
    text = html.unescape(out.read_text(encoding="utf-8"))
    assert "fixed only after the outcome data were loaded" in text
    assert "Observational and exploratory" in text


def test_collinear_report_has_a_sensible_slope_and_a_line_inside_the_scale(
    demo_study: Path,
) -> None:
    with open_study(demo_study, read_only=True) as study:
        content = build_content(study, Cohort(arms=("retro", "usual_care")))
    section = next(s for s in content.sections if s.key == "dose-response")
    table = next(t for t in section.tables if t.key == "dose_response")
    slope = table.frame.filter(term="retro_minutes")["estimate"].item()
    assert -0.5 < slope < 0.5
    assert "forward_minutes was not adjusted for" in table.note
    assert not table.frame.filter(term="forward_minutes").height
    figure = next(f for f in section.figures if f.key == "dose_response")
    fitted = next(t for t in figure.figure.data if t.name == "fitted")
    outcomes = next(s for s in content.sections if s.key == "outcomes")
    assert outcomes.tables  # ANCOVA etc. still run on retro vs usual care
    ys = list(fitted.y)
    assert ys and all(-10 <= y <= 10 for y in ys)  # nothing like +13 to -30 on a 0-10 scale
    assert max(ys) - min(ys) < 5
    assert "Observational" in figure.caption
