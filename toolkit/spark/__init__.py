"""The Spark engine: a lake opened in a SparkSession, queried with the study's own DuckDB SQL.

Install with the ``spark`` extra (``pip install 'retrowalk[spark]'``: PySpark 4 and sqlglot) and
a Java 17 runtime. :func:`open_spark_study` returns a :class:`SparkStudy` whose ``sql`` takes the
same DuckDB SQL and parameters as :meth:`toolkit.study.Study.sql` and returns polars frames, so
cohorts, analysis frames, statistics and analysis plans run unchanged on a cluster.
"""

from toolkit.spark.study import SparkStudy, open_spark_study, spark_session

__all__ = ["SparkStudy", "open_spark_study", "spark_session"]
