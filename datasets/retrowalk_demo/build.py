"""Build the demo study: simulate, write raw exports, ingest them."""

from __future__ import annotations

import shutil
from pathlib import Path

from retrowalk_demo.model import DemoModel
from retrowalk_demo.simulate import simulate
from retrowalk_demo.write_devices import split_for_devices, write_devices
from retrowalk_demo.write_redcap import leave_to_redcap, write_redcap
from retrowalk_demo.write_wearables import write_wearables
from retrowalk_demo.writers import (
    write_intercurrent_events,
    write_pain,
    write_quality,
    write_roster,
    write_treadmill_samples,
    write_treadmill_segments,
)
from toolkit.ingest.core.batch import IngestReport
from toolkit.study import open_study


def default_demo_study() -> Path:
    """``datasets/demo/study.duckdb`` in a source checkout, else under the user's data folder."""
    checkout = Path(__file__).resolve().parents[1]
    if (checkout.parent / "pyproject.toml").exists():
        return checkout / "demo" / "study.duckdb"
    return Path.home() / ".local" / "share" / "retrowalk" / "demo" / "study.duckdb"


def write_raw(
    raw: Path,
    participants: int,
    seed: int,
    model: DemoModel | None = None,
    *,
    quality: Path | None = None,
) -> list[Path]:
    """Write the demo's raw export files into ``raw`` (replacing what is there).

    With ``quality``, also write the file with a deliberate error there (replacing that folder);
    it is not among the returned paths, which all ingest cleanly.
    """
    model = model or DemoModel()
    for folder in (raw, quality):
        if folder is not None and folder.exists():
            shutil.rmtree(folder)
    people = simulate(participants, seed, model)
    if quality is not None:
        write_quality(quality, people)
    on_csv, on_devices = split_for_devices(people)  # a few sessions become FIT/TCX files
    paths = [write_roster(raw, people, model)]
    paths += write_treadmill_segments(raw, on_csv)
    paths += write_treadmill_samples(raw, people, seed)
    paths += write_redcap(raw, people, seed)
    paths += write_pain(raw, leave_to_redcap(people))
    paths += write_devices(raw, on_devices, seed)
    paths += write_wearables(raw, people, seed)
    paths += write_intercurrent_events(raw, people, seed)
    return paths


def build_demo(
    study: Path | None = None,
    *,
    participants: int = 200,
    seed: int = 20261125,
    progress: bool | None = None,
    with_bad_file: bool = False,
) -> IngestReport:
    """Write the raw files next to ``study`` (in ``raw/``) and ingest them into a fresh study.

    The file with a deliberate error goes to ``quality/`` beside ``raw/``; it is ingested too
    (and rejected, so the report's exit code is 1) only ``with_bad_file``.
    """
    target = study or default_demo_study()
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in (target, target.with_suffix(target.suffix + ".wal")):
        stale.unlink(missing_ok=True)
    raw, quality = target.parent / "raw", quality_folder(target)
    write_raw(raw, participants, seed, quality=quality)
    with open_study(target) as opened:
        return opened.ingest([raw, quality] if with_bad_file else [raw], progress=progress)


def quality_folder(study: Path) -> Path:
    """Where the demo beside ``study`` keeps its file with a deliberate error."""
    return study.parent / "quality"
