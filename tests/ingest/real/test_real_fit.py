"""Every real FIT file in ``../shared/fixtures/real/fit`` ingested: its expected outcome, with
and without ``--salvage``; records checked against the SDK and the reference dumps beside them
(record-level values are compared in full in ``tests/ingest/test_fit.py``)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from garmin_fit_sdk import Decoder, Stream

from tests.conftest import real_fixtures
from tests.ingest.real.conftest import Ingested, assert_not_exports_rejected, rows
from toolkit.errors import IngestError
from toolkit.ingest.fit import read_fit

#: file -> expected outcome of ``retrowalk ingest`` (README of the folder: what each file is)
OUTCOMES = {
    "Activity.fit": "loaded",
    "garmin-fenix-5-run.fit": "loaded",
    "garmin-fenix-5-walk.fit": "loaded",
    "compressed-speed-distance.fit": "loaded",
    "activity-unexpected-eof.fit": "rejected: truncated",
    "activity-filecrc.fit": "rejected: checksum",
    "MonitoringFile.fit": "rejected: not an activity recording",
    "DeveloperData.fit": "rejected: no start time",
    "garmin-edge-500-activity.fit": "rejected: cycling",
    "sample-activity-indoor-trainer.fit": "rejected: cycling",
    "event_timestamp.fit": "rejected: swimming",
    "20170518-191602-1740899583.fit": "rejected: indoor_rowing",
}
DAMAGED = ("activity-unexpected-eof.fit", "activity-filecrc.fit")


@pytest.fixture(scope="module")
def fit(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    from tests.ingest.real.conftest import ingest_real

    return ingest_real(tmp_path_factory.mktemp("fit"), "fit")


def test_every_fit_file_has_its_expected_outcome(fit: Ingested) -> None:
    results, _ = fit
    assert {p.name for p in real_fixtures("real", "fit").glob("*.fit")} == set(OUTCOMES)
    for name, expected in OUTCOMES.items():
        result = results[name]
        if expected == "loaded":
            assert result.status == "loaded", (name, result.error)
        else:
            assert result.status == "rejected", name
            assert expected.removeprefix("rejected: ") in (result.error or ""), (name, result)
    assert_not_exports_rejected(results)
    for name, result in results.items():  # the reference dumps are not exports either
        if name.endswith("-records.csv"):
            assert result.status == "rejected" and "not recognised" in (result.error or "")


@pytest.mark.parametrize("name", ["garmin-fenix-5-run", "garmin-fenix-5-walk"])
def test_loaded_samples_are_the_reference_dumps_records(fit: Ingested, name: str) -> None:
    _, study = fit
    with real_fixtures("real", "fit", f"{name}-records.csv").open(newline="") as handle:
        reference = list(csv.DictReader(handle))
    frames = read_fit(real_fixtures("real", "fit", f"{name}.fit"))
    start = frames["session"]["start_time"][0]
    got = rows(
        study,
        "select speed_mps, heart_rate_bpm from treadmill_samples where session_id = ? "
        "order by recorded_at",
        [f"fit-{start:%Y%m%dT%H%M%SZ}"],
    )
    assert len(got) == len(reference)
    for (speed, heart), ref in zip(got, reference, strict=True):
        assert speed == pytest.approx(float(ref["speed"]))
        assert heart == float(ref["heart_rate"])


def test_damaged_files_say_how_many_records_salvage_would_keep(fit: Ingested) -> None:
    results, _ = fit
    for name in DAMAGED:
        assert "`retrowalk ingest --salvage` would keep the 14 complete record(s)" in (
            results[name].error or ""
        ), name


def test_salvage_keeps_the_complete_records_and_logs_the_byte(
    real_ingest: Callable[..., Ingested],
) -> None:
    results, study = real_ingest("fit", salvage=True)
    eof, crc = results["activity-unexpected-eof.fit"], results["activity-filecrc.fit"]
    assert (eof.status, eof.position) == ("salvaged", "message 31 (byte 751)")
    assert "truncated" in (eof.error or "")
    assert (crc.status, crc.position) == ("salvaged", "byte 769")
    # both hold the same 14 records as the intact Activity.fit (the same session): the first
    # salvaged file adds nothing new, and the ingest log says what was salvaged and where
    assert results["Activity.fit"].status == "loaded"
    logged = rows(
        study,
        "select status, error_position from ingest_log where status = 'salvaged' order by 2",
    )
    assert logged == [("salvaged", "byte 769"), ("salvaged", "message 31 (byte 751)")]
    [(rows_json,)] = rows(
        study, "select cast(rows as varchar) from ingest_log where error_position = 'byte 769'"
    )
    assert '"raw_treadmill_samples"' in rows_json  # rows are logged for a salvaged file
    # intact files are untouched by --salvage
    assert results["garmin-fenix-5-walk.fit"].status == "loaded"


def test_read_fit_salvage_returns_the_messages_before_the_damage() -> None:
    path = real_fixtures("real", "fit", "activity-unexpected-eof.fit")
    with pytest.raises(IngestError, match="truncated"):
        read_fit(path)
    frames = read_fit(path, salvage=True)
    intact = read_fit(real_fixtures("real", "fit", "Activity.fit"))
    assert frames["record"].equals(intact["record"])
    assert "activity" not in frames  # the last message was cut off


@pytest.mark.slow
def test_hr_messages_are_merged_into_records_as_the_sdk_does() -> None:
    """HRM strap memory (``hr`` messages) in a swim: the SDK's default merge."""
    path = real_fixtures("real", "fit", "event_timestamp.fit")
    messages, errors = Decoder(Stream.from_file(str(path))).read()  # merge_heart_rates=True
    assert errors == []
    expected = [m.get("heart_rate") for m in messages["record_mesgs"]]
    records = read_fit(path)["record"]
    assert sum(e is not None for e in expected) > 4000
    assert records["heart_rate"].to_list() == expected
    # the unmerged value is kept: this watch recorded none itself
    assert records["heart_rate_record"].null_count() == records.height
    unmerged = read_fit(path, merge_heart_rates=False)["record"]
    assert "heart_rate" not in unmerged.columns


@pytest.mark.slow
def test_the_cli_salvage_flag(tmp_path: Path) -> None:
    import json

    from tests.conftest import run_cli

    folder = tmp_path / "raw"
    (folder / "P1").mkdir(parents=True)
    cut = real_fixtures("real", "fit", "activity-unexpected-eof.fit")
    (folder / "P1" / "cut.fit").write_bytes(cut.read_bytes())
    (folder / "roster.csv").write_text(
        "participant_id,arm,condition,enrolled_on\nP1,retro,knee_oa,2011-01-01\n"
    )
    without = run_cli("ingest", tmp_path / "a.duckdb", folder, "--json")
    assert without.returncode == 1
    assert "--salvage` would keep the 14" in without.stdout
    salvaged = run_cli("ingest", tmp_path / "b.duckdb", folder, "--json", "--salvage")
    assert salvaged.returncode == 0, salvaged.stdout + salvaged.stderr
    statuses = {Path(f["path"]).name: f["status"] for f in json.loads(salvaged.stdout)}
    assert statuses["cut.fit"] == "salvaged"
