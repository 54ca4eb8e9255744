"""The demo's device exports: FIT and TCX files that carry the same sessions as the simulator."""

from __future__ import annotations

from pathlib import Path

from garmin_fit_sdk import Decoder, Stream

from retrowalk_demo.model import DemoModel
from retrowalk_demo.simulate import simulate
from retrowalk_demo.write_devices import split_for_devices, write_devices
from toolkit import open_study


def test_device_files_split_sessions_without_loss(tmp_path: Path) -> None:
    people = simulate(40, 3, DemoModel())
    on_csv, on_devices = split_for_devices(people)
    assert len(on_devices) == 2
    before = {p.participant_id: len(p.sessions) for p in people}
    after: dict[str, int] = {}
    for p in on_csv + on_devices:
        after[p.participant_id] = after.get(p.participant_id, 0) + len(p.sessions)
    assert after == before
    paths = write_devices(tmp_path, on_devices, 3)
    fit_files = sorted(p for p in paths if p.suffix == ".fit")
    assert fit_files and any(p.suffix == ".tcx" for p in paths)
    # the official SDK reads our FIT files: one lap per simulated segment
    first = next(s for s in on_devices[0].sessions if f"{s.session_id}.fit" == fit_files[0].name)
    messages, errors = Decoder(Stream.from_file(str(fit_files[0]))).read()
    assert errors == []
    assert len(messages["lap_mesgs"]) == len(first.segments)
    assert messages["session_mesgs"][0]["sub_sport"] == "treadmill"
    elapsed = sum(m["total_elapsed_time"] for m in messages["lap_mesgs"])
    assert abs(elapsed - sum(s.duration_s for s in first.segments)) <= len(first.segments) * 0.5


def test_demo_study_holds_device_sessions_with_directions(demo_study: Path) -> None:
    with open_study(demo_study, read_only=True) as study:
        by_source = dict(
            study.sql(
                "select source, count(distinct session_id) from sessions "
                "where source in ('fit', 'tcx') group by 1"
            ).rows()
        )
        labelled = study.sql(
            "select count(*) from sessions where source in ('fit', 'tcx') "
            "and direction = 'backward'"
        ).item()
        rejected = study.sql(
            "select count(*) from ingest_log where status = 'rejected' "
            "and format in ('fit', 'tcx', 'direction_manifest')"
        ).item()
    assert by_source == {"fit": 8, "tcx": 8}
    assert labelled > 0 and rejected == 0
