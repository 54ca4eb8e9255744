"""The toolkit's version, recorded in every ingest log row."""

from functools import cache
from importlib.metadata import PackageNotFoundError, version


@cache  # package metadata is read from disk: ~2 ms a call, once per ingested file
def toolkit_version() -> str:
    """Return the installed package version, or the source tree's when not installed."""
    try:
        return version("retrowalk")
    except PackageNotFoundError:
        return "0.1.0+source"
