"""Reference data sets for the statistics tests (sources in data/README.md)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def sleepstudy() -> pl.DataFrame:
    """lme4's sleepstudy: 180 rows of Reaction, Days, Subject."""
    return pl.read_csv(DATA / "sleepstudy.csv")


@pytest.fixture(scope="session")
def anorexia() -> pl.DataFrame:
    """MASS's anorexia: 72 rows of Treat, Prewt, Postwt (plus change = Postwt - Prewt)."""
    frame = pl.read_csv(DATA / "anorexia.csv")
    return frame.with_columns((pl.col("Postwt") - pl.col("Prewt")).alias("change"))


@pytest.fixture(scope="session")
def sleep() -> pl.DataFrame:
    """R's sleep: 20 rows of extra, group (1 or 2), ID."""
    return pl.read_csv(DATA / "sleep.csv")
