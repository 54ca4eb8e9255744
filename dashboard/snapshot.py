"""Read a study that another process may be writing: a private snapshot copy, refreshed safely.

Why: DuckDB lets one process write a database file and, while it does, no other process may
open that file at all, not even read-only; and a process holding the file open read-only stops
any writer from opening it. A dashboard that kept the study itself open would therefore block
``retrowalk ingest`` for as long as it runs, and could not start while an ingest runs.

So the dashboard never keeps the study open. It copies the study file (and its ``.wal``, if
any) to a private snapshot and opens the copy read-only. Before each script run it compares the
study's modification stamp with the snapshot's; when they differ and no process holds DuckDB's
lock on the study, it takes a new snapshot. While a writer holds the lock, the dashboard keeps
serving the previous snapshot (and says so), so it stays responsive during an ingest.

Because the snapshot is private, it can also be made fast: in a background thread a second copy
gets the views that are slow to compute (timezone conversions, windows, joins over every
segment) stored as tables under their own names, then replaces the first copy. Same content,
same version, so cached results stay valid; queries just get faster once it is done.

The lock test uses ``fcntl(F_GETLK)``, the POSIX advisory lock DuckDB itself takes on the
database file: it asks whether a lock is held without taking one, so it never gets in a
writer's way. POSIX locks held by *this* process are invisible to ``F_GETLK``; the dashboard
holds none on the study (it only ever opens the copy).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import os
import shutil
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from toolkit.db.models import snapshot_views
from toolkit.errors import StudyError
from toolkit.private_temp import user_folder
from toolkit.study import Study, connect, open_study

# struct flock on Linux/BSD x86_64 and aarch64: short l_type, short l_whence, off_t l_start,
# off_t l_len, pid_t l_pid (native alignment pads it to 32 bytes).
_FLOCK = "hhqqi4x"


#: Views stored as tables in a snapshot, in dependency order (each reads the ones before): the
#: models declared with ``snapshot = true`` in ``toolkit/db/models.toml``.
MATERIALIZED_VIEWS = snapshot_views()


def materialize(
    path: Path, on_connect: Callable[[duckdb.DuckDBPyConnection | None], None] | None = None
) -> None:
    """Store the slow views of the study copy at ``path`` as tables (same names, same rows).

    Each view is computed once into ``_snapshot_<view>`` and redefined to read that table, so
    views built on it (``outcomes`` on ``pain_scores``...) read the stored rows too. Only ever
    run on a private copy: the study itself keeps its views. ``on_connect`` is given the
    connection (then None when done), so the caller can interrupt the work.
    """
    conn = connect(path, read_only=False)
    if on_connect:
        on_connect(conn)
    try:
        # A background job: one DuckDB thread, so pages being drawn meanwhile keep the CPUs.
        conn.execute("set threads = 1")
        # Nobody watches this query: no progress bar in the server's terminal.
        conn.execute("set enable_progress_bar = false")
        for view in MATERIALIZED_VIEWS:
            conn.execute(f"create table _snapshot_{view} as select * from {view}")
            conn.execute(f"create or replace view {view} as select * from _snapshot_{view}")
        conn.execute("checkpoint")
    finally:
        if on_connect:
            on_connect(None)
        conn.close()


class StudyBusyError(StudyError):
    """The study is locked by a writer and there is no earlier snapshot to show."""


def lock_holder(path: Path, *, writers_only: bool = True) -> int | None:
    """The id of another process holding DuckDB's lock on ``path``, else None.

    Asks with ``F_GETLK`` whether a lock over the whole file could be granted, without taking
    it: asking for a shared lock finds only writers (``writers_only``, what matters before a
    copy); asking for an exclusive lock also finds read-only users (what matters before we
    write ourselves, since DuckDB then refuses to open the file read-write).
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        wanted = fcntl.F_RDLCK if writers_only else fcntl.F_WRLCK
        query = struct.pack(_FLOCK, wanted, os.SEEK_SET, 0, 0, 0)
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, query)
        l_type, _, _, _, pid = struct.unpack(_FLOCK, answer)
        return None if l_type == fcntl.F_UNLCK else int(pid)
    finally:
        os.close(fd)


def _stamp(path: Path) -> tuple[int, int, int, int]:
    """Modification time and size of the study file and its write-ahead log (0s if absent)."""
    main = path.stat()
    wal = Path(f"{path}.wal")
    try:
        log = wal.stat()
        return main.st_mtime_ns, main.st_size, log.st_mtime_ns, log.st_size
    except FileNotFoundError:
        return main.st_mtime_ns, main.st_size, 0, 0


@dataclass(frozen=True)
class Snapshot:
    """One private copy of the study, open read-only.

    ``version`` identifies the study's content (its stamp) and keys cached query results;
    ``source_modified`` is when the study file last changed; ``taken_at`` when we copied it.
    """

    source: Path
    path: Path
    version: str
    source_modified: datetime
    taken_at: datetime
    study: Study
    materialized: bool = False


@dataclass(frozen=True)
class SnapshotStatus:
    """What :meth:`SnapshotManager.current` found: the snapshot to use and whether the study has
    changed since (``writer_pid`` is the process holding the study's lock, if any)."""

    snapshot: Snapshot
    stale: bool
    writer_pid: int | None


def default_snapshot_folder(source: Path, base: Path | None = None) -> Path:
    """A per-study folder in this user's private dashboard folder under ``base`` (default: the
    system's temporary directory): ``retrowalk-dashboard-<uid>/<digest>``, both mode 0700."""
    digest = hashlib.sha1(str(source.resolve()).encode()).hexdigest()[:12]
    return user_folder("dashboard", base) / digest


def _private_folder(folder: Path) -> None:
    """Create ``folder`` (and parents) and make it 0700: snapshots are identifiable data."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)


def _private_copy(source: Path, target: Path) -> None:
    """Copy ``source`` to a new file ``target`` created mode 0600."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        shutil.copyfileobj(src, out, 1 << 20)


class SnapshotManager:
    """Keeps one current read-only snapshot of ``source`` for this process (thread-safe).

    Parameters
    ----------
    source
        The study file others may write.
    folder
        Where snapshot copies go; defaults to :func:`default_snapshot_folder`.
    fast
        Store the slow views as tables in a background thread after each new snapshot.
    """

    def __init__(self, source: Path, folder: Path | None = None, *, fast: bool = True) -> None:
        self.source = source.resolve()
        self.folder = folder or default_snapshot_folder(self.source)
        self.fast = fast
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int, int] | None = None
        self._snapshot: Snapshot | None = None
        self._serial = 0
        self._worker: threading.Thread | None = None
        self._working: duckdb.DuckDBPyConnection | None = None
        self.materialize_error: str | None = None
        # The background copy runs on a daemon thread, so the server can always exit; a DuckDB
        # query still running when the interpreter tears down aborts the process, so it is
        # interrupted first. Then this process's snapshots are deleted (Ctrl-C and SIGTERM end
        # Streamlit normally, so this runs; after kill -9 the next start sweeps them).
        atexit.register(self.remove_own_files)
        atexit.register(self.stop_background)

    def current(self, *, start_background: bool = True) -> SnapshotStatus:
        """The snapshot to read, refreshed first if the study changed and nobody writes it.

        ``start_background`` False leaves a new snapshot's background materialization to a
        later :meth:`start_background` (the server-start warm-up runs its queries first, so
        the two do not share the CPUs).

        Raises :class:`StudyBusyError` when a writer holds the study and there is no earlier
        snapshot yet (the dashboard started during an ingest).
        """
        if not self.source.exists():
            raise StudyError(f"no study at {self.source}")
        with self._lock:
            stamp = _stamp(self.source)
            if self._snapshot is not None and stamp == self._stamp:
                return SnapshotStatus(self._snapshot, stale=False, writer_pid=None)
            holder = lock_holder(self.source)
            if holder is None and self._refresh(stamp, start_background):
                assert self._snapshot is not None
                return SnapshotStatus(self._snapshot, stale=False, writer_pid=None)
            if self._snapshot is None:
                raise StudyBusyError(
                    f"{self.source} is being written by another process"
                    f"{f' (pid {holder})' if holder else ''}; DuckDB lets no other process read "
                    "it meanwhile. The dashboard opens it as soon as the writer finishes."
                )
            return SnapshotStatus(self._snapshot, stale=True, writer_pid=holder)

    def _refresh(self, stamp: tuple[int, int, int, int], start_background: bool = True) -> bool:
        """Copy the study and open the copy; False if it changed or got locked meanwhile."""
        _private_folder(self.folder)
        self._remove_orphans()
        self._serial += 1
        target = self.folder / f"{os.getpid()}-{self._serial}.duckdb"
        _private_copy(self.source, target)
        wal = Path(f"{self.source}.wal")
        if wal.exists():
            with contextlib.suppress(FileNotFoundError):
                _private_copy(wal, Path(f"{target}.wal"))
        if _stamp(self.source) != stamp or lock_holder(self.source) is not None:
            _remove(target)
            return False
        try:
            study = open_study(target, read_only=True)
        except StudyError:
            _remove(target)
            raise
        previous = self._snapshot
        self._snapshot = Snapshot(
            source=self.source,
            path=target,
            version=f"{stamp[0]}-{stamp[1]}-{stamp[2]}-{stamp[3]}",
            source_modified=datetime.fromtimestamp(max(stamp[0], stamp[2]) / 1e9, tz=UTC),
            taken_at=datetime.now(UTC),
            study=study,
        )
        self._stamp = stamp
        if previous is not None:
            # Sessions still running a query keep the old connection alive (and its file's
            # inode: unlinking an open file is safe on POSIX) until they finish.
            _remove(previous.path)
        self._worker = None
        if start_background:
            self._start_background()
        return True

    def start_background(self) -> None:
        """Start materializing the current snapshot, unless done, running, or not wanted."""
        with self._lock:
            self._start_background()

    def _start_background(self) -> None:
        snapshot = self._snapshot
        if not self.fast or snapshot is None or snapshot.materialized:
            return
        if self._worker is not None:  # started for this snapshot already (maybe finished)
            return
        self._worker = threading.Thread(
            target=self._materialize,
            args=(snapshot,),
            daemon=True,  # see stop_background
            name="retrowalk-snapshot",
        )
        self._worker.start()

    def _materialize(self, snapshot: Snapshot) -> None:
        """Build a fast copy of ``snapshot`` and swap it in, unless a newer one came first."""
        with contextlib.suppress(OSError, AttributeError):
            # Linux nice values are per thread: let the pages' own queries go first.
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        with self._lock:
            self._serial += 1
            target = self.folder / f"{os.getpid()}-{self._serial}.duckdb"
        try:
            _private_copy(snapshot.path, target)
            materialize(target, on_connect=self._track)
            study = open_study(target, read_only=True)
        except Exception as exc:  # the plain snapshot keeps working; say why it is not faster
            self.materialize_error = f"{type(exc).__name__}: {exc}"
            _remove(target)
            return
        with self._lock:
            current = self._snapshot
            if current is None or current.version != snapshot.version or current.materialized:
                study.close()
                _remove(target)
                return
            self._snapshot = replace(current, path=target, study=study, materialized=True)
            _remove(current.path)

    def _track(self, conn: duckdb.DuckDBPyConnection | None) -> None:
        self._working = conn

    @property
    def background_running(self) -> bool:
        """Whether the slow views are being stored as tables right now."""
        return self._working is not None

    def stop_background(self, timeout: float = 10) -> None:
        """Interrupt the background materialization, if running, and wait for its thread."""
        conn = self._working
        if conn is not None:
            with contextlib.suppress(duckdb.Error):
                conn.interrupt()
        worker = self._worker
        if worker is not None and worker.is_alive():
            worker.join(timeout)

    def wait_until_fast(self, timeout: float | None = None) -> bool:
        """Wait for the background materialization of the current snapshot; True when the
        current snapshot is materialized."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
        snapshot = self._snapshot
        return snapshot is not None and snapshot.materialized

    def remove_own_files(self) -> None:
        """Delete every snapshot file this process wrote (at exit; the connection may still be
        open: unlinking an open file is safe on POSIX)."""
        if not self.folder.is_dir():
            return
        for path in self.folder.glob(f"{os.getpid()}-*"):
            path.unlink(missing_ok=True)

    def _remove_orphans(self) -> None:
        """Delete snapshots left by dashboard processes that no longer run."""
        for path in self.folder.glob("*.duckdb*"):
            pid_text = path.name.split("-", 1)[0]
            if not pid_text.isdigit() or int(pid_text) == os.getpid():
                continue
            try:
                os.kill(int(pid_text), 0)
            except ProcessLookupError:
                _remove(path)
            except PermissionError:
                continue

    @property
    def study(self) -> Study:
        """The current snapshot's read-only study (call :meth:`current` first)."""
        snapshot = self._snapshot
        if snapshot is None:
            raise StudyError(f"no snapshot of {self.source} has been taken yet")
        return snapshot.study

    def close(self) -> None:
        """Forget the snapshot and delete its file (tests and shutdown)."""
        if self._worker is not None:
            self._worker.join()
        with self._lock:
            if self._snapshot is not None:
                self._snapshot.study.close()
                _remove(self._snapshot.path)
            self._snapshot = None
            self._stamp = None


def _remove(path: Path) -> None:
    for stale in (path, Path(f"{path}.wal")):
        stale.unlink(missing_ok=True)
