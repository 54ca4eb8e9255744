"""The Overview's study-wide summaries, kept between server starts for the same study and code.

Why: the first page needs, before its first chart, the sidebar's filter choices and the
everyone-cohort's participant flow and data completeness. Computing them reads the slowest
views (``outcomes``; ``participant_data``, which counts ``wearable_daily`` rows and so converts
every wearable sample to local time): seconds on a 1,000-participant study, far more on 10,000,
against a goal of 3 s from server start to charts drawn. They change only when the study file
or the code that derives them changes, so a restart on an unchanged study reads them back
instead (the first start after an ingest still computes them, once).

What is kept: only study-level summaries (the filter choices: arm, condition, sex and site
levels, age/BMI/enrolment ranges, instruments, number of participants; and per-arm counts of the
flow and completeness tables) — no participant's rows or ids. They sit in this user's private
dashboard folder for the study (mode 0700, the folder of its snapshots), each file mode 0600,
named by a key made of the study file's stamp (modification time and size of the file and its
write-ahead log: the snapshot version) and a stamp of the toolkit's and dashboard's source
files. Writing an entry removes entries of any other key, so at most one study state is kept.

Entries are Arrow IPC files (frames) and a JSON manifest written last, each by rename, so a
reader sees a whole entry or none; anything unreadable counts as absent (computed again).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

PREFIX = "first-page-"
_CODE_SUFFIXES = (".py", ".sql", ".toml")


@functools.cache
def code_stamp() -> str:
    """A digest of the name, size and modification time of every source file of the toolkit
    and the dashboard: a changed derivation never serves a summary kept by older code."""
    import toolkit

    digest = hashlib.sha1()
    for root in (Path(toolkit.__file__).parent, Path(__file__).parent):
        for folder, subfolders, files in os.walk(root):
            subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
            for name in sorted(files):
                if name.endswith(_CODE_SUFFIXES):
                    info = os.stat(os.path.join(folder, name))
                    where = os.path.relpath(os.path.join(folder, name), root.parent)
                    digest.update(f"{where}:{info.st_size}:{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _private_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write ``path`` through a 0600 temporary file renamed into place (whole or absent)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    os.close(fd)
    try:
        write(temporary)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _ipc_writer(table: pl.DataFrame) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        table.write_ipc(path, compression="uncompressed")

    return write


class FirstPageStore:
    """Kept summaries of one study (``folder``: its private dashboard folder) at ``version``."""

    def __init__(self, folder: Path, version: str) -> None:
        self.folder = folder
        self.key = hashlib.sha1(f"{version}|{code_stamp()}".encode()).hexdigest()[:16]

    def _path(self, name: str, part: str) -> Path:
        return self.folder / f"{PREFIX}{self.key}-{name}.{part}"

    def get(self, name: str) -> tuple[dict[str, Any], dict[str, pl.DataFrame]] | None:
        """The JSON values and frames kept as ``name``, or None (absent or unreadable)."""
        try:
            manifest = json.loads(self._path(name, "json").read_text(encoding="utf-8"))
            frames = {
                frame: pl.read_ipc(self._path(name, f"{frame}.arrow"), memory_map=False)
                for frame in manifest["frames"]
            }
            return manifest["values"], frames
        except (OSError, ValueError, KeyError, TypeError, pl.exceptions.PolarsError):
            return None

    def put(self, name: str, values: dict[str, Any], frames: dict[str, pl.DataFrame]) -> None:
        """Keep ``values`` (JSON-able) and ``frames`` as ``name``; drop other keys' entries.
        Failing to write (a full disk, a read-only folder) only means no entry."""
        if not self.folder.is_dir():
            return
        with contextlib.suppress(OSError, pl.exceptions.PolarsError):
            self._drop_other_keys()
            for frame, table in frames.items():
                _private_write(self._path(name, f"{frame}.arrow"), _ipc_writer(table))
            manifest = json.dumps({"values": values, "frames": list(frames)})

            def write_manifest(path: Path) -> None:
                path.write_text(manifest, encoding="utf-8")

            _private_write(self._path(name, "json"), write_manifest)

    def _drop_other_keys(self) -> None:
        for path in self.folder.glob(f"{PREFIX}*"):
            if not path.name.startswith(f"{PREFIX}{self.key}-"):
                path.unlink(missing_ok=True)


# --- the sidebar's filter options as JSON (tuples and dates restored on reading) -------------


def options_to_json(options: dict[str, Any]) -> dict[str, Any]:
    """``filter_options`` as JSON values (ranges as lists, dates as ISO text)."""
    out = dict(options)
    for name in ("age", "bmi"):
        out[name] = list(options[name]) if options[name] is not None else None
    enrolled = options["enrolled"]
    out["enrolled"] = [d.isoformat() for d in enrolled] if enrolled is not None else None
    return out


def options_from_json(values: dict[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`options_to_json`."""
    out = dict(values)
    for name in ("age", "bmi"):
        out[name] = tuple(float(v) for v in values[name]) if values[name] is not None else None
    enrolled = values["enrolled"]
    out["enrolled"] = (
        tuple(date.fromisoformat(v) for v in enrolled) if enrolled is not None else None
    )
    return out


def remembered(
    store: FirstPageStore | None,
    name: str,
    compute: Callable[[], tuple[dict[str, Any], dict[str, pl.DataFrame]]],
) -> tuple[dict[str, Any], dict[str, pl.DataFrame]]:
    """The entry ``name`` of ``store`` if kept, else ``compute()`` (then kept)."""
    if store is not None:
        found = store.get(name)
        if found is not None:
            return found
    values, frames = compute()
    if store is not None:
        store.put(name, values, frames)
    return values, frames


# --- what the dashboard's cached functions call ---------------------------------------------


def store_for(source: str, version: str) -> FirstPageStore | None:
    """The kept summaries of study ``source`` at ``version``, in its private dashboard folder
    (None before the folder exists, i.e. before the first snapshot)."""
    from dashboard.connection import snapshot_manager

    folder = snapshot_manager(source).folder
    return FirstPageStore(folder, version) if folder.is_dir() else None


def kept_options(
    source: str, version: str, compute: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """The sidebar's filter options: kept, else ``compute()`` (then kept). Both ways go
    through JSON, so a kept and a fresh result are the same values."""
    values, _ = remembered(
        store_for(source, version), "filter-options", lambda: (options_to_json(compute()), {})
    )
    return options_from_json(values)


def kept_frames(
    source: str,
    version: str,
    cohort_json: str,
    name: str,
    compute: Callable[[], dict[str, pl.DataFrame]],
) -> dict[str, pl.DataFrame]:
    """``compute()``; for the everyone-cohort, kept as ``name`` between server starts."""
    from toolkit.cohorts import Cohort

    if not Cohort.from_json(cohort_json).is_everyone():
        return compute()
    return remembered(store_for(source, version), name, lambda: ({}, compute()))[1]


def kept_frame(
    source: str, version: str, cohort_json: str, name: str, compute: Callable[[], pl.DataFrame]
) -> pl.DataFrame:
    """:func:`kept_frames` for one frame."""
    return kept_frames(source, version, cohort_json, name, lambda: {"frame": compute()})["frame"]
