"""Schema versions: an older file is upgraded in place, a newer one is refused."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from toolkit import open_study
from toolkit.db.migrate import available_migrations, current_version, latest_version, migrate
from toolkit.errors import StudyError


def test_an_older_study_file_is_upgraded_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    conn = duckdb.connect(str(path))
    assert migrate(conn, target=1) == 1
    conn.execute(
        "insert into raw_participants values ('P1', 'retro', 'knee_oa', 'female', 60, 28, "
        "'2025-01-06', 'leeds', 'Europe/London', 'backward', 45, 'abc')"
    )
    conn.close()

    with open_study(path) as study:
        assert current_version(study.conn) == latest_version() >= 2
        assert study.sql("select participant_id, age from participants").rows() == [("P1", 60.0)]
        assert study.sql("select count(*) from weekly_exposure").item() == 12
        assert study.sql("select count(*) from ref_instruments where instrument = 'nrs'").item()


def test_reading_an_old_file_read_only_explains_how_to_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    conn = duckdb.connect(str(path))
    migrate(conn, target=1)
    conn.close()
    with pytest.raises(StudyError, match=r"schema version 1.*open it once read-write"):
        open_study(path, read_only=True)


def test_a_file_from_a_newer_toolkit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    open_study(path).close()
    conn = duckdb.connect(str(path))
    conn.execute("insert into schema_version values (999, 'future', now())")
    conn.close()
    with pytest.raises(StudyError, match="newer retrowalk"):
        open_study(path)


def test_opening_twice_applies_nothing_new(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    open_study(path).close()
    with open_study(path) as study:
        rows = study.sql("select version from schema_version order by 1")["version"].to_list()
    assert rows == [m.version for m in available_migrations()]


def test_every_migration_has_its_own_version() -> None:
    # two branches each adding "0006_..." would apply only one of them to a study
    from toolkit.db.migrate import available_migrations

    versions = [m.version for m in available_migrations()]
    assert len(versions) == len(set(versions)), versions
    assert versions == list(range(1, len(versions) + 1))
