"""Generic wearable CSV: one sample per row, or a vendor's wide layout through a mapping file.

**Long layout** (recognised by its header; * required): ``metric``*, ``start_at``* (or
``timestamp``), ``value``*, ``end_at`` (default: the start), ``unit`` (default: the metric's
stored unit), ``participant_id`` (default: the folder convention of
:mod:`toolkit.ingest.core.linkage`), ``source`` (default ``wearable_csv``), ``device``,
``timezone``. Metrics and units are those of :data:`METRICS` (e.g. ``walking_speed`` in
``m/s``, ``km/hr`` or ``mi/hr``; ``walking_asymmetry`` as a fraction in ``%`` like Apple, or in
``percent``), converted to SI; a value outside the metric's range rejects the file, except for
measures a plausibility rule bounds (heart rate, resting heart rate, walking speed and
asymmetry), whose glitches are quarantined.

**Mapped layout**: a ``wearable_mapping.toml`` in the CSV's folder (or up to three folders
above) describes a vendor's columns::

    files = ["*.csv"]             # which CSVs it applies to (file-name patterns)
    source = "ActiGraph"          # stored as the source of every sample
    timezone = "Europe/London"    # optional: for times without a UTC offset
    [columns]
    start_at = "Time"             # required
    end_at = "End"                # optional
    participant_id = "Subject"    # optional (else the folder convention)
    [metrics]
    steps = { column = "Steps", unit = "count" }
    walking_speed = { column = "Speed (km/h)", unit = "km/hr" }

Each mapped metric column becomes one sample per non-empty cell. The mapping file itself, and a
``wearable_manifest.csv`` (see :mod:`toolkit.ingest.core.linkage`; its rows are stored in
``raw_participant_links``), load no samples. Mapped CSVs are recognised as plain files (a folder
or a file named on the command line), not inside zip archives, whose members' names say nothing
of their siblings. Times need a UTC offset or are read in the ``timezone`` given (column,
mapping, or the participant's roster zone); local times in a daylight-saving gap or overlap are
rejected.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.apple_health.records import METRICS as APPLE_METRICS
from toolkit.ingest.apple_health.records import Metric
from toolkit.ingest.core.canonical import LINE, TABLES, position
from toolkit.ingest.core.csv_text import as_float, as_utc_timestamp, header_of, read_text_csv
from toolkit.ingest.core.linkage import MANIFEST_NAME, link_participant, manifest_rows
from toolkit.ingest.core.model import ParseContext, ParsedFile
from toolkit.ingest.core.zones import roster_zones

FORMAT = "wearable_csv"
LOAD_ORDER = 30
LOADS: tuple[str, ...] = (
    "raw_wearable_samples",
    "raw_participant_links",
    "raw_source_links",
)
MAPPING_NAME = "wearable_mapping.toml"
DEFAULT_SOURCE = "wearable_csv"
_SECONDS = {"s": 1.0, "min": 60.0, "hr": 3600.0}

#: Metric name -> how it is stored (unit, accepted units and factors, plausible range).
METRICS: dict[str, Metric] = {m.name: m for m in APPLE_METRICS.values()} | {
    # bounded by the active_time plausibility rule (quarantine), as Fitbit's are
    "very_active_time": Metric("very_active_time", "s", _SECONDS, None, None),
    "moderately_active_time": Metric("moderately_active_time", "s", _SECONDS, None, None),
}
METRICS["double_support"] = Metric("double_support", "%", {"%": 100.0, "percent": 1.0}, 0, 100)
# bounded by its plausibility rule (quarantine), as for Apple's records
METRICS["walking_asymmetry"] = Metric(
    "walking_asymmetry", "%", {"%": 100.0, "percent": 1.0}, None, None
)


def _long_layout(header: list[str]) -> bool:
    return {"metric", "value"} <= set(header) and bool({"start_at", "timestamp"} & set(header))


def find_mapping(csv: Path, levels: int = 3) -> Path | None:
    """The ``wearable_mapping.toml`` that applies to ``csv``, searching upwards, or None."""
    for folder in list(csv.parents)[: levels + 1]:
        candidate = folder / MAPPING_NAME
        if candidate.is_file():
            try:
                patterns = _read_mapping(candidate).get("files", ["*.csv"])
            except IngestError:
                return candidate  # parse reports the problem
            if any(fnmatch.fnmatch(csv.name, p) for p in patterns):
                return candidate
    return None


def sniff(head: bytes, name: str) -> bool:
    """A long-layout wearable CSV, a mapping file, or a CSV that a mapping file describes."""
    filename = PurePosixPath(name.replace("\\", "/").split("!")[-1]).name
    if filename in (MAPPING_NAME, MANIFEST_NAME):
        return True
    if not filename.lower().endswith(".csv"):
        return False
    if _long_layout(header_of(head)):
        return True
    return "!" not in name and find_mapping(Path(name)) is not None


def _read_mapping(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise IngestError(f"the mapping file {path.name} is not valid TOML: {exc}") from exc


def parse(path: Path, ctx: ParseContext) -> ParsedFile:
    """Read a wearable CSV (long or mapped layout) into ``raw_wearable_samples`` rows."""
    if path.name == MAPPING_NAME:
        _read_mapping(path)  # a broken mapping is reported on the mapping file itself too
        return ParsedFile({}, notes={"wearable_mapping_files": 1})
    if path.name == MANIFEST_NAME:  # its rows link files in the views (int_source_participants)
        rows = manifest_rows(path, ctx.location)
        return ParsedFile({"raw_participant_links": rows}, notes={"wearable_manifest_files": 1})
    text = read_text_csv(path)
    if _long_layout(list(text.columns)):
        long = text.rename({"timestamp": "start_at"}) if "timestamp" in text.columns else text
        source = DEFAULT_SOURCE
    else:
        mapping_path = find_mapping(path)
        if mapping_path is None:
            raise IngestError("no wearable_mapping.toml describes this CSV", "line 1")
        long, source = _melt(text, _read_mapping(mapping_path))
    return ParsedFile({"raw_wearable_samples": _samples(long, ctx, source)})


def _melt(text: pl.DataFrame, mapping: dict[str, Any]) -> tuple[pl.DataFrame, str]:
    """The mapped wide layout as long rows (metric, value, unit and the mapped columns)."""
    columns = {k: str(v).strip().lower() for k, v in mapping.get("columns", {}).items()}
    metrics = mapping.get("metrics", {})
    if "start_at" not in columns or not metrics:
        raise IngestError("the mapping needs [columns] start_at and at least one [metrics] entry")
    missing = [
        c
        for c in [
            *columns.values(),
            *(str(m.get("column", "")).strip().lower() for m in metrics.values()),
        ]
        if c not in text.columns
    ]
    if missing:
        raise IngestError(
            f"the mapped column(s) {', '.join(missing)} are not in the file; found "
            f"{', '.join(c for c in text.columns if c != LINE)}",
            "line 1",
        )
    keep = {ours: pl.col(theirs) for ours, theirs in columns.items()}
    if "timezone" in mapping and "timezone" not in columns:
        keep["timezone"] = pl.lit(str(mapping["timezone"]))
    parts = []
    for metric, spec in metrics.items():
        parts.append(
            text.select(
                **keep,
                metric=pl.lit(str(metric)),
                value=pl.col(str(spec["column"]).strip().lower()),
                unit=pl.lit(spec.get("unit")),
                _line=pl.col(LINE),
            ).filter(pl.col("value").is_not_null())
        )
    return pl.concat(parts).sort(LINE, maintain_order=True), str(mapping.get("source", "csv"))


def _participants(long: pl.DataFrame, ctx: ParseContext) -> pl.Series:
    if "participant_id" in long.columns and long["participant_id"].null_count() == 0:
        return long["participant_id"]
    if "participant_id" in long.columns and long["participant_id"].null_count() < long.height:
        row = int(long["participant_id"].is_null().arg_true()[0])
        raise IngestError(
            "a participant id is required here", position(long, row, "participant_id")
        )
    participant = link_participant(ctx, "a wearable CSV without a participant_id column")
    return pl.Series("participant_id", [participant] * long.height, dtype=pl.String)


def _samples(long: pl.DataFrame, ctx: ParseContext, source: str) -> pl.DataFrame:
    long = long.with_columns(_participants(long, ctx).alias("participant_id"))
    if "timezone" not in long.columns:
        long = long.with_columns(roster_zones(long["participant_id"], ctx).alias("timezone"))
    start = as_utc_timestamp(long, "start_at", zones=long["timezone"])
    end = (
        as_utc_timestamp(long, "end_at", zones=long["timezone"]).fill_null(start)
        if "end_at" in long.columns
        else start
    )
    value = as_float(long, "value")
    metric = long["metric"].str.to_lowercase()
    unknown = ~metric.is_in(list(METRICS))
    if unknown.any():
        row = int(unknown.arg_true()[0])
        raise IngestError(
            f"{long['metric'][row]!r} is not a wearable metric retrowalk stores "
            f"({', '.join(sorted(METRICS))})",
            position(long, row, "metric"),
        )
    units = long["unit"] if "unit" in long.columns else pl.Series([None] * long.height)
    factors, si_units = [], []
    for row, (name, unit) in enumerate(zip(metric.to_list(), units.to_list(), strict=True)):
        spec = METRICS[name]
        unit = unit or spec.unit
        if unit not in spec.factors:
            raise IngestError(
                f"unit {unit!r} is not one retrowalk converts for {name} "
                f"({', '.join(spec.factors)})",
                position(long, row, "unit"),
            )
        factors.append(spec.factors[unit])
        si_units.append(spec.unit)
    si = value * pl.Series(factors, dtype=pl.Float64)
    lows = metric.replace_strict({k: m.bounds[0] for k, m in METRICS.items()})
    highs = metric.replace_strict({k: m.bounds[1] for k, m in METRICS.items()})
    bad = (si < lows) | (si > highs) | (end < start)
    if bad.any():
        row = int(bad.arg_true()[0])
        raise IngestError(
            f"{long['value'][row]} {units[row] or ''} is outside the plausible range of "
            f"{metric[row]}, or the sample ends before it starts",
            position(long, row, "value"),
        )
    frame = pl.DataFrame(
        {
            "participant_id": long["participant_id"],
            "metric": metric,
            "start_at": start,
            "end_at": end,
            "value": si,
            "unit": pl.Series(si_units, dtype=pl.String),
            "source": long["source"].fill_null(source)
            if "source" in long.columns
            else pl.Series([source] * long.height, dtype=pl.String),
            "device": long["device"]
            if "device" in long.columns
            else pl.Series([None] * long.height, dtype=pl.String),
            LINE: long[LINE],
        }
    )
    key = list(TABLES["raw_wearable_samples"].key)
    repeated = frame.select(key).is_duplicated()
    if repeated.any():
        row = int(repeated.arg_true()[0])
        raise IngestError("this sample appears twice in the file", position(frame, row))
    return frame
