"""One-line messages for errors a user can cause, so no command prints a traceback for them.

The CLI's group catches the toolkit's own errors (usage errors, exit 2) and the file-system and
database errors an ordinary mistake raises (a folder that is not writable, a study another
program holds open, SQL that does not run: exit 1), and prints :func:`user_message` instead of
a traceback; ``retrowalk -v`` prints the traceback as well.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from toolkit.errors import UsageError


def database_errors() -> tuple[type[Exception], ...]:
    """DuckDB's error classes (imported here, so ``--help`` does not pay for duckdb)."""
    import duckdb

    return (duckdb.Error,)


def user_message(exc: BaseException) -> str:
    """``exc`` as one line a user can act on (no class names, no internal frames)."""
    if (
        isinstance(exc, FileExistsError | NotADirectoryError)
        and exc.filename is not None
        and Path(exc.filename).is_file()
    ):
        return f"{exc.filename} is a file, not a folder"
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        where = exc.filename if exc.filename is not None else ""
        hint = ""
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            hint = " (choose a folder you can write to)"
        return f"{reason}: {where}{hint}" if where else f"{reason}{hint}"
    # DuckDB's first paragraph: the error and its "Did you mean ...?" (not the SQL excerpt)
    paragraph = str(exc).strip().split("\n\n")[0]
    return " ".join(line.strip() for line in paragraph.splitlines()) or type(exc).__name__


def check_writable(path: Path, what: str = "output file") -> None:
    """Fail early, before any work, when ``path`` cannot be written.

    Raises :class:`~toolkit.errors.UsageError` naming the path and why: its folder is missing,
    is a file, or does not accept a new file (permissions, read-only file system); or ``path``
    itself is a folder or a file that cannot be replaced.
    """
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(f"the {what} {path} is a folder; give a file name inside it.")
    if not folder.exists():
        raise UsageError(f"cannot write the {what} {path}: the folder {folder} does not exist.")
    if not folder.is_dir():
        raise UsageError(f"cannot write the {what} {path}: {folder} is a file, not a folder.")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"cannot write the {what} {path}: the file is not writable.")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".retrowalk-write-check-"):
            pass
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise UsageError(
            f"cannot write the {what} {path}: the folder {folder} does not accept new files "
            f"({reason}); choose a folder you can write to."
        ) from exc
