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


class PlanError(UsageError):
    """A statistical analysis plan file is invalid; the message names the file and line."""
