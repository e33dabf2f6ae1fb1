"""TAG agenda arithmetic and session numbering, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.agenda import (
    DEFAULT_TEMPLATE,
    AgendaError,
    AgendaItem,
    accept_item,
    add_item,
    apply_edits,
    guiding_questions,
    move_item,
    next_session_start,
    over_by,
    phase_of,
    remove_item,
    session_number,
    total,
)


def test_the_default_template_fills_sixty_minutes() -> None:
    assert total(DEFAULT_TEMPLATE) == 60
    assert over_by(DEFAULT_TEMPLATE, 60) == 0
    assert [item.minutes for item in DEFAULT_TEMPLATE] == [5, 5, 20, 5, 20, 5]
    assert sum(1 for item in DEFAULT_TEMPLATE if item.role == "recap") == 1


def test_going_over_is_measured_not_forbidden() -> None:
    longer = add_item(DEFAULT_TEMPLATE, AgendaItem("Guest talk", 15))
    assert total(longer) == 75
    assert over_by(longer, 60) == 15


def test_sessions_count_up_through_the_phases() -> None:
    assert session_number(0) == 1
    assert [phase_of(n) for n in (1, 2, 3, 10)] == [
        "Ambition & roadmap",
        "Ambition & roadmap",
        "Implementation",
        "Implementation",
    ]
    assert guiding_questions(1).stage.startswith("Early")
    assert guiding_questions(4).stage.startswith("Later")


def test_add_move_remove() -> None:
    items = (AgendaItem("a", 5), AgendaItem("b", 10), AgendaItem("c", 15))
    assert [i.title for i in add_item(items, AgendaItem("x", 5), 1)] == ["a", "x", "b", "c"]
    assert [i.title for i in move_item(items, 2, 0)] == ["c", "a", "b"]
    assert [i.title for i in remove_item(items, 1)] == ["a", "c"]
    with pytest.raises(AgendaError):
        remove_item(items, 7)


def test_one_card_submit_edits_reorders_removes_and_adds() -> None:
    items = (AgendaItem("a", 5), AgendaItem("b", 10, "recap"), AgendaItem("c", 15))
    form = {
        "title0": "a (edited)", "minutes0": "7", "order0": "1",
        "title1": "b", "minutes1": "10", "order1": "2", "remove1": "false",
        "title2": "c", "minutes2": "15", "order2": "1",  # moved to the top
        "new_title": "new", "new_minutes": "4", "new_order": "2",
    }  # fmt: skip
    edited = apply_edits(items, form)
    assert [(i.title, i.minutes) for i in edited] == [
        ("c", 15),
        ("a (edited)", 7),
        ("new", 4),
        ("b", 10),
    ]
    assert edited[3].role == "recap"  # an edited item keeps what it is
    assert [i.title for i in apply_edits(items, {"remove0": "true"})] == ["b", "c"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"title0": ""}, "needs a title"),
        ({"minutes0": "ten"}, "whole number"),
        ({"minutes0": "0"}, "between 1 and 180"),
        ({"order0": "first"}, "Positions must be numbers"),
        ({"minutes0": "\u0663"}, "whole number"),  # Arabic-Indic three
        ({"minutes0": "\u00b2"}, "whole number"),  # superscript two
        ({"minutes0": "inf"}, "whole number"),
        ({"minutes0": float("nan")}, "whole number"),
        ({"new_title": "c", "new_minutes": "1e309"}, "whole number"),
        ({"order0": "nan"}, "Positions must be numbers"),
        ({"order0": float("inf")}, "Positions must be numbers"),
        ({"remove0": "true", "remove1": "true"}, "at least one item"),
    ],
)
def test_bad_edits_are_refused(form: dict[str, object], message: str) -> None:
    with pytest.raises(AgendaError, match=message):
        apply_edits((AgendaItem("a", 5), AgendaItem("b", 5)), form)


@given(st.lists(st.integers(1, 180), min_size=1, max_size=15), st.integers(1, 600))
def test_over_by_is_total_minus_length_when_positive(minutes: list[int], length: int) -> None:
    items = [AgendaItem(f"i{n}", m) for n, m in enumerate(minutes)]
    assert over_by(items, length) == max(0, sum(minutes) - length)


# --- issue 19: the series goes on; accepted items before the closing one -----------------------


def test_the_next_session_is_one_interval_later_at_the_same_wall_clock_time() -> None:
    brussels = ZoneInfo("Europe/Brussels")
    first = datetime(2026, 10, 15, 10, 0, tzinfo=brussels)  # summer time
    now = datetime(2026, 10, 1, tzinfo=UTC)
    nxt = next_session_start(first, brussels, 8, now)
    assert nxt == datetime(2026, 12, 10, 10, 0, tzinfo=brussels)  # winter time, still 10:00
    assert next_session_start(first, brussels, None, now) == datetime(
        2026, 11, 15, 10, 0, tzinfo=brussels
    )
    # Sessions the TAG skipped are skipped: the next one lies ahead.
    later = datetime(2027, 1, 1, tzinfo=UTC)
    assert next_session_start(first, brussels, 8, later) == datetime(
        2027, 2, 4, 10, 0, tzinfo=brussels
    )


def test_an_accepted_item_goes_before_the_closing_item() -> None:
    items = accept_item(DEFAULT_TEMPLATE, AgendaItem("Heat maps", 10))
    assert [i.title for i in items][-2:] == ["Heat maps", "Shared commitments and next meeting"]
    assert accept_item((), AgendaItem("Heat maps", 10)) == (AgendaItem("Heat maps", 10),)
