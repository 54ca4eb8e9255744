"""Unit conversion to SI at the ingest edge (vendor CSV mappings).

Exact factors: 1 mile = 1609.344 m and 1 foot = 0.3048 m (international yard and pound
agreement, 1959); 1 yard = 0.9144 m. Pace (time per distance) converts to speed as distance /
time. Incline: treadmills state percent grade (rise/run x 100); a value given in degrees is
converted with tan.
"""

from __future__ import annotations

import math

import polars as pl

from toolkit.errors import IngestError

METRE_PER = {"m": 1.0, "km": 1000.0, "mi": 1609.344, "ft": 0.3048, "yd": 0.9144}
SECOND_PER = {"s": 1.0, "min": 60.0, "h": 3600.0}
#: speed unit -> factor to m/s
SPEED = {"m/s": 1.0, "km/h": 1000 / 3600, "kph": 1000 / 3600, "mph": 1609.344 / 3600}
#: pace unit -> metres per unit distance (speed = metres / seconds)
PACE = {"min/km": 1000.0, "min/mi": 1609.344}

KIND_UNITS: dict[str, tuple[str, ...]] = {
    "speed": (*SPEED, *PACE),
    "distance": tuple(METRE_PER),
    "duration": (*SECOND_PER, "clock"),
    "incline": ("percent", "degrees"),
    "number": ("",),
}


def clock_seconds(text: pl.Series) -> pl.Series:
    """``h:mm:ss``, ``mm:ss`` or plain seconds as seconds (null where unreadable)."""
    parts = text.str.split(":")
    n = parts.list.len()

    def part(i: int) -> pl.Expr:
        return pl.col("p").list.get(i, null_on_oob=True).cast(pl.Float64, strict=False)

    frame = pl.DataFrame({"p": parts, "n": n})
    seconds = frame.select(
        pl.when(pl.col("n") == 3)
        .then(part(0) * 3600 + part(1) * 60 + part(2))
        .when(pl.col("n") == 2)
        .then(part(0) * 60 + part(1))
        .otherwise(part(0))
    ).to_series()
    return seconds.alias(text.name)


def to_si(values: pl.Series, kind: str, unit: str, what: str) -> pl.Series:
    """``values`` (already numbers, or clock text for ``clock``) in SI units for ``kind``."""
    if unit not in KIND_UNITS.get(kind, ()):
        raise IngestError(
            f"the mapping gives {what} the unit {unit!r}; {kind} units are "
            f"{', '.join(u for u in KIND_UNITS.get(kind, ()) if u)}"
        )
    if kind == "speed" and unit in PACE:
        minutes = values
        return (PACE[unit] / (minutes * 60)).alias(values.name)
    if kind == "speed":
        return values * SPEED[unit]
    if kind == "distance":
        return values * METRE_PER[unit]
    if kind == "duration":
        return values if unit == "clock" else values * SECOND_PER[unit]
    if kind == "incline" and unit == "degrees":
        return (values * (math.pi / 180)).tan() * 100
    return values
