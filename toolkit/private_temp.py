"""Private scratch folders: one per process, readable by its user only, gone after the process.

Why: ingest extracted zips (a 60 MB Apple Health export each) into the system temp folder, and a
killed ingest left them there; dashboard snapshots (whole copies of the study) stayed behind
after Ctrl-C with mode 0644. Both are identifiable data.

Every scratch folder is ``<temp>/retrowalk-<kind>-<uid>/<pid>-<random>``: the parent is created
mode 0700 and must be a real folder owned by this user (not a symlink someone else planted); the
process's folder is 0700 and files written in it should be made 0600 (:func:`make_private`).
The folder is removed when its ``with`` block ends (normal end, an exception, Ctrl-C), and the
next process of the same kind removes folders whose process no longer runs (``kill -9``, power
loss), so nothing identifiable outlives the run for long.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from toolkit.errors import StudyError


def user_folder(kind: str, base: Path | None = None) -> Path:
    """``<base or temp>/retrowalk-<kind>-<uid>``, created 0700 and checked to be ours."""
    root = Path(base) if base is not None else Path(tempfile.gettempdir())
    folder = root / f"retrowalk-{kind}-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700, parents=False)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise StudyError(
            f"{folder} is not a folder owned by you (a symlink or another user's); remove it "
            "or set TMPDIR to a private folder"
        )
    if stat.S_IMODE(info.st_mode) != 0o700:
        folder.chmod(0o700)
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(folder: Path) -> list[Path]:
    """Remove entries of ``folder`` named ``<pid>-...`` whose process no longer runs."""
    removed = []
    for entry in folder.iterdir():
        pid_text = entry.name.split("-", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid() or _alive(int(pid_text)):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


@contextlib.contextmanager
def private_workdir(kind: str, base: Path | None = None) -> Iterator[Path]:
    """A fresh 0700 folder for this process (after sweeping dead processes' folders), removed
    when the block ends."""
    parent = user_folder(kind, base)
    sweep(parent)
    workdir = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=parent))
    try:
        yield workdir
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def make_private(path: Path) -> Path:
    """Set ``path`` to mode 0600 (owner read/write only) and return it."""
    path.chmod(0o600)
    return path
