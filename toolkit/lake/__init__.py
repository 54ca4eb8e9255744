"""A study's raw tables as a Parquet lake that Spark, DuckDB and polars read.

Layout of a lake folder::

    _lake.json                      lake format, schema version, number of participant buckets
    _manifests/<shard>.json         one per shard: its files (rows, sha256) and source lineage
    _schema/<table>.parquet         an empty file with each table's columns and types
    <table>/bucket=<k>/part-<shard>-<run>-<i>.parquet    tables with a participant_id
    <table>/shard=<shard>/part-<shard>-<run>-0.parquet   per-file tables (raw_ingest_log)
    <table>/study.parquet           study-level tables (reference data, settings)

``export_study`` writes one study as the shard ``study``; ``ingest_shard`` (``retrowalk ingest
--lake``) writes one batch job's shard. Readers take the file lists from the manifests.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolkit.lake.read import Lake, open_lake
    from toolkit.lake.write import LakeError, bucket_of, export_study

__all__ = ["Lake", "LakeError", "bucket_of", "export_study", "open_lake"]

#: Where each public name lives: imported on first use, so that importing a light module of
#: this package (``toolkit.lake.layout``, for the command line) does not load pyarrow.
_HOMES = {
    "Lake": "toolkit.lake.read",
    "open_lake": "toolkit.lake.read",
    "LakeError": "toolkit.lake.write",
    "bucket_of": "toolkit.lake.write",
    "export_study": "toolkit.lake.write",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'toolkit.lake' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)
