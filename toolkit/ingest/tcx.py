"""Garmin Training Center XML (TCX) activities as treadmill sessions, segments and samples.

TCX (schema ``TrainingCenterDatabase/v2``): ``Activities/Activity[@Sport]/Lap[@StartTime]``
with ``TotalTimeSeconds`` and ``DistanceMeters``, ``Track/Trackpoint`` with ``Time``,
``DistanceMeters``, ``HeartRateBpm/Value``, ``Cadence``, and the ``ActivityExtension/v2``
extensions ``TPX`` (``Speed`` m/s, ``RunCadence``, ``Watts``) and ``LX`` (``AvgSpeed``).
Namespaces are matched by local name, so v1 extensions and vendor prefixes read the same.

Parsing is safe: ``defusedxml`` refuses DTDs, entity declarations and external references
(no "billion laughs", no file or network access), and files above ``MAX_TCX_BYTES`` are refused
before parsing. Each activity becomes a session (``tcx-`` + its UTC start), its laps the
segments, its trackpoints the samples; walking direction comes from a direction manifest as
for FIT (:mod:`toolkit.ingest.direction.rules`). Cadence: ``RunCadence`` (else ``Cadence``) is per
foot, as Garmin writes it, and is stored doubled as steps per minute. Biking activities are
rejected, and so are files holding only a Course or a Workout (plans, no recording).
``Sport="Other"`` is what Garmin writes for walks, but also for swims, paddling and skiing: such
an activity is a session only when a step cadence was recorded (trackpoint ``RunCadence`` or
lap ``AvgRunCadence``) or a direction manifest labels it; otherwise it is kept as a workout with
activity ``unclassified`` (``wearable_workouts``, out of ``sessions``), counted in the notes
(``unclassified_activities``). A BOM or whitespace before ``<?xml`` (Strava) is skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_xml
import polars as pl
from defusedxml import DefusedXmlException

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import UTC_DATETIME
from toolkit.ingest.core.model import ParseContext, ParsedFile
from toolkit.ingest.direction.label import label_session, manifest_rules, participant_for
from toolkit.ingest.tcx_other import named_walk, steps_recorded, unclassified_workout

FORMAT = "tcx"
LOAD_ORDER = 10
LOADS: tuple[str, ...] = (
    "raw_treadmill_sessions",
    "raw_treadmill_segments",
    "raw_treadmill_samples",
    "raw_wearable_workouts",  # Sport="Other" activities that are not walks (unclassified)
    "raw_source_links",  # how the file was linked to its participant
)
MAX_TCX_BYTES = 512 * 1024**2
_LAP_FIELDS = (
    "duration_s",
    "distance_m",
    "max_speed_mps",
    "avg_speed_mps",
    "avg_heart_rate_bpm",
    "avg_run_cadence",
)
#: root sections that hold plans, not recordings
_PLANS = {"Courses": "a Course (a planned route)", "Workouts": "a Workout (a training plan)"}
_BOM = b"\xef\xbb\xbf"
_TRACKPOINT_FIELDS = (
    "time",
    "distance_m",
    "heart_rate_bpm",
    "cadence",
    "run_cadence",
    "speed_mps",
    "watts",
    "altitude_m",
    "latitude",
    "longitude",
)


def sniff(head: bytes, name: str) -> bool:
    """XML whose root is ``TrainingCenterDatabase`` (after a BOM and whitespace, if any)."""
    text = head.removeprefix(_BOM).lstrip()[:4096].decode("utf-8", errors="ignore")
    return "<TrainingCenterDatabase" in text


def _xml_root(path: Path) -> Element:
    """Parse the file, skipping a UTF-8 BOM and whitespace before ``<?xml`` (Strava's bulk
    export writes such files); line numbers in errors stay those of the file."""
    data = path.read_bytes()
    body = data.removeprefix(_BOM)
    stripped = body.lstrip()
    skipped_lines = body[: len(body) - len(stripped)].count(b"\n")
    try:
        return safe_xml.fromstring(stripped, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise IngestError(f"the XML declares a DTD or entities, refused for safety: {exc}") from exc
    except safe_xml.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        line = line + skipped_lines if line is not None else None
        raise IngestError(f"not well-formed XML: {exc}", f"line {line}, column {column}") from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    """Direct children named ``name`` in any namespace."""
    return [e for e in element if _local(e.tag) == name]


def _child(element: Element, *path: str) -> Element | None:
    node: Element | None = element
    for name in path:
        if node is None:
            return None
        node = next((c for c in node if _local(c.tag) == name), None)
    return node


def _text(element: Element, *path: str) -> str | None:
    node = _child(element, *path)
    return None if node is None or node.text is None else node.text.strip() or None


def _number(element: Element, where: str, *path: str) -> float | None:
    text = _text(element, *path)
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise IngestError(f"{'/'.join(path)} {text!r} is not a number", where) from None


def _time(text: str | None, where: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise IngestError(f"time {text!r} is not an ISO 8601 timestamp", where) from None
    if moment.tzinfo is None:
        raise IngestError(f"time {text!r} has no UTC offset (TCX times are UTC, with Z)", where)
    return moment.astimezone(UTC)


def _extension(element: Element, name: str) -> str | None:
    extensions = _child(element, "Extensions")
    if extensions is None:
        return None
    for node in extensions.iter():
        if _local(node.tag) == name and node.text and node.text.strip():
            return node.text.strip()
    return None


#: trackpoint element (local name) -> column; HeartRateBpm's Value is read with its parent
_POINT_TAGS = {
    "Time": "time",
    "DistanceMeters": "distance_m",
    "Cadence": "cadence",
    "RunCadence": "run_cadence",
    "Speed": "speed_mps",
    "Watts": "watts",
    "AltitudeMeters": "altitude_m",
    "LatitudeDegrees": "latitude",
    "LongitudeDegrees": "longitude",
}


def _trackpoint(point: Element, activity: int, lap: int) -> dict[str, object]:
    """One trackpoint's values as text, in one pass over its elements (converted later)."""
    row: dict[str, object] = {"activity": activity, "lap": lap}
    for node in point.iter():
        name = node.tag.rpartition("}")[2]
        if name == "HeartRateBpm":
            value = next(iter(node), None)
            if value is not None and value.text:
                row["heart_rate_bpm"] = value.text.strip()
        elif name in _POINT_TAGS and node.text and node.text.strip():
            row[_POINT_TAGS[name]] = node.text.strip()
    return row


def _point_frame(points: list[dict[str, object]]) -> pl.DataFrame:
    """Trackpoint text to typed columns; the first unreadable value raises with its place."""
    text_schema = {c: pl.String() for c in _TRACKPOINT_FIELDS}
    frame = pl.DataFrame(points, schema={"activity": pl.Int32(), "lap": pl.Int32(), **text_schema})
    out = frame.select("activity", "lap")
    times = pl.coalesce(
        [
            pl.col("time").str.to_datetime(fmt, time_zone="UTC", strict=False, time_unit="us")
            for fmt in (
                "%Y-%m-%dT%H:%M:%S%.fZ",
                "%Y-%m-%dT%H:%M:%SZ",
                "%Y-%m-%dT%H:%M:%S%.f%:z",
                "%Y-%m-%dT%H:%M:%S%:z",
            )
        ]
    )
    converted = frame.select(
        times.alias("time"),
        *[pl.col(c).cast(pl.Float64, strict=False) for c in _TRACKPOINT_FIELDS[1:]],
    )
    for column in _TRACKPOINT_FIELDS:
        bad = frame[column].is_not_null() & converted[column].is_null()
        if bad.any():
            row = int(bad.arg_true()[0])
            what = "an ISO 8601 time with its UTC offset" if column == "time" else "a number"
            raise IngestError(
                f"{column} {frame[column][row]!r} is not {what}",
                f"activity {frame['activity'][row] + 1}, lap {frame['lap'][row] + 1}, "
                f"trackpoint {row + 1}",
            )
    return out.hstack(converted)


def read_tcx(path: Path | str) -> dict[str, pl.DataFrame]:
    """A TCX file as frames ``plan``, ``activity``, ``lap`` and ``trackpoint`` (SI units, UTC).

    ``plan``: section (``Courses`` or ``Workouts`` present at the root).
    ``activity``: activity, sport, started_at, creator. ``lap``: activity, lap, started_at,
    duration_s, distance_m, max_speed_mps, avg_speed_mps, avg_heart_rate_bpm, avg_run_cadence
    (the ``LX`` extension's ``AvgRunCadence``). ``trackpoint``:
    activity, lap, time, distance_m, heart_rate_bpm, cadence, run_cadence, speed_mps, watts,
    altitude_m, latitude, longitude.
    """
    path = Path(path)
    if path.stat().st_size > MAX_TCX_BYTES:
        raise IngestError(f"the file is larger than the {MAX_TCX_BYTES} bytes allowed for TCX")
    root = _xml_root(path)
    if _local(root.tag) != "TrainingCenterDatabase":
        raise IngestError(f"the root element is {_local(root.tag)!r}, not TrainingCenterDatabase")
    activities, laps, points = [], [], []
    for a, activity in enumerate(
        a for activities in _children(root, "Activities") for a in _children(activities, "Activity")
    ):
        where = f"activity {a + 1}"
        lap_elements = [c for c in activity if _local(c.tag) == "Lap"]
        first = _time(lap_elements[0].get("StartTime"), where) if lap_elements else None
        activities.append(
            {
                "activity": a,
                "sport": activity.get("Sport"),
                "started_at": _time(_text(activity, "Id"), where) or first,
                "creator": _text(activity, "Creator", "Name"),
            }
        )
        for k, lap in enumerate(lap_elements):
            at = f"{where}, lap {k + 1}"
            laps.append(
                {
                    "activity": a,
                    "lap": k,
                    "started_at": _time(lap.get("StartTime"), at),
                    "duration_s": _number(lap, at, "TotalTimeSeconds"),
                    "distance_m": _number(lap, at, "DistanceMeters"),
                    "max_speed_mps": _number(lap, at, "MaximumSpeed"),
                    "avg_speed_mps": _float(_extension(lap, "AvgSpeed"), at),
                    "avg_heart_rate_bpm": _number(lap, at, "AverageHeartRateBpm", "Value"),
                    "avg_run_cadence": _float(_extension(lap, "AvgRunCadence"), at),
                }
            )
            for track in _children(lap, "Track"):
                for point in _children(track, "Trackpoint"):
                    points.append(_trackpoint(point, a, k))
    floats = pl.Float64()
    lap_schema: dict[str, pl.DataType] = {
        "activity": pl.Int32(),
        "lap": pl.Int32(),
        "started_at": UTC_DATETIME,
    }
    lap_schema |= {c: floats for c in _LAP_FIELDS}
    activity_schema: dict[str, pl.DataType] = {
        "activity": pl.Int32(),
        "sport": pl.String(),
        "started_at": UTC_DATETIME,
        "creator": pl.String(),
    }
    plans = sorted({_local(c.tag) for c in root} & set(_PLANS))
    return {
        "plan": pl.DataFrame({"section": plans}, schema={"section": pl.String()}),
        "activity": pl.DataFrame(activities, schema=activity_schema),
        "lap": pl.DataFrame(laps, schema=lap_schema),
        "trackpoint": _point_frame(points),
    }


def _float(text: str | None, where: str) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise IngestError(f"extension value {text!r} is not a number", where) from None


def parse(path: Path, ctx: ParseContext) -> ParsedFile:
    """Read one TCX file into sessions, segments and samples."""
    rules = manifest_rules(path, ctx.parts)
    frames = read_tcx(path)
    participant = participant_for(path, ctx, rules)
    if frames["activity"].height == 0:
        plans = frames["plan"]["section"].to_list()
        what = " and ".join(_PLANS[p] for p in plans) if plans else "no Activity"
        raise IngestError(
            f"the TCX file holds {what}, not a recorded activity: there is no session to load"
        )
    sessions, segments, samples, unclassified = [], [], [], []
    for activity in frames["activity"].iter_rows(named=True):
        a = activity["activity"]
        if (activity["sport"] or "").lower() == "biking":
            raise IngestError(
                f"activity {a + 1} is a Biking activity; only walking or running sessions load"
            )
        laps = frames["lap"].filter(pl.col("activity") == a)
        points = frames["trackpoint"].filter(pl.col("activity") == a)
        if (
            (activity["sport"] or "").lower() == "other"
            and not steps_recorded(laps, points)
            and not named_walk(path, activity, laps, rules)
        ):
            unclassified.append(unclassified_workout(participant, activity, laps, FORMAT))
            continue
        start = activity["started_at"]
        if start is None or laps.height == 0 or laps["duration_s"].null_count():
            raise IngestError(f"activity {a + 1} has no laps with a start time and duration")
        duration = float(laps["duration_s"].sum())
        session_id = f"tcx-{start:%Y%m%dT%H%M%SZ}"
        lap_frame = laps.select(
            pl.col("lap").alias("segment"),
            "started_at",
            "duration_s",
            "distance_m",
            pl.coalesce("avg_speed_mps", pl.col("distance_m") / pl.col("duration_s")).alias(
                "mean_speed_mps"
            ),
            pl.lit(None, dtype=pl.Float64).alias("incline_pct"),
        )
        cadence = pl.coalesce("run_cadence", "cadence") * 2
        sample_frame = points.filter(pl.col("time").is_not_null()).select(
            pl.col("time").alias("recorded_at"),
            "speed_mps",
            "distance_m",
            pl.lit(None, dtype=pl.Float64).alias("incline_pct"),
            "heart_rate_bpm",
            cadence.alias("cadence_spm"),
        )
        sample_frame = sample_frame.unique("recorded_at", keep="first", maintain_order=True)
        labelled_segments, labelled_samples, labelling = label_session(
            path, session_id, start, duration, lap_frame, sample_frame, rules
        )
        ids = [pl.lit(participant).alias("participant_id"), pl.lit(session_id).alias("session_id")]
        segments.append(labelled_segments.with_columns(ids))
        samples.append(labelled_samples.with_columns(ids))
        distance = laps["distance_m"].drop_nulls()
        sessions.append(
            {
                "participant_id": participant,
                "session_id": session_id,
                "started_at": start,
                "duration_s": duration,
                "distance_m": float(distance.sum()) if distance.len() else None,
                "source": FORMAT,
                "device": activity["creator"],
                "labelling": labelling,
            }
        )
    tables: dict[str, pl.DataFrame] = {}
    notes: dict[str, int] = {}
    if sessions:
        all_segments = pl.concat(segments, how="diagonal_relaxed")
        tables = {
            "raw_treadmill_sessions": pl.DataFrame(
                sessions, schema_overrides={"started_at": UTC_DATETIME}
            ),
            "raw_treadmill_segments": all_segments,
            "raw_treadmill_samples": pl.concat(samples, how="diagonal_relaxed"),
        }
        notes["unknown_direction_segments"] = int((all_segments["direction"] == "unknown").sum())
    if unclassified:
        tables["raw_wearable_workouts"] = pl.DataFrame(
            unclassified,
            schema_overrides={"started_at": UTC_DATETIME, "ended_at": UTC_DATETIME},
        )
        notes["unclassified_activities"] = len(unclassified)
    return ParsedFile(tables, notes=notes)
