"""Minutes and actions as pure functions: typed lines, owners, overdue across time zones, Markdown."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.actions import (
    ActionError,
    Item,
    Kind,
    OwnerType,
    Status,
    overdue,
    parse_action_lines,
    parse_agreement_lines,
    resolve_owner,
)
from domain.minutes import ActionLine, MeetingType, MinutesDoc, TourEntry, render_markdown

NOW = datetime(
    2026, 11, 23, 23, 30, tzinfo=UTC
)  # already the 24th in Athens, still the 23rd in Lisbon
BRUSSELS = ZoneInfo("Europe/Brussels")


def test_overdue_is_judged_in_each_citys_own_calendar() -> None:
    due_23 = date(2026, 11, 23)
    athens = Item(1, Kind.ACTION, "a", Status.OPEN, due=due_23, city_name="Kalamata")
    lisbon = Item(2, Kind.ACTION, "b", Status.OPEN, due=due_23, city_name="Braga")
    zones = {"Kalamata": ZoneInfo("Europe/Athens"), "Braga": ZoneInfo("Europe/Lisbon")}
    assert overdue([athens, lisbon], NOW, zones, BRUSSELS) == [athens]


def test_closed_items_are_never_overdue() -> None:
    items = [
        Item(i, Kind.ACTION, "x", status, due=date(2026, 1, 1)) for i, status in enumerate(Status)
    ]
    late = overdue(items, NOW, {}, BRUSSELS)
    assert {item.status for item in late} == {Status.OPEN, Status.IN_PROGRESS, Status.BLOCKED}


def test_owners_resolve_to_stakeholders_people_or_the_city() -> None:
    assert (
        resolve_owner("energy agency", ["Energy Agency"], ["Bob Rep"], "Aarhus").type
        is OwnerType.STAKEHOLDER
    )
    assert (
        resolve_owner("Bob  Rep", ["Energy Agency"], ["Bob Rep"], "Aarhus").type is OwnerType.PERSON
    )
    assert resolve_owner("aarhus", [], [], "Aarhus").type is OwnerType.CITY
    with pytest.raises(ActionError, match="don't know the owner"):
        resolve_owner("Someone", ["Energy Agency"], [], "Aarhus")


def parse(text: str) -> list[object]:
    return list(
        parse_action_lines(
            text, stakeholders=["Energy Agency"], people=["Bob Rep"], city="Aarhus",
            today=date(2026, 11, 23), zone=BRUSSELS, now=datetime(2026, 11, 23, 9, tzinfo=UTC),
        )
    )  # fmt: skip


def test_action_lines() -> None:
    drafts = parse("Share data | Energy Agency | 2026-12-15\nPilot | Bob Rep | friday")
    assert [(d.text, d.owner.name, d.due) for d in drafts] == [  # type: ignore[attr-defined]
        ("Share data", "Energy Agency", date(2026, 12, 15)),
        ("Pilot", "Bob Rep", date(2026, 11, 27)),
    ]
    assert parse("none") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Share data | Energy Agency", "what | owner | due date"),
        ("Share data | Nobody | 2026-12-15", "don't know the owner"),
        ("Share data | Energy Agency | 2026-11-01", "in the past"),
        ("Share data | Energy Agency | someday", "due date"),
        ("ok | city | 2026-12-01\nbad line", "Line 2"),
    ],
)
def test_bad_action_lines_say_which_and_why(text: str, message: str) -> None:
    with pytest.raises(ActionError, match=message):
        parse(text)


def test_agreements_with_and_without_a_stakeholder() -> None:
    assert parse_agreement_lines(
        "Energy Agency: shares data\nGeneral point", ["Energy Agency"]
    ) == [
        ("Energy Agency", "shares data"),
        (None, "General point"),
    ]
    assert parse_agreement_lines("Unknown: x", ["Energy Agency"]) == [(None, "Unknown: x")]


def doc(**changes: object) -> MinutesDoc:
    values: dict[str, object] = {
        "city": "Aarhus", "meeting_type": MeetingType.COMPLETE, "meeting_date": date(2026, 11, 23),
        "stakeholder_group": "Energy", "author": "Alice", "stakeholders": ("Energy Agency",),
    }  # fmt: skip
    values.update(changes)
    return MinutesDoc(**values)  # type: ignore[arg-type]


def test_markdown_puts_agreements_and_actions_first_and_escapes_text() -> None:
    text = render_markdown(
        doc(
            agreements=(("Energy Agency", "see [x](http://evil) *now*"),),
            actions=(ActionLine("Share | data", "Energy Agency", date(2026, 12, 1)),),
            tour=(TourEntry("Energy Agency", progress="# not a heading"),),
            next_steps="Call <b>them</b>",
        )
    )
    assert text.index("## Agreements") < text.index("## Actions") < text.index("## Tour de table")
    assert r"\[x\]\(http://evil\) \*now\*" in text
    assert r"Share \| data" in text  # a pipe cannot break the table
    assert r"\# not a heading" in text
    assert r"\<b\>" in text
