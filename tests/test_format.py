"""toolkit.format: the one way numbers and names are shown (CLI tables, dashboard, report)."""

from __future__ import annotations

import math

from toolkit.format import (
    column_label,
    decimals_for,
    format_column,
    format_number,
    format_p,
    format_value,
    level_label,
)


def test_p_values() -> None:
    assert format_p(0.0000004) == "<0.001"
    assert format_p(0.001) == "0.001"
    assert format_p(0.04321) == "0.043"
    assert format_p(None) == format_p(math.nan) == ""


def test_one_number_of_decimals_per_column() -> None:
    assert format_column([1.234, 0.056, 12.3, None]) == ["1.23", "0.06", "12.30", ""]
    assert format_column([123.4, 250.0]) == ["123", "250"]
    assert format_column([0.0123, 0.2]) == ["0.012", "0.200"]
    assert format_column([1, 2, 30000]) == ["1", "2", "30,000"]
    assert format_column([0.00001, 0.2], "p_value") == ["<0.001", "0.200"]
    assert decimals_for([6.0, 7.0]) == 0


def test_numbers_never_show_as_zero_or_none() -> None:
    assert format_number(6.8838e-7, 2) == "6.9e-07"
    assert format_number(-0.0) == "0"
    assert format_value(None) == format_value(math.nan) == ""
    assert format_value(True) == "yes"


def test_labels_people_read() -> None:
    assert level_label("post_acl_reconstruction") == "Post-ACL reconstruction"
    assert level_label("usual_care") == "Usual care"
    assert level_label("knee_oa") == "Knee OA"
    assert level_label("some_new_site") == "Some new site"
    assert level_label("RW0001") == "RW0001"
    assert column_label("age") == "Age (years)"
    assert column_label("bmi") == "BMI (kg/m²)"
    assert column_label("mean_weekly_minutes") == "Mean weekly minutes"
