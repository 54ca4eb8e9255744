"""User SQL is read-only: every attack of issue 15 item 1, through the CLI and through Python.

Each attack ran (exit 0) before the user-SQL connection of ``toolkit.db.user_sql`` existed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster
from toolkit import open_study
from toolkit.db.user_sql import ReadOnlyQueryError


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """A two-participant study in its own folder."""
    path = tmp_path / "s.duckdb"
    with open_study(path) as opened:
        report = opened.ingest([roster(tmp_path / "roster.csv", *DEFAULT_ROSTER_ROWS)])
    assert report.exit_code == 0
    return path


def _still_a_study(path: Path) -> None:
    with open_study(path, read_only=True) as opened:
        assert opened.sql("select count(*) as n from participants")["n"].item() == 2


def test_copy_over_the_study_file_is_refused_and_the_study_survives(study: Path) -> None:
    attack = f"copy (select 'gone' as x) to '{study}' (format csv)"
    result = run_cli("query", study, attack)
    assert result.returncode == 2, result.stdout
    assert "queries are read-only: COPY is not allowed" in result.stderr
    assert "Traceback" not in result.stderr
    _still_a_study(study)


@pytest.mark.parametrize(
    ("attack", "message"),
    [
        ("copy (select 1 as x) to '{home}/.bashrc' (format csv)", "COPY is not allowed"),
        ("export database '{home}/dump'", "EXPORT is not allowed"),
        ("attach '{home}/other.duckdb' as other", "ATTACH is not allowed"),
        ("attach '{study}' as again (read_only false)", "ATTACH is not allowed"),
        ("install httpfs", "INSTALL is not allowed"),
        ("load json", "LOAD is not allowed"),
        ("set enable_external_access = true", "SET is not allowed"),
        ("reset lock_configuration", "RESET is not allowed"),
        ("create temp table t as select 1", "CREATE is not allowed"),
        ("checkpoint", "CHECKPOINT is not allowed"),
        ("delete from raw_participants", "DELETE is not allowed"),
        ("select 1; select 2", "exactly one statement; found 2"),
        ("select 1; copy (select 1) to '{home}/x.csv'", "exactly one statement; found 2"),
    ],
)
def test_statements_other_than_one_query_are_refused(
    study: Path, tmp_path: Path, attack: str, message: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    result = run_cli("query", study, attack.format(home=home, study=study))
    assert result.returncode == 2, result.stdout
    assert message in result.stderr
    assert list(home.iterdir()) == []  # nothing written
    _still_a_study(study)


@pytest.mark.parametrize(
    "attack",
    [
        "select * from read_csv('/etc/passwd')",
        "select * from read_text('/etc/passwd')",
        "select * from read_blob('/etc/passwd')",
        "select * from glob('/etc/*')",
        "select * from read_csv('{folder}/roster.csv')",
        "select * from sniff_csv('/etc/passwd')",
    ],
)
def test_queries_cannot_read_files(study: Path, attack: str) -> None:
    result = run_cli("query", study, attack.format(folder=study.parent))
    assert result.returncode == 2, result.stdout
    assert "cannot read or write files outside the study" in result.stderr
    assert "root:" not in result.stdout


def test_python_read_only_sql_is_the_same_connection(study: Path, tmp_path: Path) -> None:
    target = tmp_path / "written.csv"
    with open_study(study, read_only=True) as opened:
        with pytest.raises(ReadOnlyQueryError, match="queries are read-only: COPY is not allowed"):
            opened.sql(f"copy (select 1 as x) to '{target}'")
        with pytest.raises(ReadOnlyQueryError, match="cannot read or write files"):
            opened.sql("select * from read_csv('/etc/passwd')")
        with pytest.raises(ReadOnlyQueryError, match="exactly one statement"):
            opened.sql("select 1; select 2")
        # Settings are locked even for code holding the connection itself.
        with pytest.raises(Exception, match="configuration has been locked"):
            opened.conn.execute("set enable_external_access = true")
        # What a reader needs still works: tables, views (which read only the study), params,
        # DESCRIBE/SHOW/SUMMARIZE, EXPLAIN, timezone-aware times.
        assert opened.sql("select count(*) as n from participants")["n"].item() == 2
        assert opened.sql("select * from participants where arm = $arm", {"arm": "retro"}).height
        assert "participants" in opened.sql("show tables")["name"].to_list()
        assert opened.sql("describe participants").height > 5
        assert opened.sql("explain select * from outcomes").height >= 1
        assert opened.sql("select current_setting('TimeZone') as tz")["tz"].item().endswith("UTC")
    assert not target.exists()


def test_read_write_study_sql_is_not_restricted(tmp_path: Path) -> None:
    """The owner's read-write handle (ingest, saving cohorts) keeps full SQL."""
    with open_study(tmp_path / "s.duckdb") as opened:
        opened.sql("create table scratch as select 1 as x")
        assert opened.sql("select x from scratch")["x"].item() == 1
