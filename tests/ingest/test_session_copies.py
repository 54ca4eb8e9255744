"""One walk recorded twice counts once (issue 11, item 15; view ``session_copies``).

A watch's FIT and Garmin Connect's TCX of it, or a watch's FIT and the treadmill console's CSV
of the same walk, both load (raw keeps what every export said), and the views count the walk
once, from the richer record, whatever order the files arrive in.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from retrowalk_demo.apple_health_xml import Workout
from retrowalk_demo.fit_encode import Lap, encode_activity
from tests.ingest.helpers import write
from tests.ingest.real.conftest import ingest_real
from tests.ingest.test_apple_health import export_zip
from toolkit import open_study
from toolkit.summaries import session_copies

START = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def _signals(seconds: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Lap]]:
    """Per-second speed, heart rate and cadence of laps ``seconds`` long, and the laps."""
    speed = np.concatenate([np.full(n, 0.6 + 0.1 * k) for k, n in enumerate(seconds)])
    heart = np.linspace(90, 120, len(speed))
    cadence = np.full(len(speed), 100.0)
    bounds = np.cumsum([0, *seconds])
    laps = [Lap(int(a), int(b)) for a, b in itertools.pairwise(bounds)]
    return speed, heart, cadence, laps


def _tcx(
    start: datetime, lap_rows: list[tuple[datetime, float, float]], points: list[tuple]
) -> str:
    """A Training Center XML activity as Garmin Connect exports one: laps (start, seconds,
    metres) and trackpoints (time, cumulative metres, heart rate, speed, steps/min)."""
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<TrainingCenterDatabase '
        'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
        'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">\n'
        f'<Activities><Activity Sport="Running"><Id>{start:{stamp}}</Id>\n'
    ]
    for lap_start, seconds, metres in lap_rows:
        lap_end = lap_start + timedelta(seconds=seconds)
        out.append(
            f'<Lap StartTime="{lap_start:{stamp}}"><TotalTimeSeconds>{seconds:g}'
            f"</TotalTimeSeconds><DistanceMeters>{metres:.2f}</DistanceMeters>"
            "<Intensity>Active</Intensity><TriggerMethod>Manual</TriggerMethod><Track>\n"
        )
        for when, distance, heart, speed, cadence in points:
            if lap_start <= when < lap_end:
                out.append(
                    f"<Trackpoint><Time>{when:{stamp}}</Time>"
                    f"<DistanceMeters>{distance:.2f}</DistanceMeters>"
                    f"<HeartRateBpm><Value>{round(heart)}</Value></HeartRateBpm>"
                    f"<Extensions><ns3:TPX><ns3:Speed>{speed:.3f}</ns3:Speed>"
                    f"<ns3:RunCadence>{round(cadence / 2)}</ns3:RunCadence></ns3:TPX>"
                    "</Extensions></Trackpoint>\n"
                )
        out.append("</Track></Lap>\n")
    out.append("<Creator><Name>Forerunner 945</Name></Creator></Activity></Activities>\n")
    out.append("</TrainingCenterDatabase>\n")
    return "".join(out)


def _pair(folder: Path, seconds: list[int], tcx_laps: list[int] | None = None) -> tuple[Path, Path]:
    """One walk written as a FIT and as its TCX (laps ``tcx_laps`` long, default the same), in
    folders ``fit/P1`` and ``tcx/P1`` of ``folder``; returns the two folders to ingest."""
    speed, heart, cadence, laps = _signals(seconds)
    fit = folder / "fit" / "P1" / "walk.fit"
    fit.parent.mkdir(parents=True, exist_ok=True)
    fit.write_bytes(encode_activity(START, speed, np.zeros(len(speed)), heart, cadence, laps))
    distance = np.concatenate([[0.0], np.cumsum(speed)])
    points = [
        (START + timedelta(seconds=t), distance[t], heart[t], speed[t], cadence[t])
        for t in range(len(speed))
    ]
    bounds = np.cumsum([0, *(tcx_laps or seconds)])
    lap_rows = [
        (START + timedelta(seconds=int(a)), float(b - a), distance[b] - distance[a])
        for a, b in itertools.pairwise(bounds)
    ]
    write(folder / "tcx" / "P1" / "walk.tcx", _tcx(START, lap_rows, points))
    return folder / "fit", folder / "tcx"


def _ingest(study: Path, *paths: Path) -> list[str]:
    with open_study(study) as opened:
        report = opened.ingest(list(paths), progress=False)
    return [f.status for f in report.files]


def _rows(study: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    with open_study(study, read_only=True) as opened:
        return opened.sql(sql, params).rows()


def _counted(study: Path) -> list[tuple[object, ...]]:
    return _rows(
        study,
        "select source, count(distinct session_id), count(*), sum(duration_s) from sessions "
        "group by source order by source",
    )


@pytest.mark.parametrize("tcx_first", [False, True])
def test_a_walk_exported_as_fit_and_tcx_counts_once_from_the_fit(
    study: Path, tmp_path: Path, tcx_first: bool
) -> None:
    fit, tcx = _pair(tmp_path, [300, 240, 300])
    order = [tcx, fit] if tcx_first else [fit, tcx]
    for path in order:  # one batch each: the outcome must not depend on arrival order
        assert _ingest(study, path) == ["loaded"]
    # raw keeps both exports
    assert _rows(study, "select source from raw_treadmill_sessions order by 1") == [
        ("fit",),
        ("tcx",),
    ]
    assert _counted(study) == [("fit", 1, 3, 840.0)]
    assert _rows(
        study, "select session_id, source, kept_source, rule, start_gap_s from session_copies"
    ) == [("tcx-20250310T090000Z", "tcx", "fit", "same recording", 0.0)]
    # the copy's samples are not counted either; the kept session's all are
    assert _rows(study, "select count(*), count(distinct session_id) from treadmill_samples") == [
        (840, 1)
    ]
    assert _rows(
        study,
        "select sessions, segments, samples from participant_data where participant_id = 'P1'",
    ) == [(1, 3, 840)]
    weekly = _rows(study, "select sum(sessions) from weekly_exposure where participant_id = 'P1'")
    assert weekly == [(1,)]
    with open_study(study, read_only=True) as opened:  # as the data-quality page lists it
        listed = session_copies(opened).select("session_id", "kept_source", "rule").rows()
    assert listed == [("tcx-20250310T090000Z", "fit", "same recording")]


def test_different_laps_are_still_one_walk_but_named_an_overlap(
    study: Path, tmp_path: Path
) -> None:
    fit, tcx = _pair(tmp_path, [300, 240, 300], tcx_laps=[540, 300])
    assert _ingest(study, fit, tcx) == ["loaded", "loaded"]
    assert _rows(study, "select source, rule from session_copies") == [("tcx", "overlap")]
    assert _counted(study) == [("fit", 1, 3, 840.0)]


def test_a_watch_fit_and_the_consoles_csv_of_one_walk_count_once_from_the_console(
    study: Path, tmp_path: Path
) -> None:
    fit, _ = _pair(tmp_path, [300, 240, 300])
    console = write(
        tmp_path / "console" / "segments.csv",
        "participant_id,session_id,started_at,duration_s,distance_m,direction\n"
        "P1,C1,2025-03-10T09:00:40Z,400,250,backward\n"  # the watch was started 40 s early
        "P1,C1,2025-03-10T09:07:20Z,400,260,forward\n",
    )
    assert _ingest(study, fit, console) == ["loaded", "loaded"]
    assert _rows(study, "select session_id, kept_session_id, rule from session_copies") == [
        ("fit-20250310T090000Z", "C1", "overlap")
    ]
    assert _counted(study) == [("treadmill_csv", 1, 2, 800.0)]


def test_sessions_that_only_touch_are_two_walks(study: Path, tmp_path: Path) -> None:
    fit, _ = _pair(tmp_path, [300])
    console = write(
        tmp_path / "console" / "segments.csv",
        "participant_id,session_id,started_at,duration_s,distance_m\n"
        "P1,C1,2025-03-10T09:04:50Z,600,400\n",  # 10 s of 300 overlap: a second walk
    )
    assert _ingest(study, fit, console) == ["loaded", "loaded"]
    assert _rows(study, "select count(*) from session_copies") == [(0,)]
    assert [r[:2] for r in _counted(study)] == [("fit", 1), ("treadmill_csv", 1)]


def test_a_real_garmin_fit_and_its_tcx_count_once(tmp_path: Path) -> None:
    """The real Fenix 5 walk (the shared folder ingested in place) and a TCX written from its
    laps and records, as Garmin Connect's 'Export to TCX' writes one: the FIT is counted, the
    TCX listed as its copy; the folder's other real sessions are untouched."""
    results, study = ingest_real(tmp_path, "fit")
    walk = results["garmin-fenix-5-walk.fit"].sha256
    assert results["garmin-fenix-5-walk.fit"].status == "loaded"
    before = _rows(study, "select count(distinct session_id) from sessions")
    laps = _rows(
        study,
        "select started_at, duration_s, distance_m from raw_treadmill_segments "
        "where source_sha256 = ? order by segment",
        [walk],
    )
    points = _rows(
        study,
        "select recorded_at, distance_m, heart_rate_bpm, speed_mps, cadence_spm "
        "from raw_treadmill_samples where source_sha256 = ? order by recorded_at",
        [walk],
    )
    [(start,)] = _rows(
        study, "select started_at from raw_treadmill_sessions where source_sha256 = ?", [walk]
    )
    lap_rows = [(s.astimezone(UTC), float(d), float(m or 0)) for s, d, m in laps]
    track = [
        (t.astimezone(UTC), float(d or 0), float(h or 0), float(v or 0), float(c or 0))
        for t, d, h, v, c in points
    ]
    write(tmp_path / "connect" / "fit" / "walk.tcx", _tcx(start.astimezone(UTC), lap_rows, track))
    assert _ingest(study, tmp_path / "connect") == ["loaded"]
    [(source, kept, rule)] = _rows(study, "select source, kept_source, rule from session_copies")
    assert (source, kept, rule) == ("tcx", "fit", "same recording")
    assert _rows(study, "select count(distinct session_id) from sessions") == before
    assert _rows(study, "select count(*) from raw_treadmill_sessions where source = 'tcx'") == [
        (1,)
    ]


GARMIN = '"Activity Type","Date","Favorite","Title","Distance","Calories","Time","Avg HR"\n'


def test_watch_workouts_from_two_sources_with_one_start_are_listed_once_per_source(
    study: Path, tmp_path: Path
) -> None:
    """The stated rule for workouts (wearable_workouts): an Apple Watch and a Garmin watch both
    started for one walk give one row per source, each naming it; workouts are listings, never
    counted as sessions, so nothing is counted twice and neither is dropped."""
    start = datetime(2025, 3, 29, 18, 15, tzinfo=UTC)
    export_zip(
        tmp_path / "apple" / "P1" / "export.zip",
        [Workout("Walking", start, start + timedelta(minutes=40), distance_km=3.0, indoor=False)],
        tmp_path,
    )
    write(
        tmp_path / "garmin" / "P1" / "Activities.csv",
        GARMIN + '"Walking","2025-03-29 18:15:00","false","Evening","3.05","200","45:10","110"\n',
    )
    with open_study(study) as opened:
        files = opened.ingest([tmp_path / "apple", tmp_path / "garmin"], progress=False).files
    assert {f.status for f in files} == {"loaded"}, [(f.path, f.error) for f in files]
    listed = _rows(
        study,
        "select started_at, duration_s, source from wearable_workouts "
        "where participant_id = 'P1' order by source",
    )
    assert [(r[0], r[1]) for r in listed] == [(start, 2400.0), (start, 2710.0)]
    assert len({r[2] for r in listed}) == 2  # one per source, each named
    assert _rows(study, "select count(*) from sessions") == [(0,)]
