"""The project's exceptions and warnings, in one place so callers can catch them by kind."""

from __future__ import annotations


class RetrowalkError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class UsageError(RetrowalkError):
    """A caller passed an argument the toolkit cannot act on (CLI exit code 2)."""


class StudyError(RetrowalkError):
    """The study database cannot be opened, migrated or written."""


class IngestError(RetrowalkError):
    """A file cannot be ingested; carries where in the file the problem is.

    Parameters
    ----------
    message
        What was wrong, phrased for the person who owns the file.
    position
        Where: ``"line 17"``, ``"line 17, column 'score'"``, ``"record 2043 (byte 81234)"``.
    """

    def __init__(self, message: str, position: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return f"{self.position}: {self.message}" if self.position else self.message


class StatsWarning(UserWarning):
    """A statistical caveat: the result is computed but needs care in reading."""


class StudyPathError(UsageError, StudyError):
    """The study path is not a retrowalk study file, nor a new path in an existing folder."""


class ReadOnlyQueryError(UsageError):
    """A user query tried something other than reading the study (CLI exit code 2)."""


class DiskFullError(StudyError):
    """The disk (or quota) filled up during an ingest: not the input's fault (CLI exit code 2).

    ``committed`` lists the per-file results recorded before it (loaded, duplicate or rejected
    files, each its own committed transaction); ``failed`` names the file being loaded, whose
    transaction was rolled back.
    """

    def __init__(self, failed: str, committed: list[tuple[str, str]], detail: str) -> None:
        self.failed = failed
        self.committed = committed
        shown = ", ".join(f"{path} ({status})" for path, status in committed[:10])
        more = f" and {len(committed) - 10} more" if len(committed) > 10 else ""
        done = (
            f"{len(committed)} file(s) were committed before it: {shown}{more}"
            if committed
            else "nothing was committed"
        )
        super().__init__(
            f"the disk is full ({detail}) while loading {failed}; {done}. {failed} was rolled "
            "back and the files after it were not tried. Free some space and run the same "
            "command again: committed files are skipped as duplicates."
        )


class PlanError(UsageError):
    """A statistical analysis plan file is invalid; the message names the file and line."""
