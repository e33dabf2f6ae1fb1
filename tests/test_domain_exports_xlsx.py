"""The action tracker as an Excel workbook, read back with openpyxl: rows, real dates, hostile text."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from domain.actions import Status
from domain.exports import Tracker, TrackerRow, render_tracker_xlsx

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
AS_OF = datetime(2026, 12, 5, 17, 30, tzinfo=UTC)


def wall(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A Copenhagen wall-clock time as a workbook holds it: without a zone."""
    return datetime(year, month, day, hour, minute, tzinfo=COPENHAGEN).replace(tzinfo=None)


def row(**overrides: object) -> TrackerRow:
    values: dict[str, object] = {
        "id": 7,
        "text": "Share the EV charging data",
        "owner": "Energy Agency",
        "due": date(2026, 12, 15),
        "status": Status.OPEN,
        "overdue": False,
        "place": "Aarhus",
        "source": "Complete ecosystem meeting 2026-11-12",
        "created": datetime(2026, 11, 12, 9, 5, tzinfo=UTC),
        "updated": datetime(2026, 11, 20, 23, 30, tzinfo=UTC),
    }
    values.update(overrides)
    return TrackerRow(**values)  # type: ignore[arg-type]  # the test's own fields


def workbook(*rows: TrackerRow, scope: str = "Aarhus") -> openpyxl.Workbook:
    content = render_tracker_xlsx(Tracker(scope, AS_OF, COPENHAGEN, rows))
    return openpyxl.load_workbook(io.BytesIO(content))


def sheet(book: openpyxl.Workbook, name: str) -> Worksheet:
    found = book[name]
    assert isinstance(found, Worksheet)
    return found


def test_one_row_per_action_under_a_frozen_filtered_header() -> None:
    book = workbook(
        row(),
        row(id=9, text="Draft the port pilot", owner="Bob Rep", due=None, status=Status.DONE),
        row(id=12, status=Status.BLOCKED, overdue=True, due=date(2026, 12, 1)),
    )
    assert book.sheetnames == ["Actions", "About"]
    actions = sheet(book, "Actions")
    values = [[cell.value for cell in line] for line in actions.iter_rows()]
    assert values[0] == [
        "Action #", "Action", "Owner", "Due", "Status", "Overdue?", "City or TAG",
        "Source meeting", "Created (Europe/Copenhagen)", "Updated (Europe/Copenhagen)",
    ]  # fmt: skip
    assert [line[0] for line in values[1:]] == [7, 9, 12]
    assert values[1][1:3] == ["Share the EV charging data", "Energy Agency"]
    assert values[1][4:8] == ["open", "no", "Aarhus", "Complete ecosystem meeting 2026-11-12"]
    assert values[2][3] is None  # no due date: an empty cell, not a made-up date
    assert values[2][4] == "done"
    assert values[3][4:6] == ["blocked", "yes"]
    assert actions.freeze_panes == "A2"
    assert actions.auto_filter.ref == "A1:J4"
    assert all(actions.cell(row=1, column=c).font.b for c in range(1, 11))
    widths = [actions.column_dimensions[letter].width for letter in "ABCDEFGHIJ"]
    assert all(8 <= width <= 62 for width in widths), widths
    assert widths[1] > widths[0]  # the action's text gets room


def test_dates_are_excel_dates_and_times_are_the_zones_wall_clock() -> None:
    actions = sheet(workbook(row()), "Actions")
    due, created, updated = (actions.cell(row=2, column=c) for c in (4, 9, 10))
    assert isinstance(due, Cell)
    assert isinstance(created, Cell)
    assert due.is_date
    assert due.number_format == "yyyy-mm-dd"
    assert isinstance(due.value, datetime)
    assert due.value.date() == date(2026, 12, 15)
    assert created.is_date
    assert created.value == wall(2026, 11, 12, 10, 5)  # UTC+1 in November
    assert updated.value == wall(2026, 11, 21, 0, 30)  # already the next day in Copenhagen
    assert updated.number_format == "yyyy-mm-dd hh:mm"


def test_the_about_sheet_says_whose_tracker_and_as_of_when() -> None:
    book = workbook(
        row(), row(id=8, status=Status.DONE), row(id=9, overdue=True), scope="TAG Green Buildings"
    )
    about = {
        line[0].value: line[1].value for line in sheet(book, "About").iter_rows() if line[0].value
    }
    assert about["Action tracker of"] == "TAG Green Buildings"
    assert about["As of (Europe/Copenhagen)"] == wall(2026, 12, 5, 18, 30)
    assert (about["Items"], about["Open"], about["Overdue"]) == (3, 2, 1)
    assert book.properties.title == "Action tracker — TAG Green Buildings"


def test_text_that_looks_like_a_formula_stays_text() -> None:
    hostile = ['=HYPERLINK("http://evil","x")', "+1+1", "-2", "@SUM(A1)", "\tcmd", "\r=1"]
    book = workbook(
        *(row(id=i, text=t, owner=t, place=t, source=t) for i, t in enumerate(hostile, 1)),
        scope="=cmd|' /C calc'!A0",
    )
    actions = sheet(book, "Actions")
    for index, text in enumerate(hostile, start=2):
        for column in (2, 3, 7, 8):
            cell = actions.cell(row=index, column=column)
            assert cell.value == text
            assert cell.data_type == "s", (text, cell.data_type)
            assert cell.quotePrefix  # Excel keeps it text when someone edits the cell
    scope = sheet(book, "About").cell(row=1, column=2)
    assert (scope.value, scope.data_type) == ("=cmd|' /C calc'!A0", "s")
    plain = actions.cell(row=2, column=1)
    assert plain.data_type == "n"
    assert not plain.quotePrefix


def test_xml_control_characters_are_dropped_not_fatal() -> None:
    book = workbook(
        row(text="Share\x00 the\x08 data\x1b\ud800", owner="Energy\x0bAgency", source="Call\x1f 1"),
        scope="Aar\x07hus",
    )
    actions = sheet(book, "Actions")
    assert actions.cell(row=2, column=2).value == "Share the data"
    assert actions.cell(row=2, column=3).value == "EnergyAgency"
    assert actions.cell(row=2, column=8).value == "Call 1"
    assert sheet(book, "About").cell(row=1, column=2).value == "Aarhus"


def test_an_empty_tracker_is_a_header_and_an_about_sheet() -> None:
    book = workbook()
    actions = sheet(book, "Actions")
    assert actions.max_row == 1
    assert actions.auto_filter.ref == "A1:J1"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80), st.text(max_size=40))
def test_any_text_round_trips_as_text_without_its_control_characters(text: str, owner: str) -> None:
    actions = sheet(workbook(row(text=text, owner=owner)), "Actions")
    for column, given_text in ((2, text), (3, owner)):
        cell = actions.cell(row=2, column=column)
        kept = "".join(c for c in given_text if ord(c) >= 32 or c in "\t\n\r")
        assert (cell.value or "") == kept
        assert cell.data_type == "s" or cell.value is None  # an empty text reads back as None
