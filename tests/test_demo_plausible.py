"""The demo generator never writes a value the plausibility rules quarantine or reject.

Checked on the generator's output without loading it into a study: every raw file is parsed
by its format module and each parsed table is run through
:func:`toolkit.ingest.core.plausibility.violations`, at a few seeds and sizes; the Fitbit
writer (which once wrote 1,000-step minutes) is also run for many participants at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from retrowalk_demo.build import write_raw
from retrowalk_demo.model import DemoModel
from retrowalk_demo.simulate import simulate
from retrowalk_demo.write_wearables import write_fitbit
from toolkit.errors import IngestError
from toolkit.ingest import fitbit
from toolkit.ingest.core.model import ParseContext, ParticipantInfo
from toolkit.ingest.core.plausibility import violations
from toolkit.ingest.core.registry import HEAD_BYTES, detect
from toolkit.ingest.core.sources import SourceFile, expand

#: a moment after every generated date (the demo writes 2025-2026 study dates)
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _parse_all(raw: Path, workdir: Path) -> dict[str, pl.DataFrame]:
    """Every raw file parsed; returns the rules' findings per file (empty frames: none)."""
    sources = [s for s in expand([raw], workdir) if isinstance(s, SourceFile)]
    planned = sorted(
        ((m, s) for s in sources if (m := detect(s.head(HEAD_BYTES), s.name)) is not None),
        key=lambda pair: pair[0].LOAD_ORDER,
    )
    participants: dict[str, ParticipantInfo] = {}
    found: dict[str, pl.DataFrame] = {}
    for module, source in planned:
        ctx = ParseContext(source.name, "sha", source.parts, dict(participants))
        try:
            parsed = module.parse(source.path, ctx)
        except IngestError as exc:
            assert source.path.name == "late_entries.csv", (source.name, exc)
            continue  # the demo's one deliberate rejection (a score of 12)
        roster = parsed.tables.get("raw_participants")
        if roster is not None:
            participants |= {
                r["participant_id"]: ParticipantInfo(
                    r["participant_id"], r["timezone"], r["enrolled_on"]
                )
                for r in roster.iter_rows(named=True)
            }
        for table, frame in parsed.tables.items():
            found[f"{source.name} {table}"] = violations(table, frame, now=NOW)
    return found


@pytest.mark.parametrize(("participants", "seed"), [(60, 1), (160, 20261125)])
def test_demo_files_break_no_plausibility_rule(
    tmp_path: Path, participants: int, seed: int
) -> None:
    raw = tmp_path / "raw"
    write_raw(raw, participants, seed)
    found = _parse_all(raw, tmp_path / "work")
    assert any("raw_wearable_samples" in k for k in found)  # wearables were checked
    broken = {k: f.head(3).to_dicts() for k, f in found.items() if f.height}
    assert broken == {}


@pytest.mark.slow
def test_the_fitbit_writer_stays_plausible_for_many_participants(tmp_path: Path) -> None:
    people = simulate(300, 7, DemoModel())
    rng = np.random.default_rng(7)
    infos = {
        p.participant_id: ParticipantInfo(p.participant_id, p.site.timezone, p.enrolled_on)
        for p in people
    }
    minutes = 0
    for person in people:
        for path in write_fitbit(tmp_path, person, rng):
            if not path.name.startswith("steps-"):
                continue
            parts = ("raw", "wearables", person.participant_id, "Fitbit", path.name)
            ctx = ParseContext(str(path), "sha", parts, infos)
            frame = fitbit.parse(path, ctx).tables["raw_wearable_samples"]
            minutes += frame.height
            assert violations("raw_wearable_samples", frame, now=NOW).height == 0
    assert minutes > 300 * 80 * 6 * 6  # every participant, every day, at least 6 minutes a block


def test_the_demo_study_quarantines_nothing(demo_study: Path) -> None:
    from toolkit import open_study

    with open_study(demo_study, read_only=True) as study:
        assert study.sql("select count(*) from quarantine").item() == 0
        statuses = study.sql("select distinct status from ingest_log")["status"].to_list()
    assert set(statuses) == {"loaded", "rejected"}  # late_entries.csv only (see conftest)
