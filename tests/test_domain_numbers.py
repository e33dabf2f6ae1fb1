"""The one number reader: ASCII digits only, inside the database's range, finite."""

from __future__ import annotations

import pytest

from domain.numbers import MAX_ID, parse_id, parse_ids, parse_int


@pytest.mark.parametrize("raw", ["12", " #12 ", 12, 12.0, "12.0", "+12"])
def test_an_id_is_read_from_text_numbers_and_whole_floats(raw: object) -> None:
    assert parse_id(raw) == 12


@pytest.mark.parametrize(
    "raw",
    ["", "0", "-1", "²", "٣", "1²", "12a", "1e3", "inf", "nan", "1e309", str(MAX_ID + 1),
     "9" * 40, 0, -5, MAX_ID + 1, 1.5, float("inf"), float("nan"), True, None, [1], {"id": 1}],
)  # fmt: skip
def test_anything_but_an_id_in_range_is_refused(raw: object) -> None:
    assert parse_id(raw) is None


def test_the_largest_id_the_database_holds_is_accepted() -> None:
    assert parse_id(str(MAX_ID)) == MAX_ID


def test_bounds_are_inclusive() -> None:
    assert parse_int("5", low=5, high=10) == 5
    assert parse_int("10", low=5, high=10) == 10
    assert parse_int("11", low=5, high=10) is None


def test_a_cards_list_of_ids_is_read_whole_or_not_at_all() -> None:
    assert parse_ids("12,13, 14", most=20) == (12, 13, 14)
    assert parse_ids("", most=20) == ()
    for bad in ("12,x", "12,12", "12,,13", "0", "²", 12, None, "1,2,3"):
        assert parse_ids(bad, most=2) is None, bad
