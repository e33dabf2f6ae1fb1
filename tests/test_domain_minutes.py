"""Minutes and actions as pure functions: typed lines, owners, overdue across time zones, Markdown."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

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
from domain.exports import render_docx
from domain.minutes import (
    ActionLine,
    MeetingType,
    MinutesDoc,
    RecapEntry,
    TourEntry,
    render_markdown,
)

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
    assert r"see [x\](http://evil) \*now\*" in text
    assert r"Share \| data" in text  # a pipe cannot break the table
    assert "**Progress:** # not a heading" in text  # not at a line's start: no heading
    assert r"Call \<b>them\</b>" in text


# --- the Markdown export, read by a Markdown reader ----------------------------------------------

_READER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_TAG = re.compile(r"<(/?[a-z0-9]+)[^>]*>")


def _structure(markdown: str) -> list[str]:
    """The HTML tags a Markdown reader makes of it, in order: what it reads as markup."""
    return _TAG.findall(_READER.render(markdown))


def _read_text(markdown: str) -> str:
    """What a reader shows, as plain text."""
    return html.unescape(_TAG.sub(" ", _READER.render(markdown)))


def _filled(text: str) -> MinutesDoc:
    """Minutes with `text` in every field a person types."""
    return doc(
        city=text, stakeholder_group=text, author=text, stakeholders=(text, text), reps=(text,),
        agreements=((text, text), (None, text)),
        actions=(ActionLine(text, text, date(2026, 12, 1)), ActionLine(text, text, None)),
        recap=(RecapEntry(text, "action", text, "done"), RecapEntry(text, "agreement", None, "blocked")),
        tour=(TourEntry(text, progress=text, pain_points=text),),
        next_steps=f"{text}\n{text}",
    )  # fmt: skip


PLAIN = _structure(render_markdown(_filled("plain words")))


def test_markdown_export_leaves_ordinary_punctuation_alone() -> None:
    text = render_markdown(
        doc(
            stakeholder_group="Dr. Smith-Jones (Port)",
            agreements=(("Dr. Smith-Jones (Port)", "50% of 3*4 by Friday!"),),
            actions=(ActionLine("#1 priority: e-mail + call", "Port_Authority", None),),
            next_steps="#1 priority\n- not a list\n1. not a list either\nsee http://x.example/a_b",
        )
    )
    assert "Stakeholder group: Dr. Smith-Jones (Port)" in text
    assert "- **Dr. Smith-Jones (Port)**: 50% of 3*4 by Friday!" in text
    assert "| #1 priority: e-mail + call | Port_Authority | — |" in text
    assert "#1 priority\n\\- not a list\n1\\. not a list either\nsee http://x.example/a_b" in text
    shown = _read_text(text)
    for phrase in ("50% of 3*4 by Friday!", "- not a list", "1. not a list either"):
        assert phrase in shown


@pytest.mark.parametrize(
    "hostile",
    [
        "**bold** and *em* and _em_ and __strong__",
        "[click](http://evil.example) ![img](x.png) [ref]: http://evil.example",
        "<script>alert(1)</script> <b>x</b> <http://evil.example> &amp; &#169;",
        "`code` ``more`` ~~struck~~ ~sub~",
        "# heading", "- item", "+ item", "* item", "> quote", "1. one", "2) two",
        "---", "===", "***", "|---|---|", "| a | b |", "~~~", "```",
        "trailing backslash \\", "\\*escaped\\*", "a\\", "Foo #", "x * y * z", "3*4 and 5*6",
    ],
)  # fmt: skip
def test_markdown_export_shows_hostile_text_literally(hostile: str) -> None:
    text = render_markdown(_filled(hostile))
    assert _structure(text) == PLAIN, text
    shown = " ".join(_read_text(text).split())
    assert shown.count(" ".join(hostile.split())) >= 12, shown


@given(st.text(alphabet="ab 1.-+*_~`#>|[]()!<>&;:=\\/", min_size=1, max_size=24))
@settings(max_examples=300, deadline=None)
def test_any_typed_text_reads_literally_in_the_markdown_export(typed: str) -> None:
    if not typed.strip():
        return
    text = render_markdown(_filled(typed))
    assert _structure(text) == PLAIN, text
    shown = " ".join(_read_text(text).split())
    for line in typed.strip().splitlines():
        if line.strip():
            assert " ".join(line.split()) in shown, (line, text)


def test_the_markdown_recap_names_each_status_as_the_cards_do() -> None:
    recap = tuple(RecapEntry(f"item {s}", "action", None, s) for s in Status)
    text = render_markdown(doc(recap=recap))
    for status, label in (
        ("open", "open"), ("in_progress", "ongoing"), ("done", "done"), ("blocked", "blocked"),
        ("dropped", "dropped"),
    ):  # fmt: skip
        assert f"- item {status}: **{label}**" in text
    document = docx.Document(io.BytesIO(render_docx(doc(recap=recap))))
    lines = [p.text for p in document.paragraphs]
    assert "item open: open" in lines
    assert "item blocked: blocked" in lines
    assert "item in_progress: ongoing" in lines
