"""Fitbit exports: known totals, UTC intraday times to local days, skipped files, rejections."""

from __future__ import annotations

import json
from datetime import UTC, date
from pathlib import Path

from tests.ingest.helpers import write
from toolkit import open_study


def fitbit_file(root: Path, name: str, entries: list[object]) -> Path:
    return write(root / "Physical Activity" / name, json.dumps(entries))


def ingest(study: Path, *paths: Path) -> list[tuple[str, str, str | None, dict[str, int]]]:
    with open_study(study) as opened:
        report = opened.ingest(list(paths))
    return [(Path(f.path).name, f.status, f.error, f.notes) for f in report.files]


def rows(study: Path, sql: str) -> list[tuple[object, ...]]:
    with open_study(study, read_only=True) as opened:
        return opened.sql(sql).rows()


def test_fitbit_files_give_known_daily_totals_in_the_participants_days(
    study: Path, tmp_path: Path
) -> None:
    # P2 lives in New York (UTC-5 in early March): 03:30 UTC on 6 March is 22:30 on 5 March.
    root = tmp_path / "takeout" / "P2" / "Fitbit"
    fitbit_file(
        root,
        "steps-2025-03-01.json",
        [
            {"dateTime": "03/06/25 03:30:00", "value": "120"},
            {"dateTime": "03/06/25 03:31:00", "value": "0"},
            {"dateTime": "03/06/25 15:00:00", "value": "95"},
            {"dateTime": "03/06/25 15:01:00", "value": "105"},
        ],
    )
    fitbit_file(
        root,
        "heart_rate-2025-03-06.json",
        [{"dateTime": "03/06/25 15:00:05", "value": {"bpm": 88, "confidence": 3}}],
    )
    fitbit_file(
        root,
        "resting_heart_rate-2025-03-01.json",
        [
            {
                "dateTime": "03/05/25 00:00:00",
                "value": {"date": "03/05/25", "value": 0, "error": 0},
            },
            {
                "dateTime": "03/06/25 00:00:00",
                "value": {"date": "03/06/25", "value": 61.5, "error": 6.2},
            },
        ],
    )
    fitbit_file(
        root,
        "very_active_minutes-2025-03-01.json",
        [{"dateTime": "03/06/25 00:00:00", "value": "14"}],
    )
    fitbit_file(
        root,
        "moderately_active_minutes-2025-03-01.json",
        [{"dateTime": "03/06/25 00:00:00", "value": "21"}],
    )
    write(root / "Sleep" / "sleep-2025-03-01.json", "[]")
    results = ingest(study, tmp_path / "takeout")
    assert {name: status for name, status, _, _ in results} == {
        "steps-2025-03-01.json": "loaded",
        "heart_rate-2025-03-06.json": "loaded",
        "resting_heart_rate-2025-03-01.json": "loaded",
        "very_active_minutes-2025-03-01.json": "loaded",
        "moderately_active_minutes-2025-03-01.json": "loaded",
        "sleep-2025-03-01.json": "loaded",
    }
    notes = {name: n for name, _, _, n in results}
    assert notes["resting_heart_rate-2025-03-01.json"] == {"fitbit_resting_hr_not_computed": 1}
    assert notes["sleep-2025-03-01.json"] == {"fitbit_files_skipped": 1}
    assert rows(
        study,
        "select day, steps, resting_hr, active_minutes, source from wearable_daily "
        "where participant_id = 'P2' order by day",
    ) == [
        (date(2025, 3, 5), 120, None, None, "Fitbit"),
        (date(2025, 3, 6), 200, 61.5, 35.0, "Fitbit"),
    ]
    # the resting heart rate is stored at New York midnight
    assert rows(
        study,
        "select cast(start_at as varchar) from raw_wearable_samples "
        "where metric = 'resting_heart_rate'",
    ) == [("2025-03-06 05:00:00+00",)]


def test_bad_fitbit_files_are_rejected_with_the_record(study: Path, tmp_path: Path) -> None:
    root = tmp_path / "in" / "P1" / "Fitbit"
    fitbit_file(
        root,
        "steps-2025-03-01.json",
        [
            {"dateTime": "03/06/25 10:00:00", "value": "40"},
            {"dateTime": "2025-03-06 10:01:00", "value": "40"},
        ],
    )
    fitbit_file(
        root,
        "heart_rate-2025-03-01.json",
        [{"dateTime": "03/06/25 10:00:00", "value": {"bpm": 400, "confidence": 1}}],
    )
    fitbit_file(
        root,
        "very_active_minutes-2025-03-01.json",
        [{"dateTime": "03/06/25 00:00:00", "value": "lots"}],
    )
    write(root / "Physical Activity" / "steps-2025-04-01.json", '[{"dateTime": "03/0')
    other = tmp_path / "in2" / "nobody" / "Fitbit"
    fitbit_file(other, "steps-2025-05-01.json", [{"dateTime": "05/06/25 10:00:00", "value": "4"}])
    results = {
        name: (status, error)
        for name, status, error, _ in ingest(study, tmp_path / "in", tmp_path / "in2")
    }
    # a sensor glitch is quarantined, not a reason to lose the file (see the quarantine test)
    assert results["heart_rate-2025-03-01.json"] == ("loaded", None)
    assert "is not like '03/01/24 08:15:00'" in str(results["steps-2025-03-01.json"][1])
    assert "not a Fitbit very_active_minutes entry" in str(
        results["very_active_minutes-2025-03-01.json"][1]
    )
    assert "not a readable JSON file" in str(results["steps-2025-04-01.json"][1])
    assert "cannot be linked to a participant" in str(results["steps-2025-05-01.json"][1])
    statuses = [status for status, _ in results.values()]
    assert statuses.count("rejected") == 4
    assert rows(study, "select count(*) from raw_wearable_samples") == [(0,)]
    assert rows(study, "select measure, value from quarantine") == [("heart_rate", 400.0)]


def test_watch_and_fitbit_in_the_same_hour_count_once(study: Path, tmp_path: Path) -> None:
    from datetime import datetime, timedelta

    from retrowalk_demo.apple_health_xml import Record, write_export_file

    utc = UTC
    start = datetime(2025, 3, 6, 10, tzinfo=utc)
    write_export_file(
        tmp_path / "x" / "P1" / "export.xml",
        [
            Record(
                "QuantityTypeIdentifierStepCount",
                "count",
                "500",
                start,
                start + timedelta(minutes=30),
            )
        ],
    )
    fitbit_file(
        tmp_path / "x" / "P1" / "Fitbit",
        "steps-2025-03-01.json",
        [
            {"dateTime": "03/06/25 10:05:00", "value": "90"},
            {"dateTime": "03/06/25 11:05:00", "value": "70"},
        ],
    )
    assert {s for _, s, _, _ in ingest(study, tmp_path / "x")} == {"loaded"}
    # 10:00 hour: both wrist devices; "Alice’s Apple Watch" sorts before "Fitbit". 11:00: Fitbit.
    assert rows(study, "select steps, source from wearable_daily") == [
        (570, "Alice’s Apple Watch, Fitbit")
    ]


def test_null_resting_days_a_bom_and_a_glitching_minute_keep_the_rest(
    study: Path, tmp_path: Path
) -> None:
    root = tmp_path / "in" / "P1" / "Fitbit"
    fitbit_file(
        root,
        "resting_heart_rate-2015-05-01.json",
        [
            # Fitbit's own "could not compute" day (issue 11, defect 1)
            {"dateTime": "05/17/15 00:00:00", "value": {"date": None, "value": 0.0, "error": 0.0}},
            {"dateTime": "05/18/15 00:00:00", "value": {"date": "05/18/15", "value": 58.2}},
        ],
    )
    steps = [
        {"dateTime": "05/18/15 10:00:00", "value": "96"},
        {"dateTime": "05/18/15 10:01:00", "value": "1021"},  # one implausible minute
        {"dateTime": "05/18/15 10:02:00", "value": "101"},
    ]
    path = root / "Physical Activity" / "steps-2015-05-01.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(steps).encode())  # byte-order mark
    results = {
        name: (status, error, notes)
        for name, status, error, notes in ingest(study, tmp_path / "in")
    }
    assert results["resting_heart_rate-2015-05-01.json"] == (
        "loaded",
        None,
        {"fitbit_resting_hr_not_computed": 1},
    )
    status, error, notes = results["steps-2015-05-01.json"]
    assert (status, error) == ("loaded", None)
    assert notes == {"quarantined_steps_per_minute": 1}
    assert rows(study, "select sum(value) from raw_wearable_samples where metric = 'steps'") == [
        (197.0,)
    ]
    [(measure, value, reason)] = rows(study, "select measure, value, reason from quarantine")
    assert (measure, value) == ("steps", 1021.0)
    assert "1021 steps/min is outside the plausible steps per minute (0 to 250" in reason


def test_google_takeout_fitbit_csvs_load_as_samples(study: Path, tmp_path: Path) -> None:
    root = tmp_path / "Takeout" / "P1" / "Fitbit" / "Global Export Data"
    write(
        root / "steps_2024-09-01.csv",
        "timestamp,steps\n2024-09-01T00:47:00Z,41\n2024-09-01T00:48:00Z,0\n"
        "2024-09-01T00:49:00Z,77\n",
    )
    write(
        root / "heart_rate_2024-09-27.csv",
        "timestamp,beats per minute\n2024-09-27T10:00:05Z,71\n2024-09-27T10:00:10Z,73\n",
    )
    write(
        root / "active_minutes_2023-07-01.csv",
        "timestamp,light,moderate,very\n2023-07-01T00:00:00Z,120,15,9\n",
    )
    results = {n: (s, e, notes) for n, s, e, notes in ingest(study, tmp_path / "Takeout")}
    assert {n: r[0] for n, r in results.items()} == dict.fromkeys(results, "loaded")
    assert results["steps_2024-09-01.csv"][2] == {"fitbit_zero_step_minutes": 1}
    assert results["active_minutes_2023-07-01.csv"][2] == {"fitbit_light_minutes_not_stored": 120}
    assert rows(
        study,
        "select metric, cast(start_at as varchar), value from raw_wearable_samples order by all",
    ) == [
        ("heart_rate", "2024-09-27 10:00:05+00", 71.0),
        ("heart_rate", "2024-09-27 10:00:10+00", 73.0),
        ("moderately_active_time", "2023-07-01 00:00:00+00", 900.0),
        ("steps", "2024-09-01 00:47:00+00", 41.0),
        ("steps", "2024-09-01 00:49:00+00", 77.0),
        ("very_active_time", "2023-07-01 00:00:00+00", 540.0),
    ]
