"""Poll rules as pure functions: the one-line form, validation, choices, the tally."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.polls import (
    MAX_OPTIONS,
    Ballot,
    PollError,
    PollParts,
    PollSpec,
    anonymous_voter_key,
    parse_choices,
    parse_poll_command,
    split_options,
    tally,
    validate_options,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
BRUSSELS = ZoneInfo("Europe/Brussels")


def parse(text: str):  # type: ignore[no-untyped-def]
    return parse_poll_command(text, NOW, BRUSSELS)


def test_one_line_form_with_every_flag() -> None:
    spec = parse(
        "Which topic first? | Retrofitting | Charging points --multi --anonymous --closes friday 17:00"
    )
    assert spec.question == "Which topic first?"
    assert spec.options == ("Retrofitting", "Charging points")
    assert spec.multi
    assert spec.anonymous
    assert spec.closes_at == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def test_flags_in_any_order_and_defaults() -> None:
    spec = parse("Q | A | B --closes in 2 days --multi")
    assert spec.multi
    assert not spec.anonymous
    assert parse("Q | A | B").closes_at is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Q | A | | B", "empty"),
        ("Q | A | a", "appears twice"),
        ("Q | " + " | ".join(str(i) for i in range(MAX_OPTIONS + 1)), "at most 10"),
        ("Q | A | B --closes", "needs a time"),
        ("Q | A | B --closes yesterday", "Closing time"),
        ("Q | A | B --closes 2020-01-01", "already passed"),
        ("Q | A | B --secret", "don't know the option --secret"),
        ("Q | A | B --multi yes", "takes no value"),
        ("Q" * 301 + " | A | B", "keep it under"),
        ("Q | " + "A" * 121 + " | B", "too long"),
    ],
)
def test_bad_one_liners_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(PollError, match=message):
        parse(text)


def test_options_typed_one_per_line() -> None:
    assert split_options("Retrofitting\n\n Charging points \n") == [
        "Retrofitting",
        "Charging points",
    ]
    assert split_options("A | | B") == ["A", "", "B"]


@pytest.mark.parametrize(
    ("raw", "multi", "expected"),
    [("1", False, (1,)), (2, False, (2,)), ("0,2", True, (0, 2)), ("2,0,2", True, (0, 2))],
)
def test_choices_are_read_from_the_choice_set(
    raw: object, multi: bool, expected: tuple[int, ...]
) -> None:
    assert parse_choices(raw, 3, multi=multi) == expected


@pytest.mark.parametrize(
    ("raw", "multi", "message"),
    [
        ("", False, "Pick an option"),
        (None, False, "Pick an option"),
        ("7", False, "does not have"),
        ("-1", False, "does not have"),
        ("x", False, "does not have"),
        ("0,1", False, "one choice only"),
        (["0"], True, "Pick an option"),
        (True, False, "Pick an option"),
        ("\u00b2", False, "does not have"),  # superscript two: a digit to isdigit, not to us
        ("\u0661", False, "does not have"),  # Arabic-Indic one
        ("1e309", False, "does not have"),
        ("0,\u0661", True, "does not have"),
    ],
)
def test_bad_choices_are_refused(raw: object, multi: bool, message: str) -> None:
    with pytest.raises(PollError, match=message):
        parse_choices(raw, 3, multi=multi)


def test_tally_counts_shares_and_names() -> None:
    result = tally(
        3, [Ballot((0,), "Ann"), Ballot((0, 2), "Bea"), Ballot((1,), "Cem"), Ballot((), "Dan")]
    )
    assert result.counts == (2, 1, 1)
    assert result.voters == 3
    assert result.percentages == (67, 33, 33)
    assert result.names == (("Ann", "Bea"), ("Cem",), ("Bea",))
    assert result.leaders == (0,)


def test_empty_tally() -> None:
    result = tally(2, [])
    assert result.counts == (0, 0)
    assert result.percentages == (0, 0)
    assert result.leaders == ()


def test_anonymous_key_is_stable_per_poll_and_person_and_unreadable() -> None:
    key = anonymous_voter_key("secret", 1, "29:alice")
    assert key == anonymous_voter_key("secret", 1, "29:alice")
    assert key != anonymous_voter_key("secret", 2, "29:alice")
    assert key != anonymous_voter_key("other", 1, "29:alice")
    assert "alice" not in key


ballots = st.lists(
    st.builds(Ballot, st.lists(st.integers(0, 4), max_size=5).map(tuple)), max_size=60
)


@given(ballots)
def test_tally_invariants(generated: list[Ballot]) -> None:
    result = tally(5, generated)
    voters = [b for b in generated if b.choices]
    assert result.voters == len(voters)
    assert sum(result.counts) == sum(len(set(b.choices)) for b in voters)
    assert all(0 <= count <= result.voters for count in result.counts)
    assert all(0 <= pct <= 100 for pct in result.percentages)


@given(st.lists(st.text(min_size=1, max_size=20), min_size=2, max_size=10))
def test_validated_options_are_distinct_and_trimmed(options: list[str]) -> None:
    try:
        cleaned = validate_options(options)
    except PollError:
        return
    assert len({o.casefold() for o in cleaned}) == len(cleaned)
    assert all(o == o.strip() and o for o in cleaned)


@pytest.mark.parametrize(
    ("text", "question", "options"),
    [
        ("Lunch?", "Lunch?", ()),
        ("Lunch? | Pizza", "Lunch?", ("Pizza",)),
        (" | Pizza | Sushi", "", ("Pizza", "Sushi")),
        ("Lunch? |  | ", "Lunch?", ()),
    ],
)
def test_a_line_that_leaves_parts_out_gives_what_it_has_for_the_dialog(
    text: str, question: str, options: tuple[str, ...]
) -> None:
    parts = parse(text + " --anonymous --closes 15/12")
    assert parts == PollParts(question, options, False, True, "15/12")


@pytest.mark.parametrize(("locale", "day", "month"), [("en-GB", 12, 4), ("en-US", 4, 12)])
def test_the_closing_time_is_read_as_the_writers_locale_writes_dates(
    locale: str, day: int, month: int
) -> None:
    spec = parse_poll_command("Q | A | B --closes 12/4 17:00", NOW, BRUSSELS, locale=locale)
    assert isinstance(spec, PollSpec)
    assert spec.closes_at is not None
    local = spec.closes_at.astimezone(BRUSSELS)
    assert (local.day, local.month, local.hour) == (day, month, 17)
