"""Garmin Connect activity list CSV (``Activities.csv`` from Activities > Export CSV).

Columns used: ``Activity Type`` (e.g. ``Walking``, ``Treadmill Running``, ``Indoor Walking``),
``Date`` (local start time, ``2024-03-01 08:15:00``) and ``Time`` (duration ``hh:mm:ss``,
``mm:ss`` or with fractional seconds). Each row becomes a ``raw_wearable_workouts`` row:
activity in snake case (``treadmill_running``), indoor true when the type names a treadmill or
indoor activity (unknown otherwise, never guessed), source ``Garmin Connect``.

``Date`` carries no UTC offset, so it is read in the participant's roster time zone; a time that
does not exist or is ambiguous there (daylight-saving change) rejects the file. ``Distance`` is
not stored: Garmin writes it in the account's display unit (km or miles) without saying which;
rows with a distance are counted in the note ``garmin_distance_unit_unknown``. FIT files from
Garmin devices are read by the FIT reader, not here. The file is linked to a participant by its
path (:mod:`toolkit.ingest.core.linkage`).

Garmin translates the header into the account's language. The header vocabularies live in
``toolkit/ingest/garmin_headers/<language>.toml`` (English and Danish shipped; only headers seen
in real exports): a user adds a language by adding a file. A file that looks like an activity
list but matches no vocabulary is rejected naming the closest vocabulary and its unmatched
columns.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

from toolkit.errors import IngestError
from toolkit.ingest.core.canonical import LINE, position
from toolkit.ingest.core.csv_text import as_utc_timestamp, header_of, read_text_csv
from toolkit.ingest.core.linkage import link_participant
from toolkit.ingest.core.model import ParseContext, ParsedFile
from toolkit.ingest.core.repeats import drop_exact_repeats

FORMAT = "garmin_csv"
LOAD_ORDER = 30
LOADS: tuple[str, ...] = ("raw_wearable_workouts", "raw_source_links")
#: every export holds the participant's whole history so far: with ``ingest --replace`` a
#: newer export of the same participant replaces the earlier one (toolkit.ingest.core.loader)
CUMULATIVE = True
SOURCE = "Garmin Connect"
#: vocabulary keys every export must have
REQUIRED = ("activity_type", "date", "time")
HEADERS = Path(__file__).with_name("garmin_headers")
#: a header sharing this many columns with a vocabulary is read as a (mistranslated) export
_NEAR = 4


@dataclass(frozen=True)
class Vocabulary:
    """One language's header names: vocabulary key -> header (lower case)."""

    language: str
    headers: dict[str, str]

    def matched(self, header: list[str]) -> int:
        """How many of this vocabulary's headers the file's header has."""
        return len(set(self.headers.values()) & set(header))

    def fits(self, header: list[str]) -> bool:
        """Whether every required column and a title or distance are present."""
        present = set(header)
        return all(self.headers.get(k) in present for k in REQUIRED) and (
            self.headers.get("title") in present or self.headers.get("distance") in present
        )


@cache
def vocabularies(folder: Path = HEADERS) -> tuple[Vocabulary, ...]:
    """Every shipped header vocabulary, in file-name order."""
    out = []
    for path in sorted(folder.glob("*.toml")):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        headers = {k: str(v).strip().lower() for k, v in raw["headers"].items()}
        out.append(Vocabulary(raw.get("language", path.stem), headers))
    return tuple(out)


def vocabulary_for(header: list[str]) -> Vocabulary | None:
    """The vocabulary whose required columns the header has, or None."""
    return next((v for v in vocabularies() if v.fits(header)), None)


_USED = ("activity_type", "date", "time", "distance")
_DURATION = r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$"


def sniff(head: bytes, name: str) -> bool:
    """A CSV whose header is a Garmin Connect activity list in a known language, or close to
    one (then :func:`parse` says which columns did not match)."""
    header = header_of(head)
    if vocabulary_for(header) is not None:
        return True
    return max((v.matched(header) for v in vocabularies()), default=0) >= _NEAR


def _closest_error(header: list[str]) -> IngestError:
    best = max(vocabularies(), key=lambda v: v.matched(header))
    missing = [best.headers[k] for k in REQUIRED if best.headers.get(k) not in header]
    unmatched = [c for c in header if c not in set(best.headers.values())]
    return IngestError(
        f"this looks like a Garmin Connect activity list, but its header matches no language "
        f"vocabulary; the closest is {best.language}, which lacks {', '.join(missing) or '-'}; "
        f"unmatched columns: {', '.join(unmatched) or '-'}. Add a vocabulary file for the "
        f"export's language to {HEADERS}",
        "line 1",
    )


def _durations(text: pl.DataFrame) -> pl.Series:
    parts = text["time"].str.extract_groups(_DURATION).struct.unnest()
    seconds = (
        parts[parts.columns[0]].cast(pl.Float64).fill_null(0) * 3600
        + parts[parts.columns[1]].cast(pl.Float64) * 60
        + parts[parts.columns[2]].cast(pl.Float64)
    )
    bad = seconds.is_null()
    if bad.any():
        row = int(bad.arg_true()[0])
        raise IngestError(
            f"{text['time'][row]!r} is not a duration like 00:25:13", position(text, row, "Time")
        )
    return seconds


def parse(path: Path, ctx: ParseContext) -> ParsedFile:
    """Read Garmin Connect activities into ``raw_wearable_workouts`` rows."""
    participant = link_participant(ctx, "a Garmin Connect activity export")
    text = read_text_csv(path)
    vocabulary = vocabulary_for(list(text.columns))
    if vocabulary is None:
        raise _closest_error([c for c in text.columns if c != LINE])
    # the vocabulary's headers renamed to the English keys used below
    text = text.rename(
        {h: k for k, h in vocabulary.headers.items() if h in text.columns and k in _USED}
    )
    zone = ctx.participants[participant].timezone
    zones = pl.Series("timezone", [zone] * text.height, dtype=pl.String)
    started = as_utc_timestamp(text, "date", zones=zones)
    duration = _durations(text)
    kinds = text["activity_type"]
    if kinds.is_null().any():
        row = int(kinds.is_null().arg_true()[0])
        raise IngestError("an activity type is required", position(text, row, "Activity Type"))
    lowered = kinds.str.to_lowercase()
    indoor = [True if ("treadmill" in v or "indoor" in v) else None for v in lowered.to_list()]
    frame = pl.DataFrame(
        {
            "participant_id": pl.Series([participant] * text.height, dtype=pl.String),
            "started_at": started,
            "ended_at": started + pl.Series(duration * 1e6).cast(pl.Duration("us")),
            "activity": lowered.str.strip_chars().str.replace_all(r"[^a-z0-9]+", "_"),
            "indoor": pl.Series(indoor, dtype=pl.Boolean),
            "duration_s": duration,
            "distance_m": pl.Series([None] * text.height, dtype=pl.Float64),
            "source": pl.Series([SOURCE] * text.height, dtype=pl.String),
            "device": pl.Series([None] * text.height, dtype=pl.String),
            LINE: text[LINE],
        }
    )
    unique, repeated = drop_exact_repeats(frame, "raw_wearable_workouts", "activities")
    with_distance = int(text["distance"].is_not_null().sum()) if "distance" in text.columns else 0
    notes = {"duplicate_workouts_dropped": repeated}
    if with_distance:
        notes["garmin_distance_unit_unknown"] = with_distance
    return ParsedFile({"raw_wearable_workouts": unique}, notes=notes)
