"""``retrowalk export-lake STUDY DIR``: a study's tables as a hive-partitioned Parquet lake."""

from __future__ import annotations

from pathlib import Path

import click

from toolkit.lake.layout import DEFAULT_BUCKETS

BUCKETS_OPTION = click.option(
    "--buckets",
    type=click.IntRange(1, 4096),
    default=DEFAULT_BUCKETS,
    show_default=True,
    help="participant hash buckets (hive partitions); every shard of a lake must use the same",
)


@click.command("export-lake")
@click.argument("study", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.argument("lake", type=click.Path(path_type=Path, file_okay=False))
@BUCKETS_OPTION
def export_lake(study: Path, lake: Path, buckets: int) -> None:
    """Write every table of STUDY into the Parquet lake DIR (as its shard ``study``).

    Tables with a participant_id are partitioned by participant hash bucket (bucket=K
    folders); timestamps are UTC; _manifests/study.json lists every file with its rows and
    sha256, the schema version and the source files behind the rows. Spark, DuckDB and polars
    read it; `retrowalk analyse --engine spark --lake DIR` analyses it. Re-running replaces
    the shard.
    """
    import time

    from toolkit.lake.write import export_study

    started = time.perf_counter()
    manifest = export_study(study, lake, buckets=buckets)
    seconds = time.perf_counter() - started
    files = sum(len(t["files"]) for t in manifest["tables"].values())
    rows = sum(int(t.get("rows", 0)) for t in manifest["tables"].values())
    click.echo(
        f"lake: {lake} (shard study: {len(manifest['tables'])} tables, {files} files, "
        f"{rows} rows, {seconds:.1f} s)"
    )
