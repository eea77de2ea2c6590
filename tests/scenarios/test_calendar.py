"""Scenario dates: parsing, month indices (events after the 1st shape the next month), labels."""

from __future__ import annotations

import datetime as dt

import pytest

from wakusim.scenarios.calendar import month_index, month_label, parse_date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-01", "2020-01"),
        ("2020-01-31", "2020-01-31"),
        (" 2020-11 ", "2020-11"),
        ("2024", "2024"),
        (2024, "2024"),
        (dt.date(2020, 1, 31), "2020-01-31"),
        (dt.datetime(2022, 9, 26, 13, 5), "2022-09-26"),
        ("2024-02-29", "2024-02-29"),  # leap day
    ],
)
def test_parse_date_accepts(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2020-13",
        "2020-00",
        "2023-02-29",
        "2020-04-31",
        "20-01",
        "2020/01",
        "Jan 2020",
        "",
        True,
        3.5,
        None,
        ["2020-01"],
    ],
)
def test_parse_date_rejects(value):
    with pytest.raises(ValueError, match="expected a date"):
        parse_date(value)


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("2020-11", 2020 * 12 + 10),  # November 2020
        ("2020-11-01", 2020 * 12 + 10),  # on the 1st: that month
        ("2020-01-31", 2020 * 12 + 1),  # after the 1st: February
        ("2020-08-25", 2020 * 12 + 8),  # September
        ("2020-12-15", 2021 * 12 + 0),  # rolls over into January 2021
        ("2024", 2024 * 12 + 0),  # a bare year is its January
    ],
)
def test_month_index(text, index):
    assert month_index(text) == index


@pytest.mark.parametrize(
    ("index", "label"),
    [(2019 * 12, "2019-01"), (2020 * 12 + 1, "2020-02"), (2026 * 12 + 11, "2026-12")],
)
def test_month_label(index, label):
    assert month_label(index) == label


def test_label_and_index_round_trip():
    for index in range(2018 * 12, 2028 * 12):
        assert month_index(month_label(index)) == index
