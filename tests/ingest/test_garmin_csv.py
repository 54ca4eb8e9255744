"""Garmin Connect activity CSV: workouts in local time, indoor flag, unit-less distance refused."""

from __future__ import annotations

from pathlib import Path

from tests.ingest.helpers import write
from toolkit import open_study

HEADER = '"Activity Type","Date","Favorite","Title","Distance","Calories","Time","Avg HR"\n'


def test_activities_become_workouts_in_the_participants_zone(study: Path, tmp_path: Path) -> None:
    write(
        tmp_path / "garmin" / "P1" / "Activities.csv",
        HEADER
        + '"Treadmill Running","2025-03-30 09:00:00","false","Gym","2.10","150","00:20:30","140"\n'
        + '"Walking","2025-03-29 18:15:00","false","Evening","3.05","200","45:10","110"\n'
        + '"Indoor Walking","2025-03-31 07:00:00","false","Rehab","1.00","80","00:15:00.5","100"\n',
    )
    with open_study(study) as opened:
        report = opened.ingest([tmp_path / "garmin"])
    assert report.exit_code == 0
    assert report.files[0].notes == {
        "duplicate_workouts_dropped": 0,
        "garmin_distance_unit_unknown": 3,
    }
    with open_study(study, read_only=True) as opened:
        got = opened.sql(
            "select cast(started_at as varchar), activity, indoor, duration_s, distance_m, day "
            "from wearable_workouts order by started_at"
        ).rows()
    # London: GMT until 01:00 UTC on 30 March 2025, then BST (UTC+1)
    assert [r[:5] for r in got] == [
        ("2025-03-29 18:15:00+00", "walking", None, 2710.0, None),
        ("2025-03-30 08:00:00+00", "treadmill_running", True, 1230.0, None),
        ("2025-03-31 06:00:00+00", "indoor_walking", True, 900.5, None),
    ]


def test_a_local_time_in_the_dst_gap_is_rejected(study: Path, tmp_path: Path) -> None:
    write(
        tmp_path / "g" / "P1_garmin.csv",
        HEADER + '"Walking","2025-03-30 01:30:00","false","x","1","1","00:10:00","1"\n',
    )
    with open_study(study) as opened:
        report = opened.ingest([tmp_path / "g"])
    assert report.files[0].status == "rejected"
    assert "does not exist or is ambiguous in Europe/London" in str(report.files[0].error)
    assert report.files[0].position == "line 2, column 'date'"


DANISH = "Aktivitetstype,Dato,Favorit,Titel,Distance,Kalorier,Tid,Gennemsnitlig puls,Maks. puls\n"


def test_a_danish_export_reads_through_its_vocabulary(study: Path, tmp_path: Path) -> None:
    """Garmin translates the header (issue 11, defect 8): the Danish vocabulary file reads it."""
    write(
        tmp_path / "garmin" / "P1" / "Activities.csv",
        DANISH + "Gang,2025-03-05 09:00:00,false,Morgen,2.10,150,00:20:30,110,131\n",
    )
    with open_study(study) as opened:
        [result] = opened.ingest([tmp_path / "garmin"]).files
        assert (result.status, result.format) == ("loaded", "garmin_csv"), result.error
        got = opened.sql("select activity, duration_s from wearable_workouts").rows()
    # the activity type stays as Garmin wrote it in Danish: never a guessed translation
    assert got == [("gang", 1230.0)]


def test_an_unknown_language_names_the_closest_vocabulary(study: Path, tmp_path: Path) -> None:
    # the Danish header with two columns in another language
    header = DANISH.replace("Aktivitetstype", "Aktivitetstyp").replace("Tid", "Tiden")
    write(
        tmp_path / "g" / "P1" / "Activities.csv", header + "Gang,2025-03-05 09:00:00,,,,,1:00,,\n"
    )
    with open_study(study) as opened:
        [result] = opened.ingest([tmp_path / "g"]).files
    assert result.status == "rejected"
    assert result.position == "line 1"
    assert "the closest is Danish, which lacks aktivitetstype, tid" in (result.error or "")
    assert "unmatched columns: aktivitetstyp, tiden" in (result.error or "")
