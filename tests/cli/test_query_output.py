"""``retrowalk query`` and ``stats`` tables a person can read; CSV/JSON exact; parameters;
SQL errors (exit 1) and unknown cohort levels (exit 2) that say what exists."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import ROOT, cli_env, run_cli
from toolkit.cli.output import render_table, write_frame

WIDE = (
    "select participant_id, arm, condition, sex, age, bmi, site, enrolled_on, timezone, "
    "prescribed_direction from participants order by participant_id"
)


def run_narrow(*args: str | Path, columns: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "toolkit", *map(str, args)],
        capture_output=True,
        text=True,
        env={**cli_env(), "COLUMNS": str(columns)},
        timeout=120,
        check=False,
    )


def test_a_wide_table_fits_the_width_in_column_blocks(demo_study: Path) -> None:
    result = run_narrow("query", demo_study, WIDE, columns=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 60
    blocks = result.stdout.split("\n\n")
    assert len(blocks) > 1
    assert all(b.startswith("participant_id") for b in blocks)  # the key column repeats
    for column in ("prescribed_direction", "timezone", "bmi"):
        assert column in result.stdout


def test_numbers_are_formatted_and_never_split() -> None:
    frame = pl.DataFrame(
        {"term": ["a", "b"], "estimate": [6.8838e-7, 1.23456], "p_value": [6.8838e-7, 0.04321]}
    )
    text = render_table(frame, width=40)
    assert "<0.001" in text and "0.043" in text and "1.23" in text
    assert "e-7" not in text.replace("6.9e-07", "")  # tiny values keep 2 significant digits
    assert all(len(line) <= 40 for line in text.splitlines())


def test_csv_and_json_stay_exact(demo_study: Path) -> None:
    sql = "select 1/3 as third, 6.8838e-7 as tiny"
    as_csv = run_cli("query", demo_study, sql, "--format", "csv")
    assert next(csv.DictReader(io.StringIO(as_csv.stdout))) == {
        "third": "0.3333333333333333",
        "tiny": "6.8838e-7",
    }
    as_json = json.loads(run_cli("query", demo_study, sql, "--format", "json").stdout)
    assert as_json == [{"third": 1 / 3, "tiny": 6.8838e-7}]


def test_limit_says_how_many_rows_are_left_out(demo_study: Path) -> None:
    result = run_cli("query", demo_study, "select * from range(12)", "--limit", "5")
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "… 7 more rows (--limit 0 shows all)"
    assert len(lines) == 2 + 5 + 1
    full = run_cli("query", demo_study, "select * from range(12)", "--limit", "0")
    assert len(full.stdout.strip().splitlines()) == 2 + 12
    as_csv = run_cli(
        "query", demo_study, "select * from range(12)", "--limit", "5", "--format", "csv"
    )
    assert len(as_csv.stdout.strip().splitlines()) == 1 + 5
    assert "7 more rows" in as_csv.stderr


def test_a_terminal_shows_50_rows_by_default(demo_study: Path) -> None:
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "query", str(demo_study), "select * from range(80)"],
        stdout=follower,
        stderr=subprocess.PIPE,
        env={**cli_env(), "COLUMNS": "80"},
        cwd=ROOT,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=120)
    os.close(leader)
    text = b"".join(chunks).decode().replace("\r\n", "\n")
    assert "… 30 more rows (--limit 0 shows all)" in text
    piped = run_cli("query", demo_study, "select * from range(80)")
    assert len(piped.stdout.strip().splitlines()) == 2 + 80  # a pipe gets every row


def test_sql_errors_exit_1_with_duckdbs_hint(demo_study: Path) -> None:
    result = run_cli("query", demo_study, "select * from outcomz")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        'error: Catalog Error: Table with name outcomz does not exist! Did you mean "outcomes"?'
    )


def test_named_parameters_bind_dollar_names(demo_study: Path) -> None:
    sql = "select count(*) as n from participants where condition = $cond and sex = $sex"
    named = run_cli(
        "query", demo_study, sql, "--param", "cond=knee_oa", "--param", "sex=female",
        "--format", "json",
    )  # fmt: skip
    assert named.returncode == 0, named.stderr
    positional = run_cli(
        "query", demo_study, sql.replace("$cond", "?").replace("$sex", "?"),
        "--param", "knee_oa", "--param", "female", "--format", "json",
    )  # fmt: skip
    assert json.loads(named.stdout) == json.loads(positional.stdout)
    assert json.loads(named.stdout)[0]["n"] > 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (["knee_oa"], "give --param NAME=VALUE, e.g. --param cond=..., not 'knee_oa'"),
        (["cond=knee_oa", "arm=retro"], "--param arm=...: the SQL has no $arm; it uses $cond"),
        ([], "no value for $cond: add --param cond=VALUE"),
    ],
)
def test_parameter_mistakes_are_usage_errors(
    demo_study: Path, params: list[str], message: str
) -> None:
    args = [a for p in params for a in ("--param", p)]
    result = run_cli(
        "query", demo_study, "select * from participants where condition = $cond", *args
    )
    assert result.returncode == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--arm", "retro_walk"], "unknown arm 'retro_walk': this study has forward, retro, "),
        (["--condition", "oa"], "unknown condition 'oa': this study has knee_oa, "),
        (["--outcome", "koos"], "unknown instrument 'koos': this study has "),
    ],
)
def test_unknown_cohort_levels_name_the_ones_that_exist(
    demo_study: Path, option: list[str], message: str
) -> None:
    result = run_cli("stats", demo_study, "ancova", *option)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_stats_table_formats_p_values(demo_study: Path) -> None:
    result = run_narrow("stats", demo_study, "ancova", columns=100)
    assert result.returncode == 0, result.stderr
    assert max(map(len, result.stdout.splitlines())) <= 100
    p_values = pl.read_csv(
        io.StringIO(run_cli("stats", demo_study, "ancova", "--format", "csv").stdout)
    )["p_value"]
    if (p_values < 0.001).any():
        assert "<0.001" in result.stdout


def test_write_frame_limit_note_goes_to_the_table() -> None:
    out = io.StringIO()
    write_frame(pl.DataFrame({"x": [1, 2, 3]}), "table", out, limit=1)
    assert out.getvalue().splitlines()[-1] == "… 2 more rows (--limit 0 shows all)"
