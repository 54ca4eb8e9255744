"""A reference reader for Apple Health exports built on lxml ``iterparse``.

Not used for ingest: it exists to check the fast scanner (tests assert both give identical
rows) and as the benchmark's baseline. It is the textbook streaming approach (``iterparse`` on
end events, clearing each element and its finished siblings), with entity resolution and
network access off. Needs ``lxml`` (in the ``dev`` extra).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import polars as pl

from toolkit.ingest.apple_health.scan import RECORD_ATTRIBUTES, ScanResult, Workout

_OPTIONAL = ("device", "unit", "value")


def scan_export_lxml(path: Path, types: Collection[str]) -> ScanResult:
    """Same result as :func:`toolkit.ingest.apple_health.scan.scan_export`, via lxml."""
    from lxml import etree  # dev-only dependency

    kept = set(types)
    columns: dict[str, list[str | None]] = {name: [] for name in RECORD_ATTRIBUTES}
    workouts: list[Workout] = []
    seen = 0
    context = etree.iterparse(
        str(path),
        events=("end",),
        tag=("Record", "Workout"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,
    )
    for _, elem in context:
        if elem.tag == "Record":
            seen += 1
            attrs = elem.attrib
            if attrs.get("type") in kept:
                for name in RECORD_ATTRIBUTES:
                    value = attrs.get(name)
                    columns[name].append(value if value or name not in _OPTIONAL else None)
        else:
            workout = Workout(dict(elem.attrib))
            for child in elem:
                if child.tag == "MetadataEntry" and "key" in child.attrib:
                    workout.metadata[child.attrib["key"]] = child.attrib.get("value", "")
                elif child.tag == "WorkoutStatistics" and "type" in child.attrib:
                    workout.statistics[child.attrib["type"]] = dict(child.attrib)
            workouts.append(workout)
        if elem.getparent() is None or elem.getparent().tag != "HealthData":
            continue  # a nested Record (e.g. inside a Correlation): cleared with its parent
        elem.clear()
        while elem.getprevious() is not None:
            del elem.getparent()[0]
    frame = pl.DataFrame(
        {name: pl.Series(name, values, dtype=pl.String) for name, values in columns.items()}
    ).with_columns(pl.lit(0, dtype=pl.Int64).alias("_byte"))
    return ScanResult(frame, workouts, seen)
