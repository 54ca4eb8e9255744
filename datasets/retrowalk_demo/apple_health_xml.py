"""Write Apple Health ``export.xml`` files the way the Health app does (for the demo and tests).

The layout follows real exports: an XML declaration, the internal DTD (abridged: element and
attribute declarations only, as Apple's), ``<HealthData locale=...>`` with an ``ExportDate``
and ``Me`` element, then one ``Record`` per line (some with ``MetadataEntry`` children), and
``Workout`` elements with metadata and statistics. Device descriptions are escaped as Apple
escapes them (``&lt;&lt;HKDevice: 0x...&gt;, name:Apple Watch, ...&gt;``).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import quoteattr as _quoteattr

DTD = """<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 13 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Me EMPTY>
<!ATTLIST Me
  HKCharacteristicTypeIdentifierDateOfBirth         CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBiologicalSex       CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry
  key   CDATA #REQUIRED
  value CDATA #REQUIRED
>
<!ELEMENT Workout ((MetadataEntry|WorkoutEvent|WorkoutRoute|WorkoutStatistics)*)>
<!ATTLIST Workout
  workoutActivityType   CDATA #REQUIRED
  duration              CDATA #IMPLIED
  durationUnit          CDATA #IMPLIED
  sourceName            CDATA #REQUIRED
  sourceVersion         CDATA #IMPLIED
  device                CDATA #IMPLIED
  creationDate          CDATA #IMPLIED
  startDate             CDATA #REQUIRED
  endDate               CDATA #REQUIRED
>
<!ELEMENT WorkoutStatistics EMPTY>
<!ATTLIST WorkoutStatistics
  type                       CDATA #REQUIRED
  startDate                  CDATA #REQUIRED
  endDate                    CDATA #REQUIRED
  sum                        CDATA #IMPLIED
  unit                       CDATA #IMPLIED
>
]>
"""


@lru_cache(maxsize=1024)
def quoteattr(text: str) -> str:
    """An XML attribute value in quotes, escaped (cached: exports repeat a few values)."""
    return _quoteattr(text)


WATCH = "<<HKDevice: 0x283a3c0a0>, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,1, software:10.1>"  # noqa: E501
PHONE = "<<HKDevice: 0x283a3c1b0>, name:iPhone, manufacturer:Apple Inc., model:iPhone, hardware:iPhone14,2, software:17.3>"  # noqa: E501


@lru_cache(maxsize=4096)
def apple_time(moment: datetime) -> str:
    """A timestamp as Apple writes it: local wall time and offset, ``2024-03-01 08:15:00 +0100``."""
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")


@dataclass(frozen=True)
class Record:
    """One ``Record`` element (times must be timezone-aware)."""

    type: str
    unit: str
    value: str
    start: datetime
    end: datetime
    source: str = "Alice’s Apple Watch"
    device: str | None = WATCH
    metadata: tuple[tuple[str, str], ...] = ()

    def xml(self) -> str:
        """The element, on one line as Apple writes it (children on their own lines)."""
        short = "HK" + self.type if not self.type.startswith("HK") else self.type
        attrs = [
            f"type={quoteattr(short)}",
            f"sourceName={quoteattr(self.source)}",
            'sourceVersion="10.1"',
        ]
        if self.device is not None:
            attrs.append(f"device={quoteattr(self.device)}")
        attrs += [
            f"unit={quoteattr(self.unit)}",
            f'creationDate="{apple_time(self.end)}"',
            f'startDate="{apple_time(self.start)}"',
            f'endDate="{apple_time(self.end)}"',
            f"value={quoteattr(self.value)}",
        ]
        head = " <Record " + " ".join(attrs)
        if not self.metadata:
            return head + "/>\n"
        children = "".join(
            f"  <MetadataEntry key={quoteattr(k)} value={quoteattr(v)}/>\n"
            for k, v in self.metadata
        )
        return head + ">\n" + children + " </Record>\n"


@dataclass(frozen=True)
class Workout:
    """One ``Workout`` element."""

    activity: str
    start: datetime
    end: datetime
    distance_km: float | None = None
    indoor: bool | None = None
    source: str = "Alice’s Apple Watch"
    device: str | None = WATCH
    events: int = 0
    statistics: tuple[tuple[str, str, str], ...] = field(default_factory=tuple)

    def xml(self) -> str:
        """The element with its metadata, events and statistics children."""
        minutes = (self.end - self.start).total_seconds() / 60
        attrs = [
            f'workoutActivityType="HKWorkoutActivityType{self.activity}"',
            f'duration="{minutes:.6f}"',
            'durationUnit="min"',
            f"sourceName={quoteattr(self.source)}",
            'sourceVersion="10.1"',
        ]
        if self.device is not None:
            attrs.append(f"device={quoteattr(self.device)}")
        attrs += [
            f'creationDate="{apple_time(self.end)}"',
            f'startDate="{apple_time(self.start)}"',
            f'endDate="{apple_time(self.end)}"',
        ]
        lines = [" <Workout " + " ".join(attrs) + ">\n"]
        if self.indoor is not None:
            value = "1" if self.indoor else "0"
            lines.append(f'  <MetadataEntry key="HKIndoorWorkout" value="{value}"/>\n')
        for i in range(self.events):
            at = apple_time(self.start + timedelta(minutes=i))
            lines.append(f'  <WorkoutEvent type="HKWorkoutEventTypeSegment" date="{at}"/>\n')
        if self.distance_km is not None:
            lines.append(
                '  <WorkoutStatistics type="HKQuantityTypeIdentifierDistanceWalkingRunning" '
                f'startDate="{apple_time(self.start)}" endDate="{apple_time(self.end)}" '
                f'sum="{self.distance_km}" unit="km"/>\n'
            )
        for kind, total, unit in self.statistics:
            lines.append(
                f'  <WorkoutStatistics type="{kind}" startDate="{apple_time(self.start)}" '
                f'endDate="{apple_time(self.end)}" sum="{total}" unit="{unit}"/>\n'
            )
        lines.append(" </Workout>\n")
        return "".join(lines)


def write_export(
    out: TextIO, elements: Iterable[Record | Workout | str], *, exported: datetime | None = None
) -> None:
    """Write a complete ``export.xml`` holding ``elements`` (or their XML text) in order."""
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(DTD)
    out.write('<HealthData locale="en_GB">\n')
    stamp = apple_time(exported) if exported else "2024-06-01 12:00:00 +0100"
    out.write(f' <ExportDate value="{stamp}"/>\n')
    out.write(
        ' <Me HKCharacteristicTypeIdentifierDateOfBirth="1980-01-01" '
        'HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale"/>\n'
    )
    for element in elements:
        out.write(element if isinstance(element, str) else element.xml())
    out.write("</HealthData>\n")


def write_export_file(path: Path, elements: Iterable[Record | Workout | str]) -> Path:
    """:func:`write_export` into ``path`` (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        write_export(out, elements)
    return path


_FILLER_TYPES = (
    ("HKQuantityTypeIdentifierActiveEnergyBurned", "kcal"),
    ("HKQuantityTypeIdentifierBasalEnergyBurned", "kcal"),
)


def synthetic_elements(target_bytes: int, seed: int, start: datetime) -> Iterable[str]:
    """The XML text of a realistic mix of elements (about ``target_bytes``), for benchmarks.

    Per simulated minute: heart rate, energy (not read by retrowalk), and every few minutes
    steps and distance from watch and phone; daily gait metrics, resting heart rate, exercise
    time and one walking workout every other day.
    """
    rng = random.Random(seed)
    written = 0
    moment = start
    minute = 0
    while written < target_bytes:
        batch: list[Record | Workout] = []
        nxt = moment + timedelta(minutes=1)
        batch.append(
            Record(
                "HKQuantityTypeIdentifierHeartRate",
                "count/min",
                str(rng.randint(55, 130)),
                moment,
                moment,
                metadata=(("HKMetadataKeyHeartRateMotionContext", "0"),) if minute % 7 == 0 else (),
            )
        )
        for kind, unit in _FILLER_TYPES:
            batch.append(Record(kind, unit, f"{rng.uniform(0.5, 3):.3f}", moment, nxt))
        if minute % 5 == 0:
            steps = rng.randint(0, 600)
            end = moment + timedelta(minutes=5)
            batch.append(
                Record("HKQuantityTypeIdentifierStepCount", "count", str(steps), moment, end)
            )
            batch.append(
                Record(
                    "HKQuantityTypeIdentifierStepCount",
                    "count",
                    str(steps + rng.randint(-20, 20) if steps > 20 else steps),
                    moment,
                    end,
                    source="Alice’s iPhone",
                    device=PHONE,
                )
            )
            batch.append(
                Record(
                    "HKQuantityTypeIdentifierDistanceWalkingRunning",
                    "km",
                    f"{steps * 0.00072:.5f}",
                    moment,
                    end,
                )
            )
        if minute % 1440 == 600:
            day_end = moment + timedelta(hours=1)
            batch += [
                Record(
                    "HKQuantityTypeIdentifierWalkingSpeed",
                    "km/hr",
                    f"{rng.uniform(3.5, 5.5):.3f}",
                    moment,
                    day_end,
                    source="Alice’s iPhone",
                    device=PHONE,
                ),
                Record(
                    "HKQuantityTypeIdentifierWalkingAsymmetryPercentage",
                    "%",
                    f"{rng.uniform(0, 0.12):.4f}",
                    moment,
                    day_end,
                    source="Alice’s iPhone",
                    device=PHONE,
                ),
                Record(
                    "HKQuantityTypeIdentifierWalkingDoubleSupportPercentage",
                    "%",
                    f"{rng.uniform(0.2, 0.35):.4f}",
                    moment,
                    day_end,
                    source="Alice’s iPhone",
                    device=PHONE,
                ),
                Record(
                    "HKQuantityTypeIdentifierWalkingStepLength",
                    "cm",
                    f"{rng.uniform(55, 80):.1f}",
                    moment,
                    day_end,
                    source="Alice’s iPhone",
                    device=PHONE,
                ),
                Record(
                    "HKQuantityTypeIdentifierRestingHeartRate",
                    "count/min",
                    str(rng.randint(50, 75)),
                    moment,
                    moment,
                ),
                Record(
                    "HKQuantityTypeIdentifierAppleExerciseTime",
                    "min",
                    str(rng.randint(0, 60)),
                    moment,
                    day_end,
                ),
            ]
            if (minute // 1440) % 2 == 0:
                batch.append(
                    Workout(
                        "Walking",
                        moment,
                        moment + timedelta(minutes=20),
                        distance_km=round(rng.uniform(0.8, 2.0), 3),
                        indoor=rng.random() < 0.5,
                        events=2,
                    )
                )
        for element in batch:
            text = element.xml()
            written += len(text) + 2
            yield text
        moment = nxt
        minute += 1
