"""``--engine duckdb|spark --lake DIR``: which engine serves a command's study.

Without ``--lake`` the command reads the study file (DuckDB). With ``--lake DIR`` it reads a
Parquet lake (``retrowalk export-lake``, ``ingest --lake``): in an in-memory DuckDB
(``--engine duckdb``) or in Spark (``--engine spark``: a local session, or the platform's via
the usual ``SPARK_*`` and ``PYSPARK_*`` settings and spark-submit). Commands then run unchanged
through the study object's ``.sql``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from toolkit.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])


def engine_options(command: F) -> F:
    """Add ``--engine`` and ``--lake`` to a click command."""
    command = click.option(
        "--lake",
        type=click.Path(path_type=Path, file_okay=False, exists=True),
        default=None,
        help="read this Parquet lake instead of a study file",
    )(command)
    return click.option(
        "--engine",
        type=click.Choice(("duckdb", "spark")),
        default="duckdb",
        show_default=True,
        help="who runs the SQL; spark needs --lake and the spark extra (Java 17)",
    )(command)


@contextmanager
def opened_engine(study: Path | None, engine: str, lake: Path | None) -> Iterator[Any]:
    """The study object the command works on; closed (Spark stopped) on exit."""
    if engine == "spark" and lake is None:
        raise UsageError("--engine spark reads a lake: give --lake DIR (see retrowalk export-lake)")
    if lake is not None and study is not None:
        raise UsageError("give a STUDY file or --lake DIR, not both")
    if lake is None:
        if study is None:
            raise UsageError("give a STUDY file (or --lake DIR)")
        from toolkit.study import open_study

        with open_study(study, read_only=True) as opened:
            yield opened
        return
    if engine == "spark":
        from toolkit.spark import open_spark_study

        with open_spark_study(lake) as on_spark:
            yield on_spark
        return
    from toolkit.lake.duckdb_study import open_lake_study

    with open_lake_study(lake) as on_duckdb:
        yield on_duckdb
