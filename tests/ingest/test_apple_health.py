"""Apple Health exports: known totals, time zones, source preference, safety, no partial loads."""

from __future__ import annotations

import time
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from retrowalk_demo.apple_health_xml import PHONE, Record, Workout, write_export_file
from tests.ingest.apple_health_lxml import scan_export_lxml
from toolkit import open_study
from toolkit.errors import IngestError
from toolkit.ingest.apple_health.export import parse, read_export, to_parsed
from toolkit.ingest.apple_health.records import METRICS
from toolkit.ingest.apple_health.scan import _fast_pattern, scan_export
from toolkit.ingest.core.model import ParseContext

UK_WINTER = timezone(timedelta(0))
UK_SUMMER = timezone(timedelta(hours=1))
PARIS = timezone(timedelta(hours=2))
STEPS = "QuantityTypeIdentifierStepCount"


def at(day: int, hour: int, minute: int = 0, tz: timezone = UK_WINTER, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=tz)


def steps(start: datetime, minutes: int, count: int, phone: bool = False) -> Record:
    end = start + timedelta(minutes=minutes)
    if phone:
        return Record(STEPS, "count", str(count), start, end, source="Alice’s iPhone", device=PHONE)
    return Record(STEPS, "count", str(count), start, end)


def day_of_records() -> list[Record | Workout]:
    """6 March 2025 (London, UTC+0): watch and phone overlap 09:00-10:00; phone alone 14:00."""
    return [
        steps(at(6, 9), 10, 400),
        steps(at(6, 9, 30), 10, 600),
        steps(at(6, 9), 60, 1100, phone=True),  # same hour as the watch: ignored
        steps(at(6, 14), 30, 250, phone=True),  # phone alone this hour: counted
        Record(
            "QuantityTypeIdentifierWalkingSpeed",
            "km/hr",
            "4.5",
            at(6, 9),
            at(6, 10),
            source="Alice’s iPhone",
            device=PHONE,
        ),
        Record(
            "QuantityTypeIdentifierWalkingSpeed",
            "km/hr",
            "3.6",
            at(6, 14),
            at(6, 15),
            source="Alice’s iPhone",
            device=PHONE,
        ),
        Record(
            "QuantityTypeIdentifierWalkingAsymmetryPercentage",
            "%",
            "0.05",
            at(6, 9),
            at(6, 10),
            source="Alice’s iPhone",
            device=PHONE,
        ),
        Record("QuantityTypeIdentifierRestingHeartRate", "count/min", "58", at(6, 7), at(6, 7)),
        Record("QuantityTypeIdentifierAppleExerciseTime", "min", "12", at(6, 9), at(6, 9, 12)),
        Record(
            "QuantityTypeIdentifierDistanceWalkingRunning", "km", "0.75", at(6, 9), at(6, 9, 10)
        ),
        Record("QuantityTypeIdentifierActiveEnergyBurned", "kcal", "30", at(6, 9), at(6, 10)),
        Workout("Walking", at(6, 9), at(6, 9, 20), distance_km=1.2, indoor=True, events=2),
        Workout("Walking", at(6, 17), at(6, 17, 30), distance_km=2.0, indoor=False),
    ]


def export_zip(path: Path, elements: list[Record | Workout], tmp: Path) -> Path:
    """An ``export.zip`` laid out as the Health app writes it, with companion files."""
    xml = write_export_file(tmp / "build" / "export.xml", elements)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(xml, "apple_health_export/export.xml")
        zf.writestr("apple_health_export/export_cda.xml", "<ClinicalDocument/>")
        zf.writestr("apple_health_export/workout-routes/route_2025-03-06.gpx", "<gpx/>")
        zf.writestr("apple_health_export/electrocardiograms/ecg_2025-03-06.csv", "Name,x\n")
    return path


def ingest(study: Path, *paths: Path) -> list[tuple[str, str, str | None]]:
    with open_study(study) as opened:
        report = opened.ingest(list(paths))
    return [(Path(f.path.split("!")[-1]).name, f.status, f.error) for f in report.files]


def query(study: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    with open_study(study, read_only=True) as opened:
        return opened.sql(sql, params).rows()


def test_export_zip_loads_known_daily_totals_and_skips_companion_files(
    study: Path, tmp_path: Path
) -> None:
    archive = export_zip(tmp_path / "exports" / "P1" / "export.zip", day_of_records(), tmp_path)
    results = ingest(study, tmp_path / "exports")
    assert {name: status for name, status, _ in results} == {
        "export.xml": "loaded",
        "export_cda.xml": "loaded",
        "route_2025-03-06.gpx": "loaded",
        "ecg_2025-03-06.csv": "loaded",
    }
    day = query(
        study,
        "select day, steps, walking_speed_mps, asymmetry_pct, resting_hr, active_minutes, source "
        "from wearable_daily where participant_id = 'P1'",
    )
    # watch 400 + 600 (09:00 hour; the phone's 1100 ignored) + phone 250 alone at 14:00
    assert day == [
        (
            datetime(2025, 3, 6).date(),
            1250,
            pytest.approx((4.5 + 3.6) / 2 / 3.6),
            5.0,
            58.0,
            12.0,
            "Alice’s Apple Watch, Alice’s iPhone",
        )
    ]
    workouts = query(
        study,
        "select activity, indoor, duration_s, distance_m from wearable_workouts "
        "order by started_at",
    )
    assert workouts == [("walking", True, 1200.0, 1200.0), ("walking", False, 1800.0, 2000.0)]
    assert query(
        study, "select sum(value) from raw_wearable_samples where metric = 'distance'"
    ) == [(750.0,)]
    assert archive.exists()


def test_a_newer_overlapping_export_adds_only_new_samples(study: Path, tmp_path: Path) -> None:
    first = day_of_records()
    newer = [*first, steps(at(7, 8), 10, 900)]
    write_export_file(tmp_path / "a" / "P1" / "export.xml", first)
    write_export_file(tmp_path / "b" / "P1" / "export.xml", newer)
    assert [s for _, s, _ in ingest(study, tmp_path / "a")] == ["loaded"]
    with open_study(study) as opened:
        report = opened.ingest([tmp_path / "b"])
    assert report.files[0].rows["raw_wearable_samples"] == 1
    assert report.files[0].notes["raw_wearable_samples_rows_already_present"] == 10
    assert query(study, "select day, steps from wearable_daily order by day") == [
        (datetime(2025, 3, 6).date(), 1250),
        (datetime(2025, 3, 7).date(), 900),
    ]


def test_days_follow_the_participants_zone_across_dst_and_offsets(
    study: Path, tmp_path: Path
) -> None:
    # London springs forward at 01:00 UTC on 30 March 2025 and falls back on 26 October.
    records = [
        steps(at(29, 23, 30, UK_WINTER), 10, 100),  # 29 March local
        steps(at(30, 0, 30, UK_WINTER), 10, 200),  # 30 March, before the change
        steps(at(30, 2, 30, UK_SUMMER), 10, 300),  # 30 March, after (01:30 UTC)
        steps(at(30, 23, 30, UK_SUMMER), 10, 400),  # 30 March 22:30 UTC
        steps(at(31, 0, 30, UK_SUMMER), 10, 500),  # 31 March local (30 March 23:30 UTC)
        # written in Paris while travelling: 31 March 01:45 +0200 is 00:45 London (at 01:30
        # it would be the instant above with another value: a conflict, rejected)
        steps(at(31, 1, 45, PARIS), 10, 600),
        # the repeated hour in autumn: 01:30 BST and 01:30 GMT are two instants, one day
        steps(at(26, 1, 30, UK_SUMMER, month=10), 10, 700),
        steps(at(26, 1, 30, UK_WINTER, month=10), 10, 800),
    ]
    write_export_file(tmp_path / "x" / "P1_apple" / "export.xml", records)
    assert [s for _, s, _ in ingest(study, tmp_path / "x")] == ["loaded"]
    got = dict(query(study, "select day, steps from wearable_daily order by day"))
    assert {str(k): v for k, v in got.items()} == {
        "2025-03-29": 100,
        "2025-03-30": 900,
        "2025-03-31": 1100,
        "2025-10-26": 1500,
    }


def test_unlinkable_and_ambiguous_exports_are_rejected(study: Path, tmp_path: Path) -> None:
    write_export_file(tmp_path / "x" / "someone" / "export.xml", day_of_records())
    write_export_file(tmp_path / "y" / "P1" / "P2" / "export.xml", day_of_records())
    results = ingest(study, tmp_path / "x", tmp_path / "y")
    assert [s for _, s, _ in results] == ["rejected", "rejected"]
    assert "cannot be linked to a participant" in str(results[0][2])
    assert "several participants (P1, P2)" in str(results[1][2])
    assert query(study, "select count(*) from raw_wearable_samples") == [(0,)]


TRICKY = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!ELEMENT HealthData ANY>
<!ATTLIST Record type CDATA #REQUIRED>
]>
<HealthData locale="en_GB">
 <!-- a comment with a fake <Record type="HKQuantityTypeIdentifierStepCount" value="999"/> -->
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Bob&amp;Co &#8217;s &quot;Watch&quot;" unit="count" startDate="2025-03-06 10:00:00 +0000" endDate="2025-03-06 10:05:00 +0000" value="10"/>
 <Record value='20' unit='count' endDate='2025-03-06 10:15:00 +0000' startDate='2025-03-06 10:10:00 +0000' sourceName='It&apos;s "mine"' type='HKQuantityTypeIdentifierStepCount'/>
 <Record
    type="HKQuantityTypeIdentifierStepCount"
    sourceName="a>b	tab
line" device="x" unit="count"
    startDate="2025-03-06 10:20:00 +0000" endDate="2025-03-06 10:25:00 +0000" value="30" />
 <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="W" unit="count/min" startDate="2025-03-06 10:20:00 +0000" endDate="2025-03-06 10:20:00 +0000" value="61">
  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="1"/>
 </Record>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="tab	here" unit="count" startDate="2025-03-06 10:30:00 +0000" endDate="2025-03-06 10:35:00 +0000" value="35"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="W" unit="count" startDate="2025-03-06 11:00:00 +0000" endDate="2025-03-06 11:05:00 +0000" value="40"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="W" unit="count" startDate="2025-03-06 11:00:00 +0000" endDate="2025-03-06 11:05:00 +0000" value="40"  />
 <![CDATA[ <Record type="HKQuantityTypeIdentifierStepCount" value="5000"/> ]]>
 <Workout workoutActivityType="HKWorkoutActivityTypeWalking" duration="20" durationUnit="min" sourceName="W" startDate="2025-03-06 12:00:00 +0000" endDate="2025-03-06 12:20:00 +0000" totalDistance="1.5" totalDistanceUnit="km">
  <MetadataEntry key="HKIndoorWorkout" value="1"/>
 </Workout>
 <Workout workoutActivityType="HKWorkoutActivityTypeRunning" sourceName="W" startDate="2025-03-06 13:00:00 +0000" endDate="2025-03-06 13:10:00 +0000"/>
</HealthData>
"""  # noqa: E501


@pytest.mark.parametrize("block", [37, 211, 4096])
def test_the_scanner_matches_lxml_on_unusual_but_valid_xml(tmp_path: Path, block: int) -> None:
    path = tmp_path / "export.xml"
    path.write_text(TRICKY, encoding="utf-8")
    fast = read_export(path, "P1", block_bytes=block)
    reference = to_parsed(scan_export_lxml(path, METRICS), "P1")
    for name, frame in fast.tables.items():
        assert frame.equals(reference.tables[name]), name
    assert fast.notes == reference.notes
    assert fast.notes["duplicate_samples_dropped"] == 1
    samples = fast.tables["raw_wearable_samples"]
    assert samples.filter(samples["metric"] == "steps")["value"].to_list() == [10, 20, 30, 35, 40]
    assert samples["source"].to_list()[:3] == ['Bob&Co ’s "Watch"', 'It\'s "mine"', "a>b tab line"]
    assert fast.tables["raw_wearable_workouts"]["indoor"].to_list() == [True, None]


APPLE_ORDER = """<?xml version="1.0" encoding="UTF-8"?>
<HealthData locale="en_GB">
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="tab	here and
a line break" sourceVersion="1" device="&lt;&lt;HKDevice: 0x1&gt;, name:iPhone, hardware:iPhone12,1, software:17.0&gt;" unit="count" creationDate="2025-03-06 10:06:00 +0000" startDate="2025-03-06 10:00:00 +0000" endDate="2025-03-06 10:05:00 +0000" value="10"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="kept&#10;break" unit="count" startDate="2025-03-06 10:10:00 +0000" endDate="2025-03-06 10:15:00 +0000" value="20"/>
 <Record type="HKQuantityTypeIdentifierActiveEnergyBurned" sourceName="W" unit="kcal" startDate="2025-03-06 10:10:00 +0000" endDate="2025-03-06 10:15:00 +0000" value="1.5"/>
 OTHER
</HealthData>
"""  # noqa: E501


@pytest.mark.parametrize(
    ("other", "steps"),
    [
        ("", 30),  # every record in Apple's order: the fast path reads the block
        # a record whose type is not its first attribute: the general path reads the block
        (
            '<Record sourceName="S" type="HKQuantityTypeIdentifierStepCount" unit="count" '
            'startDate="2025-03-06 11:00:00 +0000" endDate="2025-03-06 11:05:00 +0000" '
            'value="5"/>',
            35,
        ),
        # a kept record with its type first but other attributes out of Apple's order
        (
            '<Record type="HKQuantityTypeIdentifierStepCount" value="6" sourceName="S" '
            'unit="count" startDate="2025-03-06 12:00:00 +0000" '
            'endDate="2025-03-06 12:05:00 +0000"/>',
            36,
        ),
    ],
)
def test_both_scanner_paths_normalise_whitespace_and_find_every_record(
    tmp_path: Path, other: str, steps: int
) -> None:
    path = tmp_path / "export.xml"
    path.write_text(APPLE_ORDER.replace("OTHER", other), encoding="utf-8")
    fast = read_export(path, "P1")
    reference = to_parsed(scan_export_lxml(path, METRICS), "P1")
    for name, frame in fast.tables.items():
        assert frame.equals(reference.tables[name]), name
    assert fast.notes == reference.notes
    assert fast.notes["apple_health_records_read"] == 3 + bool(other)
    samples = fast.tables["raw_wearable_samples"]
    assert samples["source"].to_list()[:2] == ["tab here and a line break", "kept\nbreak"]
    assert samples["value"].sum() == steps


def test_the_fast_pattern_reads_records_in_apple_order() -> None:
    # the general path gives the same rows, so only this shows the fast path is really taken
    block = APPLE_ORDER.replace("OTHER", "").encode("utf-8")
    rows = _fast_pattern(tuple(sorted(METRICS))).findall(block)
    assert [row[-1] for row in rows] == [b"/>", b"/>"]
    assert rows[0][0].startswith(b' type="HKQuantityTypeIdentifierStepCount" sourceName="tab')
    assert rows[0][0].endswith(b' unit="count"')
    assert rows[0][1:4] == (b"2025-03-06 10:00:00 +0000", b"2025-03-06 10:05:00 +0000", b"10")


def test_the_scanner_matches_lxml_on_a_realistic_export(tmp_path: Path) -> None:
    from retrowalk_demo.apple_health_xml import synthetic_elements

    path = write_export_file(
        tmp_path / "export.xml", synthetic_elements(3_000_000, 5, at(1, 0, tz=UK_WINTER))
    )
    fast = read_export(path, "P1", block_bytes=100_000)
    reference = to_parsed(scan_export_lxml(path, METRICS), "P1")
    assert fast.tables["raw_wearable_samples"].height > 3000
    assert fast.tables["raw_wearable_workouts"].height > 0
    for name, frame in fast.tables.items():
        assert frame.equals(reference.tables[name]), name
    assert fast.notes == reference.notes


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE HealthData [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<HealthData locale="en_GB">
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="&lol9;" unit="count" startDate="2025-03-06 10:00:00 +0000" endDate="2025-03-06 10:05:00 +0000" value="10"/>
</HealthData>
"""  # noqa: E501


@pytest.mark.parametrize("decoy", ["", "<!-- <HealthData locale='x'> -->\n"])
def test_billion_laughs_is_refused_without_expanding(
    study: Path, tmp_path: Path, decoy: str
) -> None:
    path = tmp_path / "P1" / "export.xml"
    path.parent.mkdir()
    path.write_text(BILLION_LAUGHS.replace("<!DOCTYPE", decoy + "<!DOCTYPE"), encoding="utf-8")
    started = time.perf_counter()
    results = ingest(study, path.parent)
    assert time.perf_counter() - started < 5
    assert results[0][1] == "rejected"
    assert "declares entities" in str(results[0][2])
    assert query(study, "select count(*) from raw_wearable_samples") == [(0,)]


def test_an_undeclared_entity_in_a_value_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_text(
        BILLION_LAUGHS.split("<HealthData")[0].split("<!DOCTYPE")[0]
        + "<HealthData"
        + BILLION_LAUGHS.split("<HealthData")[1],
        encoding="utf-8",
    )
    with pytest.raises(IngestError, match="entity reference &lol9; is not expanded"):
        scan_export(path, METRICS)


def test_a_truncated_export_loads_nothing(study: Path, tmp_path: Path) -> None:
    from retrowalk_demo.apple_health_xml import synthetic_elements

    full = write_export_file(
        tmp_path / "full" / "export.xml", synthetic_elements(400_000, 3, at(1, 0))
    )
    data = full.read_bytes()
    cut = tmp_path / "cut" / "P1" / "export.xml"
    cut.parent.mkdir(parents=True)
    cut.write_bytes(data[: len(data) * 2 // 3])
    results = ingest(study, tmp_path / "cut")
    assert results[0][1] == "rejected"
    assert "truncated" in str(results[0][2])
    assert query(study, "select count(*) from raw_wearable_samples") == [(0,)]


def test_a_bad_value_late_in_the_file_loads_nothing(study: Path, tmp_path: Path) -> None:
    records = [steps(at(1, 0) + timedelta(minutes=5 * i), 5, 10) for i in range(3000)]
    # 170 %: out of the reader's range (asymmetry, bounded by a plausibility rule, is quarantined)
    support = "QuantityTypeIdentifierWalkingDoubleSupportPercentage"
    records.append(Record(support, "%", "1.7", at(20, 9), at(20, 10)))
    write_export_file(tmp_path / "x" / "P1" / "export.xml", records)
    with open_study(study) as opened:
        report = opened.ingest([tmp_path / "x"])
    result = report.files[0]
    assert result.status == "rejected"
    assert "outside the plausible range" in str(result.error)
    assert "WalkingDoubleSupportPercentage" in str(result.position)
    assert query(study, "select count(*) from raw_wearable_samples") == [(0,)]


def test_zip_slip_and_zip_bombs_are_refused(study: Path, tmp_path: Path) -> None:
    slip = tmp_path / "in" / "P1" / "slip.zip"
    slip.parent.mkdir(parents=True)
    with zipfile.ZipFile(slip, "w") as zf:
        zf.writestr("../../escaped.xml", TRICKY)
    bomb = tmp_path / "in" / "P1" / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("apple_health_export/export.xml", b"<HealthData>" + b" " * 50_000_000)
    results = ingest(study, slip, bomb)
    assert [s for _, s, _ in results] == ["rejected", "rejected"]
    assert "outside the extraction folder" in str(results[0][2])
    assert "zip bomb" in str(results[1][2])
    assert not (tmp_path / "escaped.xml").exists()
    assert not list(tmp_path.rglob("escaped.xml"))


def test_an_export_is_linked_by_its_folder_not_its_content(tmp_path: Path) -> None:
    path = write_export_file(tmp_path / "export.xml", day_of_records())
    from toolkit.ingest.core.model import ParticipantInfo

    people = {p: ParticipantInfo(p, "UTC", datetime(2025, 1, 1).date()) for p in ("P1", "P10")}
    ctx = ParseContext(str(path), "sha", ("exports", "P10-watch", "export.xml"), people)
    assert parse(path, ctx).tables["raw_wearable_samples"]["participant_id"].unique().to_list() == [
        "P10"
    ]


def test_apple_times_match_the_general_parser_for_any_layout() -> None:
    import polars as pl

    from toolkit.ingest.apple_health.records import APPLE_TIME, apple_times

    texts = pl.Series(
        "t",
        [
            "2024-03-01 08:15:00 +0100",
            "2024-10-27 01:30:00 -0530",
            "2024-02-30 08:00:00 +0000",  # no such day
            "2024-03-01 08:15:00 +01:00",
            None,
            "2024-03-01 8:15:00 +0100",
            "2024-03-01 08:15:00 +2400",
        ],
    )
    general = texts.str.to_datetime(APPLE_TIME, time_zone="UTC", strict=False, time_unit="us")
    assert apple_times(texts).to_list() == general.to_list()
    assert apple_times(texts).null_count() == 3


@pytest.mark.parametrize("block_bytes", [1 << 16, 1 << 22])
def test_a_record_after_the_root_end_tag_is_not_well_formed(
    tmp_path: Path, block_bytes: int
) -> None:
    """A Record after </HealthData> (then a second end tag) must not load (issue 11, 16)."""
    records = [steps(at(1, 0) + timedelta(minutes=5 * i), 5, 10) for i in range(3000)]
    path = write_export_file(tmp_path / "x" / "export.xml", records)
    text = path.read_bytes().rstrip()
    assert text.endswith(b"</HealthData>")
    extra = (
        b'\n<Record type="HKQuantityTypeIdentifierStepCount" sourceName="x" unit="count" '
        b'startDate="2025-03-01 08:00:00 +0000" endDate="2025-03-01 08:05:00 +0000" '
        b'value="99"/>\n</HealthData>\n'
    )
    path.write_bytes(text + extra)
    with pytest.raises(IngestError, match="markup follows the root element's end tag") as info:
        scan_export(path, METRICS, block_bytes=block_bytes)
    assert info.value.position == f"byte {len(text)}"
