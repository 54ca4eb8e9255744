"""Strict CSV value conversion: timestamps with offsets, local times, and exact error positions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import LINE
from toolkit.ingest.core.csv_text import as_float, as_int, as_utc_timestamp


def frame(column: str, values: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame({column: values, LINE: list(range(2, len(values) + 2))})


@pytest.mark.parametrize(
    "values",
    [
        # the fixed-width fast path: all values share the machine layout
        ["2025-03-05T10:00:00+01:00", "2025-03-05T10:00:00-05:30", None],
        # mixed layouts go through the general path
        ["2025-03-05T10:00:00+01:00", "2025-03-05T04:30:00.5Z", "2025-03-05 10:00:00 +0100"],
    ],
)
def test_offsets_are_applied(values: list[str | None]) -> None:
    got = as_utc_timestamp(frame("t", values), "t").to_list()
    expected = {
        "2025-03-05T10:00:00+01:00": datetime(2025, 3, 5, 9, 0, tzinfo=UTC),
        "2025-03-05T10:00:00-05:30": datetime(2025, 3, 5, 15, 30, tzinfo=UTC),
        "2025-03-05T04:30:00.5Z": datetime(2025, 3, 5, 4, 30, 0, 500000, tzinfo=UTC),
        "2025-03-05 10:00:00 +0100": datetime(2025, 3, 5, 9, 0, tzinfo=UTC),
        None: None,
    }
    assert got == [expected[v] for v in values]


def test_impossible_time_in_the_fast_layout_is_reported_not_shifted() -> None:
    bad = ["2025-03-05T10:00:00+01:00", "2025-02-30T10:00:00+01:00"]
    with pytest.raises(IngestError, match="'2025-02-30T10:00:00\\+01:00' cannot be read") as info:
        as_utc_timestamp(frame("t", bad), "t")
    assert info.value.position == "line 3, column 't'"


def test_local_time_without_zone_is_refused_with_a_hint() -> None:
    with pytest.raises(IngestError, match="no UTC offset"):
        as_utc_timestamp(frame("t", ["2025-03-05 10:00:00"]), "t")


def test_local_time_with_zone_uses_that_zone_across_dst() -> None:
    zones = pl.Series(["Europe/London", "Europe/London"])
    got = as_utc_timestamp(
        frame("t", ["2025-03-29 12:00:00", "2025-03-31 12:00:00"]), "t", zones=zones
    )
    assert [v.hour for v in got.to_list()] == [12, 11]  # GMT, then BST


def test_numbers_are_never_coerced() -> None:
    with pytest.raises(IngestError, match="'1,5' is not a number") as info:
        as_float(frame("x", ["1.5", "1,5"]), "x")
    assert info.value.position == "line 3, column 'x'"
    with pytest.raises(IngestError, match=r"'2\.5' is not a whole number"):
        as_int(frame("n", ["2", "2.5"]), "n")


def test_duplicate_samples_are_rejected_at_the_later_line(tmp_path: Path) -> None:
    from toolkit.ingest import treadmill_csv
    from toolkit.ingest.core.model import ParseContext

    path = tmp_path / "s.csv"
    path.write_text(
        "participant_id,session_id,timestamp,speed_mps\n"
        "P1,S1,2025-03-05T10:00:01+00:00,1\n"
        "P1,S1,2025-03-05T10:00:00+00:00,1\n"
        "P1,S1,2025-03-05T10:00:01+00:00,1\n"
    )
    with pytest.raises(IngestError, match="two samples at") as info:
        treadmill_csv.parse(path, ParseContext("s.csv", "x"))
    assert info.value.position == "line 4, column 'timestamp'"
