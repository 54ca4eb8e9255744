"""Read and validate files in worker processes while the main process writes to the study.

Parsing is pure (a file in, polars frames out; :func:`~toolkit.ingest.core.loader.
validate_file`), so it runs in a ``concurrent.futures`` process pool; only the main process
holds the DuckDB connection. Workers are started with ``spawn`` (a fork of a process with
DuckDB and polars thread pools running can deadlock). The participants a parser may link to
reach the workers as a pickled snapshot file, read once per worker and snapshot, so a task
carries only its file.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import types
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import Any

import polars as pl
import pyarrow as pa

from toolkit.ingest.core.loader import Validated, validate_file
from toolkit.ingest.core.model import ParticipantInfo
from toolkit.ingest.core.registry import FormatModule, by_name
from toolkit.ingest.core.sources import SourceFile

#: Environment variable that sets the number of parse workers (0: parse in the main process).
WORKERS_ENV = "RETROWALK_INGEST_WORKERS"
#: Fewer files than this are parsed in the main process: starting workers costs about a second.
PARALLEL_MIN_FILES = 64


def default_workers(files: int) -> int:
    """Workers for a batch of ``files``: ``$RETROWALK_INGEST_WORKERS``, else up to 2 when the
    machine has more than one core and the batch is large enough to repay the start-up."""
    configured = os.environ.get(WORKERS_ENV, "").strip()
    if configured:
        return max(0, int(configured))
    cores = os.cpu_count() or 1
    return min(2, cores) if cores > 1 and files >= PARALLEL_MIN_FILES else 0


class Validator:
    """Validates files in ``workers`` processes (or inline with 0), one future per file."""

    def __init__(self, workers: int, scratch: Path, *, salvage: bool = False) -> None:
        self.salvage = salvage
        self._scratch = scratch
        self._snapshot: Path | None = None
        self._participants: Mapping[str, ParticipantInfo] = {}
        self._version = 0
        self._pool: ProcessPoolExecutor | None = None
        if workers > 0:
            self._pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn")
            )
            with _main_hidden():  # each submit to a pool short of workers starts one
                for warm_up in [self._pool.submit(int) for _ in range(workers)]:
                    warm_up.result()

    def set_participants(self, participants: Mapping[str, ParticipantInfo]) -> None:
        """Files submitted from now on are parsed knowing ``participants``."""
        self._participants = dict(participants)
        if self._pool is not None:
            self._version += 1
            self._snapshot = self._scratch / f"participants-{self._version}.pickle"
            with self._snapshot.open("wb") as handle:
                pickle.dump(self._participants, handle, protocol=pickle.HIGHEST_PROTOCOL)

    def submit(self, source: SourceFile, sha: str, module: FormatModule | None) -> Future[Any]:
        """Start validating ``source``; the future holds its :class:`Validated`."""
        fmt = module.FORMAT if module is not None else None
        if self._pool is not None and self._snapshot is not None:
            try:
                return self._pool.submit(
                    _validate_in_worker, source, sha, fmt, str(self._snapshot), self.salvage
                )
            except (BrokenProcessPool, RuntimeError):
                self._pool = None  # a worker died (out of memory?): go on in this process
        done: Future[Any] = Future()
        done.set_result(self.inline(source, sha, module))
        return done

    def result(
        self, future: Future[Any], source: SourceFile, sha: str, module: FormatModule | None
    ) -> Validated:
        """The future's result; if its worker failed, the file validated in this process."""
        try:
            outcome = future.result()
            return outcome if isinstance(outcome, Validated) else _received(outcome)
        except (BrokenProcessPool, OSError, pickle.PickleError, EOFError):
            self._pool = None
            return self.inline(source, sha, module)

    def inline(self, source: SourceFile, sha: str, module: FormatModule | None) -> Validated:
        """Validate ``source`` in this process."""
        return validate_file(source, sha, self._participants, module, salvage=self.salvage)

    def close(self) -> None:
        """Stop the workers."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Validator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@contextmanager
def _main_hidden() -> Iterator[None]:
    """Start workers that do not re-run the caller's script.

    A ``spawn`` child re-imports the parent's ``__main__`` from its file, running a script's
    unguarded top level (a second ingest into the same study). With an anonymous ``__main__``
    while the workers start, they import only what a task needs (this module).
    """
    real = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = real


@lru_cache(maxsize=2)
def _snapshot(path: str) -> dict[str, ParticipantInfo]:
    with open(path, "rb") as handle:
        participants: dict[str, ParticipantInfo] = pickle.load(handle)
    return participants


def _validate_in_worker(
    source: SourceFile, sha: str, fmt: str | None, snapshot: str, salvage: bool
) -> tuple[Validated, dict[str, pa.Table]]:
    """Validate in a worker; frames travel back as Arrow tables (pickling a polars frame in a
    worker process was seen to hang in polars' own serialiser)."""
    module = by_name(fmt) if fmt is not None else None
    checked = validate_file(source, sha, _snapshot(snapshot), module, salvage=salvage)
    tables = {name: frame.to_arrow() for name, frame in checked.frames.items()}
    return Validated(checked.result, {}, checked.error), tables


def _received(shipped: tuple[Validated, dict[str, pa.Table]]) -> Validated:
    checked, tables = shipped
    frames = {name: pl.DataFrame(pl.from_arrow(table)) for name, table in tables.items()}
    return Validated(checked.result, frames, checked.error)
