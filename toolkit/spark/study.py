"""A study served by Spark: the lake's tables, the views in dependency order, polars out.

The views are the packaged DuckDB SQL (``toolkit/db/views``), transpiled once per statement by
:func:`toolkit.db.portable.to_spark_sql`; queries passed to :meth:`SparkStudy.sql` are transpiled
the same way, and their ``?`` parameters are bound by Spark (``SparkSession.sql(text, args)``),
never formatted into the text. Results are collected through Arrow into polars.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import polars as pl

from toolkit.db.portable import to_spark_sql
from toolkit.db.views_sql import VIEW_ORDER, view_sql
from toolkit.errors import StudyError
from toolkit.lake.read import Lake, open_lake

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from toolkit.cohorts import Cohort


def _require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise StudyError(
            "the Spark engine needs PySpark: pip install 'retrowalk[spark]' (and a Java 17 "
            "runtime, e.g. Debian's openjdk-17-jre-headless)"
        ) from exc


def spark_session(
    master: str | None = None, *, shuffle_partitions: int = 2, app_name: str = "retrowalk"
) -> SparkSession:
    """A new (or the running) SparkSession set up for retrowalk: UTC, UI off.

    ``master``: given, else ``RETROWALK_SPARK_MASTER``, else the one ``spark-submit`` passed
    (``PYSPARK_SUBMIT_ARGS`` set), else ``local[*]``. In a notebook on a cluster, pass the
    platform's own session to :func:`open_spark_study` instead.
    """
    _require_pyspark()
    from pyspark.sql import SparkSession

    chosen = master or os.environ.get("RETROWALK_SPARK_MASTER")
    if chosen is None and "PYSPARK_SUBMIT_ARGS" not in os.environ:
        chosen = "local[*]"
    builder = SparkSession.builder if chosen is None else SparkSession.builder.master(chosen)
    return (
        builder.appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )


class SparkStudy:
    """A lake opened in Spark, with the study's views. Use :func:`open_spark_study`.

    Exposes the read side of :class:`toolkit.study.Study`: ``sql``, ``cohort``, ``close``, and
    ``read_only`` (always true: a lake is written by ``export-lake`` and ``ingest --lake``).
    """

    read_only = True

    def __init__(self, spark: SparkSession, lake: Lake, *, owns_session: bool) -> None:
        self.spark = spark
        self.lake = lake
        self.path = lake.root
        self._owns_session = owns_session

    def frame(self, query: str, params: Sequence[Any] | dict[str, Any] | None = None) -> DataFrame:
        """The Spark DataFrame of a DuckDB ``query`` (lazy: nothing runs until collected)."""
        text = to_spark_sql(query)
        if params is None:
            return self.spark.sql(text)
        if isinstance(params, dict):
            return self.spark.sql(text, args=dict(params))
        return self.spark.sql(text, args=list(params))

    def sql(self, query: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        """Run DuckDB ``query`` on Spark with ``params`` bound; return a polars frame.

        DECIMAL results (Spark keeps ``x / 7.0`` and ``100.0 * x`` decimal where DuckDB returns
        DOUBLE) come back as Float64, so frames match the DuckDB study's.
        """
        result = pl.from_arrow(self.frame(query, params).toArrow())
        assert isinstance(result, pl.DataFrame)
        decimals = [name for name, dtype in result.schema.items() if dtype == pl.Decimal]
        if decimals:
            result = result.with_columns(pl.col(decimals).cast(pl.Float64))
        return result

    def cohort(self, definition: Cohort | str | None = None, **filters: Any) -> pl.DataFrame:
        """Participants in a cohort, as :meth:`toolkit.study.Study.cohort` (computed in Spark)."""
        from toolkit.cohorts import Cohort, load_cohort, members

        if isinstance(definition, str):
            chosen = load_cohort(self, definition)
        elif definition is None:
            chosen = Cohort.from_dict(filters)
        else:
            chosen = definition
        return members(self, chosen)

    def close(self) -> None:
        """Drop the study's temporary views; stop the session if this study started it."""
        if self._owns_session:
            self.spark.stop()
            return
        for name in (*reversed(VIEW_ORDER), *self.lake.tables()):
            self.spark.catalog.dropTempView(name)

    def __enter__(self) -> SparkStudy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SparkStudy({str(self.path)!r}, {self.spark.sparkContext.master})"


def register_lake(spark: SparkSession, lake: Lake) -> None:
    """A temporary view per lake table (exact file lists from the manifests, no partition
    columns), then every study view in dependency order, as Spark SQL; the intermediate
    (``int_*``) views are computed once, when the lake is opened."""
    for table in lake.tables():
        frame = spark.read.parquet(*[str(p) for p in lake.files(table)])
        extra = [c for c in ("bucket", "shard") if c in frame.columns]
        frame.drop(*extra).createOrReplaceTempView(table)
    for name in VIEW_ORDER:
        spark.sql(f"create or replace temporary view {name} as\n{to_spark_sql(view_sql(name))}")
        if name.startswith("int_"):
            # An intermediate view is read by several views, each of which Spark would expand
            # into a copy of its whole derivation (a filtered cohort's frames grew to a plan
            # of 39 broadcasts and ran out of driver memory): computed once here, later views
            # and queries see it as one leaf.
            spark.table(name).localCheckpoint(eager=True).createOrReplaceTempView(name)


def open_spark_study(lake_dir: Path | str, spark: SparkSession | None = None) -> SparkStudy:
    """Open the lake at ``lake_dir`` in ``spark`` (default: a new local session).

    A given session is not changed: the study works in ``spark.newSession()`` (same cluster,
    its own SQL settings and temporary views), set to UTC so local days match DuckDB's.
    """
    _require_pyspark()
    lake = open_lake(lake_dir)
    owns = spark is None
    session = spark_session() if spark is None else spark.newSession()
    session.conf.set("spark.sql.session.timeZone", "UTC")
    register_lake(session, lake)
    return SparkStudy(session, lake, owns_session=owns)
