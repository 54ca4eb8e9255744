"""Turn Apple Health Record and Workout attributes into canonical rows, in SI units and UTC.

Shared by the fast scanner (:mod:`toolkit.ingest.apple_health.scan`) and the lxml reference
reader (:mod:`tests.ingest.apple_health_lxml`), so both give identical rows by construction
once they agree on the attributes.

Conversions (Apple writes percentages as fractions with unit ``%``: ``value="0.05"`` is 5 %):

=============================================  ========================  ==========  ========
Apple type (``HKQuantityTypeIdentifier...``)   metric                    stored as   range
=============================================  ========================  ==========  ========
StepCount                                      steps                     count       0-100000
DistanceWalkingRunning                         distance                  m           0-100 km
HeartRate                                      heart_rate                bpm         rule
RestingHeartRate                               resting_heart_rate        bpm         rule
WalkingHeartRateAverage                        walking_heart_rate        bpm         20-250
WalkingSpeed                                   walking_speed             m/s         rule
WalkingStepLength                              step_length               m           0-3
WalkingAsymmetryPercentage                     walking_asymmetry         %           rule
WalkingDoubleSupportPercentage                 double_support            %           0-100
AppleExerciseTime                              exercise_time             s           rule
SixMinuteWalkTestDistance                      six_minute_walk_distance  m           0-1500
FlightsClimbed                                 flights_climbed           count       0-10000
=============================================  ========================  ==========  ========

"rule": the measure is bounded by a plausibility rule (``toolkit/instruments/plausibility.toml``),
which quarantines a glitching value instead of rejecting the file. A value outside its range,
in a unit not listed, not a number, or with an end before its start
rejects the file (never coerced). Device descriptions (``<<HKDevice: 0x...>, name:Apple Watch,
..., hardware:Watch6,1, software:10.1>``) are stored as ``Apple Watch (Watch6,1)``: the pointer
inside changes between exports and would defeat de-duplication.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.apple_health.scan import Workout
from toolkit.ingest.core.canonical import UTC_DATETIME

#: The layout of Apple Health timestamps: local wall time and its UTC offset.
APPLE_TIME = "%Y-%m-%d %H:%M:%S %z"
_PREFIX = "HKQuantityTypeIdentifier"

_LENGTH = {
    "m": 1.0,
    "cm": 0.01,
    "mm": 0.001,
    "km": 1000.0,
    "in": 0.0254,
    "ft": 0.3048,
    "yd": 0.9144,
    "mi": 1609.344,
}
_RATE = {"count/min": 1.0, "count/s": 60.0}
_FRACTION = {"%": 100.0}


@dataclass(frozen=True)
class Metric:
    """How one Apple quantity type is stored.

    ``low``/``high`` reject the file; None where a plausibility rule bounds the measure instead
    (one rule per measure: the rule quarantines a sensor glitch, the rest of the file loads).
    """

    name: str
    unit: str
    factors: dict[str, float]
    low: float | None
    high: float | None

    @property
    def bounds(self) -> tuple[float, float]:
        """The rejecting range, open-ended where a plausibility rule bounds the measure."""
        low = float("-inf") if self.low is None else float(self.low)
        return low, float("inf") if self.high is None else float(self.high)


METRICS: dict[str, Metric] = {
    _PREFIX + kind: metric
    for kind, metric in {
        "StepCount": Metric("steps", "count", {"count": 1.0}, 0, 100_000),
        "DistanceWalkingRunning": Metric("distance", "m", _LENGTH, 0, 100_000),
        "HeartRate": Metric("heart_rate", "bpm", _RATE, None, None),
        "RestingHeartRate": Metric("resting_heart_rate", "bpm", _RATE, None, None),
        "WalkingHeartRateAverage": Metric("walking_heart_rate", "bpm", _RATE, 20, 250),
        "WalkingSpeed": Metric(
            "walking_speed", "m/s", {"m/s": 1.0, "km/hr": 1 / 3.6, "mi/hr": 0.44704}, None, None
        ),
        "WalkingStepLength": Metric("step_length", "m", _LENGTH, 0, 3),
        "WalkingAsymmetryPercentage": Metric("walking_asymmetry", "%", _FRACTION, None, None),
        "WalkingDoubleSupportPercentage": Metric("double_support", "%", _FRACTION, 0, 100),
        "AppleExerciseTime": Metric(
            "exercise_time", "s", {"s": 1.0, "min": 60.0, "hr": 3600.0}, None, None
        ),
        "SixMinuteWalkTestDistance": Metric("six_minute_walk_distance", "m", _LENGTH, 0, 1500),
        "FlightsClimbed": Metric("flights_climbed", "count", {"count": 1.0}, 0, 10_000),
    }.items()
}

_DURATION = {"s": 1.0, "min": 60.0, "hr": 3600.0, "h": 3600.0}
_DEVICE_NAME = r"name:([^,>]*)"
_DEVICE_HARDWARE = r"hardware:(.*?)(?:, software:|, localIdentifier:|>$|$)"


def device_label(devices: pl.Series) -> pl.Series:
    """``Apple Watch (Watch6,1)`` from Apple's HKDevice description; other text unchanged.

    Computed once per distinct description (an export holds a handful) and mapped back.
    """
    distinct = devices.unique().drop_nulls()
    name = distinct.str.extract(_DEVICE_NAME, 1).str.strip_chars()
    hardware = distinct.str.extract(_DEVICE_HARDWARE, 1).str.strip_chars()
    frame = pl.DataFrame({"d": distinct, "n": name, "h": hardware})
    labels = frame.select(
        pl.when(pl.col("n").is_null())
        .then(pl.col("d"))
        .when(pl.col("h").is_null() | (pl.col("h") == ""))
        .then(pl.col("n"))
        .otherwise(pl.concat_str(pl.col("n"), pl.lit(" ("), pl.col("h"), pl.lit(")")))
        .alias("device")
    )["device"]
    return devices.replace_strict(distinct, labels, default=None, return_dtype=pl.String)


def _offset_minutes(tail: str) -> int | None:
    """Minutes east of UTC from ``" +0100"``; None for anything else."""
    match = re.fullmatch(r" ([+-])([01][0-9]|2[0-3])([0-5][0-9])", tail)
    if match is None:
        return None
    minutes = int(match[2]) * 60 + int(match[3])
    return -minutes if match[1] == "-" else minutes


def apple_times(texts: pl.Series) -> pl.Series:
    """UTC timestamps from Apple's ``2024-03-01 08:15:00 +0100`` (null where unreadable).

    Fast path: the wall time is parsed with a fixed layout and the offset (an export holds a
    few distinct ones) is looked up once per distinct value; rows in any other layout go
    through the general ``%z`` parser.
    """
    wall = texts.str.slice(0, 19).str.to_datetime(
        "%Y-%m-%d %H:%M:%S", strict=False, time_unit="us", cache=False
    )
    tails = texts.str.slice(19)
    distinct = tails.unique().drop_nulls()
    minutes = pl.Series([_offset_minutes(t) for t in distinct.to_list()], dtype=pl.Int64)
    offsets = tails.replace_strict(distinct, minutes, default=None, return_dtype=pl.Int64)
    frame = pl.DataFrame({"wall": wall, "offset": offsets})
    fast = frame.select(
        (pl.col("wall") - pl.duration(minutes=pl.col("offset")))
        .dt.replace_time_zone("UTC")
        .alias(texts.name)
    )[texts.name]
    if fast.null_count() > texts.null_count():
        general = texts.str.to_datetime(APPLE_TIME, time_zone="UTC", strict=False, time_unit="us")
        fast = fast.fill_null(general)
    return fast


def _fail(rows: pl.DataFrame, mask: pl.Series, message: str) -> None:
    """Raise ``message`` (formatted with the first bad row) if any row is flagged."""
    if mask.any():
        row = rows.filter(mask).row(0, named=True)
        raise IngestError(
            message.format(**row),
            f"Record of type {row['type']} starting {row['startDate']!r} "
            f"(block at byte {row['_byte']})",
        )


def records_to_samples(records: pl.DataFrame, participant_id: str) -> pl.DataFrame:
    """Canonical ``raw_wearable_samples`` rows from kept Record attributes (one row each).

    Returns
    -------
    polars.DataFrame
        participant_id, metric, start_at, end_at (UTC), value (SI), unit, source (the
        ``sourceName``), device (short label), in file order.
    """
    table = pl.DataFrame(
        [
            {
                "type": kind,
                "unit": unit,
                "_metric": m.name,
                "_si": m.unit,
                "_factor": factor,
                "_low": m.bounds[0],
                "_high": m.bounds[1],
            }
            for kind, m in METRICS.items()
            for unit, factor in m.factors.items()
        ]
    )
    joined = records.join(table, on=["type", "unit"], how="left", maintain_order="left")
    _fail(
        joined,
        joined["_metric"].is_null(),
        "{type} in unit {unit!r} is not a unit retrowalk converts",
    )
    value = joined["value"].cast(pl.Float64, strict=False)
    _fail(joined, value.is_null() | value.is_nan(), "value {value!r} is not a number")
    start = apple_times(joined["startDate"])
    end = apple_times(joined["endDate"])
    _fail(
        joined,
        start.is_null(),
        "startDate {startDate!r} is not a time like '2024-03-01 08:15:00 +0100'",
    )
    _fail(
        joined, end.is_null(), "endDate {endDate!r} is not a time like '2024-03-01 08:15:00 +0100'"
    )
    _fail(joined, end < start, "the record ends ({endDate}) before it starts")
    si = value * joined["_factor"]
    _fail(
        joined,
        (si < joined["_low"]) | (si > joined["_high"]),
        "value {value} {unit} is outside the plausible range for {type}",
    )
    # repeated text as Categorical: a few bytes a row in memory; the loader stores strings
    return pl.DataFrame(
        {
            "participant_id": pl.repeat(participant_id, joined.height, eager=True),
            "metric": joined["_metric"].cast(pl.Categorical),
            "start_at": start,
            "end_at": end,
            "value": si,
            "unit": joined["_si"].cast(pl.Categorical),
            "source": joined["sourceName"].fill_null("").cast(pl.Categorical),
            "device": device_label(joined["device"]).cast(pl.Categorical),
        }
    )


def _time(text: str | None, what: str, where: str) -> datetime:
    try:
        return datetime.strptime(text or "", APPLE_TIME)
    except ValueError as exc:
        raise IngestError(
            f"{what} {text!r} is not a time like '2024-03-01 08:15:00 +0100'", where
        ) from exc


def _number(text: str | None, what: str, where: str) -> float:
    try:
        return float(text or "")
    except ValueError as exc:
        raise IngestError(f"{what} {text!r} is not a number", where) from exc


def activity_name(kind: str) -> str:
    """``HKWorkoutActivityTypeTraditionalStrengthTraining`` -> ``traditional_strength_training``."""
    short = kind.removeprefix("HKWorkoutActivityType")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", short).lower() or "unknown"


def _distance(workout: Workout, where: str) -> float | None:
    """Total distance in m: the ``totalDistance`` attribute, else a Distance* statistic."""
    attrs = workout.attributes
    if attrs.get("totalDistance"):
        total, unit = attrs["totalDistance"], attrs.get("totalDistanceUnit", "")
    else:
        stats = [s for k, s in sorted(workout.statistics.items()) if "Distance" in k]
        if not stats or not stats[0].get("sum"):
            return None
        total, unit = stats[0]["sum"], stats[0].get("unit", "")
    if unit not in _LENGTH:
        raise IngestError(f"workout distance unit {unit!r} is not a length unit", where)
    return _number(total, "workout distance", where) * _LENGTH[unit]


def workouts_frame(workouts: list[Workout], participant_id: str) -> pl.DataFrame:
    """Canonical ``raw_wearable_workouts`` rows (indoor from the ``HKIndoorWorkout`` entry)."""
    rows = []
    for workout in workouts:
        attrs = workout.attributes
        where = f"Workout at byte {workout.byte}"
        started = _time(attrs.get("startDate"), "startDate", where).astimezone(UTC)
        ended = _time(attrs.get("endDate"), "endDate", where).astimezone(UTC)
        if attrs.get("duration"):
            unit = attrs.get("durationUnit", "min")
            if unit not in _DURATION:
                raise IngestError(f"workout duration unit {unit!r} is not known", where)
            duration = _number(attrs["duration"], "duration", where) * _DURATION[unit]
        else:
            duration = (ended - started).total_seconds()
        indoor_text = workout.metadata.get("HKIndoorWorkout")
        rows.append(
            {
                "participant_id": participant_id,
                "started_at": started,
                "ended_at": ended,
                "activity": activity_name(attrs.get("workoutActivityType", "")),
                "indoor": None if indoor_text is None else indoor_text.strip() in ("1", "true"),
                "duration_s": duration,
                "distance_m": _distance(workout, where),
                "source": attrs.get("sourceName", ""),
                "device": attrs.get("device"),
            }
        )
    schema: dict[str, pl.DataType] = {
        "participant_id": pl.String(),
        "started_at": UTC_DATETIME,
        "ended_at": UTC_DATETIME,
        "activity": pl.String(),
        "indoor": pl.Boolean(),
        "duration_s": pl.Float64(),
        "distance_m": pl.Float64(),
        "source": pl.String(),
        "device": pl.String(),
    }
    frame = pl.DataFrame(
        {
            name: pl.Series(name, [r[name] for r in rows], dtype=dtype)
            for name, dtype in schema.items()
        }
    )
    return frame.with_columns(device_label(frame["device"]).alias("device"))
