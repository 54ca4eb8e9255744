"""``retrowalk report`` as a user runs it."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

RAW_ID = re.compile(r"RW\d{4}")

Cli = Callable[..., CompletedProcess[str]]


def test_report_command_writes_a_private_report_for_a_filtered_cohort(
    cli: Cli, demo_study: Path, tmp_path: Path
) -> None:
    out = tmp_path / "retro.html"
    done = cli(
        "report",
        demo_study,
        "--out",
        out,
        "--arm",
        "retro",
        "--arm",
        "usual_care",
        "--filter",
        "complete_for=nrs",
        "--min-cell",
        "6",
    )
    assert done.returncode == 0, done.stderr
    assert f"report: {out}" in done.stdout
    assert re.search(r"extracts: \d+ file\(s\)", done.stdout)
    text = html.unescape(out.read_text(encoding="utf-8"))
    assert "arm in retro, usual_care; baseline and follow-up nrs available" in text
    assert '"min_cell": 6' in text
    assert not RAW_ID.search(text)
    assert (
        "forward"
        not in re.sub(r"<script.*?</script>", "", text, flags=re.S)
        .split('<section id="table1">')[1]
        .split('<section id="exposure">')[0]
    )
    assert (tmp_path / "retro_data" / "data_dictionary.csv").exists()


def test_report_command_usage_errors_exit_2(cli: Cli, demo_study: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    unknown = cli("report", demo_study, "--out", out, "--cohort", "no-such-cohort")
    assert unknown.returncode == 2
    assert "No saved cohort named 'no-such-cohort'" in unknown.stderr
    both = cli("report", demo_study, "--out", out, "--cohort", "x", "--arm", "retro")
    assert both.returncode == 2
    assert "not both" in both.stderr
    bad = cli("report", demo_study, "--out", out, "--filter", "colour=blue")
    assert bad.returncode == 2
    assert "Unknown cohort filter" in bad.stderr
    outcome = cli("report", demo_study, "--out", out, "--outcome", "grip")
    assert outcome.returncode == 2
    assert "unknown instrument 'grip': this study has" in outcome.stderr
    assert not out.exists()
