"""TCX: laps, trackpoints and extensions read in SI units; unsafe XML refused; ingest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.ingest.helpers import DEFAULT_ROSTER_ROWS, roster, write
from toolkit import open_study
from toolkit.errors import IngestError
from toolkit.ingest.tcx import read_tcx

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
    'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">\n'
)


def tcx(sport: str = "Running", laps: int = 2, seconds: int = 60) -> str:
    """A treadmill-style activity: per-second trackpoints with TPX speed, cadence and watts."""
    start = datetime(2025, 3, 5, 10, tzinfo=UTC)
    out = [HEAD, f'<Activities><Activity Sport="{sport}"><Id>{start:%Y-%m-%dT%H:%M:%SZ}</Id>']
    distance = 0.0
    for k in range(laps):
        lap_start = start + timedelta(seconds=k * seconds)
        out.append(
            f'<Lap StartTime="{lap_start:%Y-%m-%dT%H:%M:%SZ}"><TotalTimeSeconds>{seconds}'
            f"</TotalTimeSeconds><DistanceMeters>{seconds * 0.8}</DistanceMeters>"
            "<Intensity>Active</Intensity><TriggerMethod>Manual</TriggerMethod><Track>"
        )
        for s in range(seconds):
            moment = lap_start + timedelta(seconds=s)
            out.append(
                f"<Trackpoint><Time>{moment:%Y-%m-%dT%H:%M:%S.000Z}</Time>"
                f"<DistanceMeters>{distance:.1f}</DistanceMeters>"
                f"<HeartRateBpm><Value>{100 + s % 10}</Value></HeartRateBpm>"
                "<Extensions><ns3:TPX><ns3:Speed>0.8</ns3:Speed><ns3:RunCadence>52"
                "</ns3:RunCadence><ns3:Watts>40</ns3:Watts></ns3:TPX></Extensions></Trackpoint>"
            )
            distance += 0.8
        out.append("</Track><Extensions><ns3:LX><ns3:AvgSpeed>0.8</ns3:AvgSpeed></ns3:LX>"
                   "</Extensions></Lap>")  # fmt: skip
    out.append("<Creator><Name>Console X</Name></Creator></Activity></Activities>")
    out.append("</TrainingCenterDatabase>\n")
    return "".join(out)


def test_laps_trackpoints_and_extensions_are_read(tmp_path: Path) -> None:
    frames = read_tcx(write(tmp_path / "a.tcx", tcx()))
    assert frames["activity"].row(0, named=True)["creator"] == "Console X"
    laps = frames["lap"]
    assert laps["duration_s"].to_list() == [60.0, 60.0]
    assert laps["avg_speed_mps"].to_list() == [0.8, 0.8]
    points = frames["trackpoint"]
    assert points.height == 120
    first = points.row(0, named=True)
    assert first["time"] == datetime(2025, 3, 5, 10, tzinfo=UTC)
    assert (first["speed_mps"], first["run_cadence"], first["watts"]) == (0.8, 52.0, 40.0)
    assert first["heart_rate_bpm"] == 100.0


def test_entity_expansion_is_refused(tmp_path: Path) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        "<TrainingCenterDatabase>&lol2;</TrainingCenterDatabase>"
    )
    with pytest.raises(IngestError, match="DTD"):
        read_tcx(write(tmp_path / "bomb.tcx", bomb))


def test_broken_xml_names_its_line(tmp_path: Path) -> None:
    text = tcx().replace("</Lap>", "</Lapp>", 1)
    with pytest.raises(IngestError, match="not well-formed") as info:
        read_tcx(write(tmp_path / "broken.tcx", text))
    assert (info.value.position or "").startswith("line ")


def test_tcx_ingest_with_manifest_and_cadence_in_steps(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    roster(raw / "roster.csv", *DEFAULT_ROSTER_ROWS)
    write(raw / "P1" / "walk.tcx", tcx())
    write(raw / "P1" / "ride.tcx", tcx(sport="Biking"))
    write(raw / "P1" / "direction_log.csv", "file,lap,direction\nwalk.tcx,1,backward\n")
    path = tmp_path / "study.duckdb"
    with open_study(path) as study:
        report = study.ingest([raw], progress=False)
        files = {Path(f.path).name: f for f in report.files}
        assert files["walk.tcx"].status == "loaded", files["walk.tcx"].error
        assert files["walk.tcx"].notes["unknown_direction_segments"] == 1
        assert files["ride.tcx"].status == "rejected"
        assert "Biking" in (files["ride.tcx"].error or "")
        seg = study.sql("select segment, direction, distance_m, source, device from sessions")
        assert seg.sort("segment").rows() == [
            (0, "unknown", 48.0, "tcx", "Console X"),
            (1, "backward", 48.0, "tcx", "Console X"),
        ]
        cadence = study.sql("select distinct cadence_spm from treadmill_samples").item()
        assert cadence == 104.0
