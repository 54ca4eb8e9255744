"""Apply direction manifests to one session: cut it into intervals, or keep its laps for the views
to label (``int_segment_directions``).

Used by the device-export parsers (FIT, TCX, vendor CSV). Discovery: manifests are the CSV
files with ``direction`` in their name (``directions.csv``, ``P001_direction_log.csv``) in the
export's folder or any folder above it inside what was ingested; outer ones are applied first,
so a manifest next to the files overrides one further up.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import UTC_DATETIME
from toolkit.ingest.core.linkage import ManifestLink, link_participant
from toolkit.ingest.core.model import ParseContext
from toolkit.ingest.direction.rules import Rule, read_manifest

SEGMENT_COLUMNS = (
    "segment",
    "direction",
    "started_at",
    "duration_s",
    "distance_m",
    "mean_speed_mps",
    "incline_pct",
)


def visible_manifests(path: Path, parts: tuple[str, ...]) -> list[Path]:
    """The direction manifests the export at ``path`` sees, outermost folder first: CSV files
    with ``direction`` in their name in its folder or the folders above it, within what was
    ingested (``parts``: the path below the named folder)."""
    levels = max(1, len(parts) - 1)
    folders = list(path.parents)[:levels]
    return [
        candidate
        for folder in reversed(folders)
        for candidate in sorted(folder.glob("*.csv"))
        if "direction" in candidate.name.lower() and candidate.is_file()
    ]


def manifest_rules(path: Path, parts: tuple[str, ...]) -> list[Rule]:
    """Every manifest rule visible from the export at ``path``, outermost folder first."""
    rules: list[Rule] = []
    for candidate in visible_manifests(path, parts):
        stat = candidate.stat()
        try:
            rules.extend(_read_cached(candidate.resolve(), stat.st_mtime_ns, stat.st_size))
        except IngestError as exc:
            where = f", {exc.position}" if exc.position else ""
            raise IngestError(
                f"the direction manifest {candidate.name} beside this file cannot be "
                f"used ({exc.message}{where}); fix it and ingest again"
            ) from exc
    return rules


@lru_cache(maxsize=64)
def _read_cached(path: Path, mtime_ns: int, size: int) -> tuple[Rule, ...]:
    """A manifest's rules, read once per version of the file (many exports share one)."""
    return tuple(read_manifest(path))


def linked_participant(rules: list[Rule], path: Path) -> ManifestLink | None:
    """The participant a manifest links this file to (the last matching rule that says)."""
    found = None
    resolved = path.resolve()
    for rule in rules:
        if (
            rule.participant_id is not None
            and rule.file is not None
            and rule.matches(resolved, None)
        ):
            found = ManifestLink(rule.participant_id, f"{rule.source} line {rule.line}")
    return found


def participant_for(path: Path, ctx: ParseContext, rules: list[Rule]) -> str:
    """The participant a device export belongs to, by the one linkage rule
    (:func:`toolkit.ingest.core.linkage.link_participant`), a direction manifest's
    ``participant_id`` counting as a manifest link."""
    return link_participant(ctx, "this file", linked_participant(rules, path))


def label_session(
    path: Path,
    session_id: str,
    started_at: object,
    duration_s: float,
    laps: pl.DataFrame,
    samples: pl.DataFrame,
    rules: list[Rule],
) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    """Segments and samples of one session, and how they were labelled.

    A session named by a manifest's time range or interval plan is cut into those intervals
    here (labelling ``intervals``; segments and samples carry the painted directions). Any
    other session keeps its laps as the export recorded them, direction ``unknown`` and
    samples without a direction (labelling ``laps``): the ``sessions`` and
    ``treadmill_samples`` views label them from the stored manifests, so a corrected manifest
    relabels them without re-ingesting the export.

    ``laps`` has the segment columns except ``direction``; ``samples`` has ``recorded_at``,
    ``speed_mps``, ``distance_m``, ``incline_pct`` and others.
    """
    resolved = path.resolve()
    mine = [r for r in rules if r.matches(resolved, session_id)]
    timed = [r for r in mine if r.plan is not None or r.start_s is not None]
    if timed:
        segments = _intervals(started_at, duration_s, samples, timed).select(SEGMENT_COLUMNS)
        return segments, _sample_directions(samples, segments), "intervals"
    segments = laps.with_columns(pl.lit("unknown", dtype=pl.String).alias("direction"))
    unlabelled = samples.with_columns(pl.lit(None, dtype=pl.String).alias("direction"))
    return segments.select(SEGMENT_COLUMNS), unlabelled, "laps"


def _intervals(
    started_at: object, duration_s: float, samples: pl.DataFrame, rules: list[Rule]
) -> pl.DataFrame:
    """Cut the session into labelled intervals (later rules paint over earlier ones)."""
    painted: list[tuple[float, float, str]] = []
    for rule in rules:
        if rule.plan is not None:
            t = 0.0
            while t < duration_s:
                for seconds, direction in rule.plan:
                    if t >= duration_s:
                        break
                    painted.append((t, min(t + seconds, duration_s), direction))
                    t += seconds
        elif rule.start_s is not None and rule.end_s is not None and rule.direction is not None:
            painted.append((rule.start_s, min(rule.end_s, duration_s), rule.direction))
    cuts = sorted({0.0, duration_s, *(a for a, _, _ in painted), *(b for _, b, _ in painted)})
    cuts = [c for c in cuts if 0.0 <= c <= duration_s]
    pieces: list[tuple[float, float, str]] = []
    for a, b in itertools.pairwise(cuts):
        direction = "unknown"
        for lo, hi, d in painted:
            if lo <= a and b <= hi:
                direction = d
        if pieces and pieces[-1][2] == direction and pieces[-1][1] == a and _merge_ok(painted, a):
            pieces[-1] = (pieces[-1][0], b, direction)
        else:
            pieces.append((a, b, direction))
    rows = [_interval_row(i, a, b, d, started_at, samples) for i, (a, b, d) in enumerate(pieces)]
    return pl.DataFrame(
        rows,
        schema={
            "segment": pl.Int32,
            "direction": pl.String,
            "started_at": UTC_DATETIME,
            "duration_s": pl.Float64,
            "distance_m": pl.Float64,
            "mean_speed_mps": pl.Float64,
            "incline_pct": pl.Float64,
        },
        orient="row",
    )


def _merge_ok(painted: list[tuple[float, float, str]], at: float) -> bool:
    """Pieces meeting at ``at`` merge unless a painted interval starts there (a new interval)."""
    return not any(lo == at for lo, _, _ in painted)


def _interval_row(
    index: int, a: float, b: float, direction: str, started_at: object, samples: pl.DataFrame
) -> tuple[object, ...]:
    start = started_at + timedelta(seconds=a)  # type: ignore[operator]
    end = started_at + timedelta(seconds=b)  # type: ignore[operator]
    inside = samples.filter((pl.col("recorded_at") >= start) & (pl.col("recorded_at") < end))
    distance = None
    incline = None
    if inside.height:
        dist = inside["distance_m"].drop_nulls()
        if dist.len() >= 1:
            after = samples.filter(pl.col("recorded_at") >= end)["distance_m"].drop_nulls()
            last = after[0] if after.len() else dist[-1]
            distance = float(last - dist[0])
        elif inside["speed_mps"].drop_nulls().len():
            mean_speed = inside["speed_mps"].fill_null(0).to_numpy().mean()
            distance = float(mean_speed) * (b - a)
        if inside["incline_pct"].drop_nulls().len():
            incline = float(inside["incline_pct"].mean())  # type: ignore[arg-type]
    duration = b - a
    speed = distance / duration if distance is not None and duration > 0 else None
    return (index, direction, start, duration, distance, speed, incline)


def _sample_directions(samples: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """Each sample takes the direction of the segment it falls in (``unknown`` outside all)."""
    if samples.height == 0:
        return samples.with_columns(pl.lit(None, dtype=pl.String).alias("direction"))
    bounds = segments.select(
        pl.col("started_at").alias("_start"),
        (pl.col("started_at") + pl.duration(microseconds=pl.col("duration_s") * 1e6)).alias("_end"),
        pl.col("direction").alias("_direction"),
    ).sort("_start")
    ordered = samples.with_row_index("_row").sort("recorded_at")
    joined = ordered.join_asof(
        bounds, left_on="recorded_at", right_on="_start", strategy="backward"
    )
    direction = (
        pl.when(pl.col("_end").is_not_null() & (pl.col("recorded_at") <= pl.col("_end")))
        .then(pl.col("_direction"))
        .otherwise(pl.lit("unknown"))
    )
    return (
        joined.with_columns(direction.alias("direction"))
        .sort("_row")
        .drop("_row", "_start", "_end", "_direction")
    )
