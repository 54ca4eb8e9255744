"""Every damaged copy of every file type is loaded whole or rejected with a reason (issue 11,
item 17). The corpus (``tests/ingest/mutations.py``) has 843 mutations of the demo's files and
five shared real exports; the full run is marked ``slow``, a sample runs in the fast part.

For each mutation: never a traceback ("reader failure"), never a silent 0-row load, never a
partly loaded file (a load writes exactly the rows it reports; a rejection leaves none), and a
rejection names its file and a position in words. Mutations whose damage is always visible
must be rejected; mutations that keep the content must load the same rows (or be rejected).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from retrowalk_demo.build import write_raw
from tests.conftest import SHARED_FIXTURES
from tests.ingest.mutations import COMPANIONS, TARGETS, Mutation, find_target, mutations
from toolkit import open_study
from toolkit.ingest.core.loader import FileResult
from toolkit.study import Study

FLIPS = 17
#: One telling mutation per target, and every mutation that once failed, run in the fast part.
SAMPLE = {
    ("roster", "cut_in_record_40"),
    ("treadmill_segments", "bad_number"),
    ("treadmill_samples", "huge_number"),
    ("pain_visits", "bad_time"),
    ("pain_diary", "utf16"),
    ("redcap_data", "unbalanced_quote"),
    ("redcap_events", "duplicate_header_column"),
    ("direction_manifest", "reorder_columns"),
    ("fit", "truncate_half"),
    ("tcx", "truncate_90"),
    ("fitbit_json", "bad_number"),
    ("apple_zip", "flip_byte_0"),
    ("real_fit", "delete_span"),
    ("real_tcx", "nul_byte"),
    # each of these failed when the corpus was first run (a traceback or a wrong load)
    ("treadmill_segments", "huge_number"),  # 1e300 as a segment number: a polars cast error
    ("direction_manifest", "huge_number"),  # the same for a lap number
    ("redcap_data", "duplicate_header_column"),  # a repeated record_id column loaded
    ("fitbit_json", "huge_number"),  # 1e300 active minutes loaded without a word
    ("apple_zip", "flip_byte_4"),  # a damaged deflate stream stopped the whole batch
    ("real_apple_xml", "nul_byte"),  # a NUL byte in an Apple export loaded
}
CASES = [
    pytest.param(
        target,
        m.name,
        id=f"{target}-{m.name}",
        marks=() if (target, m.name) in SAMPLE else (pytest.mark.slow,),
    )
    for target, (_, _, kind) in TARGETS.items()
    for m in mutations(kind, FLIPS)
]


@dataclass
class Target:
    """One target file, its study (roster loaded) and what the unmutated file loads."""

    path: Path
    relative: Path
    companions: list[Path]
    study: Study
    rows: int


class Corpus:
    """Targets found in the demo's files and the shared folder, each with its own study."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.demo = root / "raw"
        write_raw(self.demo, 24, 3)
        real = SHARED_FIXTURES / "real"
        self.real = real if real.is_dir() else None
        self.targets: dict[str, Target] = {}

    def target(self, name: str) -> Target:
        if name not in self.targets:
            self.targets[name] = self._prepare(name)
        return self.targets[name]

    def _prepare(self, name: str) -> Target:
        path = find_target(name, self.demo, self.real)
        if path is None:
            pytest.skip(f"no {name} file: the shared real fixtures are absent at {SHARED_FIXTURES}")
        base = self.demo if TARGETS[name][0] == "demo" else self.real
        assert base is not None
        companions = [
            found
            for pattern in COMPANIONS.get(name, ())
            for found in sorted(path.parent.glob(pattern))
        ]
        study = open_study(self.root / f"{name}.duckdb")
        roster = self.root / "rosters" / "roster.csv"
        if not roster.exists():
            roster.parent.mkdir(parents=True)
            shutil.copyfile(self.demo / "roster.csv", roster)
            (self.root / "rosters" / "real_roster.csv").write_text(
                "participant_id,arm,condition,enrolled_on,timezone\n"
                "fit,retro,knee_oa,2000-01-01,UTC\ntcx,retro,knee_oa,2000-01-01,UTC\n"
                "apple_health,retro,knee_oa,2000-01-01,UTC\n"
            )
        # demo files link to the demo's roster; real files (and the roster target, which is
        # its own participants) to the real folders' names (apart: the demo's Apple archive
        # holds an apple_health_export folder, which names the real 'apple_health' too)
        real_roster = name == "roster" or TARGETS[name][0] == "real"
        first = [roster.parent / ("real_roster.csv" if real_roster else "roster.csv")]
        assert study.ingest(first, progress=False).exit_code == 0
        target = Target(path, path.relative_to(base), companions, study, 0)
        results = self.ingest(target, "original", path.read_bytes())
        assert results and all(r.status == "loaded" for r in results), [
            (r.path, r.error) for r in results
        ]
        target.rows = sum(sum(r.rows.values()) for r in results)
        remove_loaded(study, results)
        return target

    def ingest(self, target: Target, case: str, data: bytes) -> list[FileResult]:
        """Ingest ``data`` as the target file (companions beside it); the target's results."""
        folder = self.root / "cases" / target.relative.parent.as_posix().replace("/", "_") / case
        shutil.rmtree(folder, ignore_errors=True)
        place = folder / target.relative
        place.parent.mkdir(parents=True)
        place.write_bytes(data)
        for companion in target.companions:
            shutil.copyfile(companion, place.parent / companion.name)
        report = target.study.ingest([folder], progress=False)
        return [r for r in report.files if r.path.split("!")[0] == str(place)]


def remove_loaded(study: Study, results: list[FileResult]) -> None:
    """Take back what the results loaded, so the next mutation starts from the roster."""
    loaded = sorted({r.sha256 for r in results if r.status in ("loaded", "salvaged")})
    if loaded:
        study.remove(loaded)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    built = Corpus(tmp_path_factory.mktemp("mutations"))
    yield built
    for target in built.targets.values():
        target.study.close()


def rows_of(study: Study, sha: str) -> int:
    """Rows with ``source_sha256 = sha`` in every raw table."""
    tables = study.sql(
        "select table_name from information_schema.columns where column_name = 'source_sha256' "
        "and table_name like 'raw_%' and table_name <> 'raw_ingest_log'"
    )["table_name"].to_list()
    return sum(
        int(study.sql(f"select count(*) from {t} where source_sha256 = ?", [sha]).item())
        for t in tables
    )


def check(mutation: Mutation, results: list[FileResult], study: Study, original: int) -> None:
    """The invariants, then what the mutation's expectation demands."""
    assert results, "the mutated file was not even listed in the ingest report"
    for r in results:
        assert r.status in ("loaded", "rejected", "duplicate"), (r.status, r.error)
        assert "reader failure" not in (r.position or ""), r.error
        assert "Traceback" not in (r.error or "")
        if r.status == "rejected":
            assert r.error and r.position, (r.error, r.position)
            assert rows_of(study, r.sha256) == 0, "a rejected file left rows behind"
        elif r.status == "loaded":
            written = rows_of(study, r.sha256)
            assert written == sum(r.rows.values()), (written, r.rows)
            assert written > 0 or any(r.notes.values()), "loaded 0 rows without a note"
    loaded = [r for r in results if r.status == "loaded"]
    rows = sum(sum(r.rows.values()) for r in loaded)
    if mutation.expect == "reject":
        assert not loaded or rows == 0, (
            f"expected a rejection, got {[(r.status, r.rows, r.notes) for r in results]}"
        )
    elif mutation.expect == "reject_or_notes":
        assert all(any(r.notes.values()) for r in loaded), [r.notes for r in loaded]
    elif mutation.expect == "same":
        assert not loaded or rows == original, (rows, original)


@pytest.mark.parametrize(("target_name", "mutation_name"), CASES)
def test_a_mutated_file_is_loaded_whole_or_rejected_with_a_reason(
    corpus: Corpus, target_name: str, mutation_name: str
) -> None:
    target = corpus.target(target_name)
    [mutation] = [m for m in mutations(TARGETS[target_name][2], FLIPS) if m.name == mutation_name]
    data = mutation.apply(target.path.read_bytes())
    if data is None:
        pytest.skip(f"{mutation_name} does not apply to {target.relative}")
    results = corpus.ingest(target, f"{target_name}-{mutation_name}", data)
    try:
        check(mutation, results, target.study, target.rows)
    finally:
        remove_loaded(target.study, results)


def test_the_corpus_has_the_issues_size() -> None:
    assert len(CASES) >= 695
