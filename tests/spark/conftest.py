"""One local SparkSession per test session (local[1], UI off, two shuffle partitions).

Every test here carries the ``spark`` marker; without Java or PySpark they skip saying which.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest


def _java_missing() -> str | None:
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and os.path.exists(java_home)):
        return "no Java runtime (install Debian's openjdk-17-jre-headless) for PySpark"
    if importlib.util.find_spec("pyspark") is None:
        return "PySpark is not installed (pip install 'retrowalk[spark]')"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``spark``; skip them all when Spark cannot run."""
    reason = _java_missing()
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.spark)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The test session's SparkSession."""
    from toolkit.spark import spark_session

    session = spark_session("local[1]", shuffle_partitions=2, app_name="retrowalk-tests")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
