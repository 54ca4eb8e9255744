"""Generic treadmill sample files: segments derived from direction runs, whatever the row order."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from toolkit.ingest import treadmill_csv
from toolkit.ingest.core.model import ParseContext

HEADER = "participant_id,session_id,timestamp,speed_mps,incline_pct,direction\n"


def rows() -> list[str]:
    out = []
    for session, start in (("S1", 0), ("S2", 3600)):
        for second in range(6):
            direction = "forward" if second < 2 else "backward" if second < 5 else "forward"
            minute, sec = divmod(start + second, 60)
            hour, minute = divmod(minute, 60)
            stamp = f"2025-03-05T{10 + hour:02d}:{minute:02d}:{sec:02d}+00:00"
            out.append(f"P1,{session},{stamp},{0.5 + second / 10:.1f},2,{direction}\n")
    return out


def segments(path: Path) -> pl.DataFrame:
    parsed = treadmill_csv.parse(path, ParseContext(path.name, "x"))
    return parsed.tables["raw_treadmill_segments"]


def test_segments_are_the_direction_runs_with_durations_and_distances(tmp_path: Path) -> None:
    path = tmp_path / "ordered.csv"
    path.write_text(HEADER + "".join(rows()))
    got = segments(path).filter(pl.col("session_id") == "S1")
    assert got["direction"].to_list() == ["forward", "backward", "forward"]
    assert got["segment"].to_list() == [0, 1, 2]
    assert got["duration_s"].to_list() == [2.0, 3.0, 1.0]  # the last sample lasts the median 1 s
    assert got["distance_m"].round(6).to_list() == [1.1, 2.4, 1.0]


def test_row_order_does_not_change_the_segments(tmp_path: Path) -> None:
    ordered = tmp_path / "ordered.csv"
    ordered.write_text(HEADER + "".join(rows()))
    shuffled = tmp_path / "shuffled.csv"
    mixed = rows()
    mixed = mixed[7:] + mixed[3:7][::-1] + mixed[:3]
    shuffled.write_text(HEADER + "".join(mixed))
    assert segments(shuffled).equals(segments(ordered))
