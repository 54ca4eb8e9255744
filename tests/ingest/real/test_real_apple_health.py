"""The real Apple Health excerpts in ``../shared/fixtures/real/apple_health``: outcomes, and
stored values checked against the records read from the same XML with the standard library."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from tests.conftest import real_fixtures
from tests.ingest.real.conftest import Ingested, assert_not_exports_rejected, rows

HEART_RATE = "HKQuantityTypeIdentifierHeartRate"


@pytest.fixture(scope="module")
def apple(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    from tests.ingest.real.conftest import ingest_real

    return ingest_real(tmp_path_factory.mktemp("apple"), "apple_health")


def _heart_rates(name: str) -> list[tuple[datetime, float]]:
    root = ET.parse(real_fixtures("real", "apple_health", name)).getroot()
    return sorted(
        (
            datetime.strptime(r.get("startDate", ""), "%Y-%m-%d %H:%M:%S %z"),
            float(r.get("value", "")),
        )
        for r in root.iter("Record")
        if r.get("type") == HEART_RATE
    )


def test_every_apple_health_file_has_its_expected_outcome(apple: Ingested) -> None:
    results, _ = apple
    assert results["apple-health-parser__export.xml"].status == "loaded"
    assert results["healthkit-to-sqlite__export.xml"].status == "loaded"
    # the zip holds the same export.xml as the first file (same bytes): a duplicate; its macOS
    # companions (__MACOSX/ AppleDouble files, .DS_Store) are skipped, not ingested
    assert results["export.xml"].status == "duplicate"
    assert not any(n.startswith("._") or n == ".DS_Store" for n in results)
    assert_not_exports_rejected(results)


def test_heart_rates_match_the_xml(apple: Ingested) -> None:
    _, study = apple
    expected = _heart_rates("apple-health-parser__export.xml") + _heart_rates(
        "healthkit-to-sqlite__export.xml"
    )
    got = rows(
        study,
        "select start_at, value from raw_wearable_samples where metric = 'heart_rate' "
        "order by start_at",
    )
    assert [(t, v) for t, v in got] == sorted(expected)


def test_the_ios_12_workout_with_an_inline_route_is_stored(apple: Ingested) -> None:
    _, study = apple
    root = ET.parse(real_fixtures("real", "apple_health", "healthkit-to-sqlite__export.xml"))
    workout = next(root.getroot().iter("Workout"))
    minutes = float(workout.get("duration", ""))
    miles = float(workout.get("totalDistance", ""))
    [(activity, duration, distance)] = rows(
        study, "select activity, duration_s, distance_m from wearable_workouts"
    )
    assert activity == "running"
    assert duration == pytest.approx(minutes * 60, abs=1.0)
    assert distance == pytest.approx(miles * 1609.344)
