"""Files people take away: minutes as a Word document (python-docx), formatted for e-mailing to
stakeholders, and the action tracker of a city or TAG as an Excel workbook (openpyxl)."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from docx import Document
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from domain.actions import STATUS_LABELS, Status, is_open
from domain.minutes import MinutesDoc, TourEntry, status_label
from domain.text import one_line


def render_docx(doc: MinutesDoc) -> bytes:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    document.add_heading(doc.title, level=0)
    meta = f"Stakeholder group: {doc.stakeholder_group} · taken by {doc.author}"
    if doc.id is not None:
        meta = f"Minutes #{doc.id} · " + meta
    document.add_paragraph(meta)

    document.add_heading("Agreements", level=1)
    if doc.agreements:
        for owner, text in doc.agreements:
            paragraph = document.add_paragraph(style="List Bullet")
            if owner:
                paragraph.add_run(f"{owner}: ").bold = True
            paragraph.add_run(one_line(text))
    else:
        document.add_paragraph("None recorded.")

    document.add_heading("Actions", level=1)
    if doc.actions:
        table = document.add_table(rows=1, cols=3)
        table.style = "Light Grid Accent 1"
        for cell, title in zip(table.rows[0].cells, ("Action", "Owner", "Due"), strict=True):
            cell.text = title
        for action in doc.actions:
            cells = table.add_row().cells
            cells[0].text = one_line(action.text)
            cells[1].text = action.owner
            cells[2].text = f"{action.due:%d %b %Y}" if action.due else "—"
    else:
        document.add_paragraph("None recorded.")

    if doc.recap:
        document.add_heading("Recap of what was agreed last time", level=1)
        for entry in doc.recap:
            paragraph = document.add_paragraph(style="List Bullet")
            paragraph.add_run(
                one_line(entry.text) + (f" ({entry.owner})" if entry.owner else "") + ": "
            )
            paragraph.add_run(status_label(entry.status)).bold = True

    document.add_heading("Attendees", level=1)
    if doc.stakeholders:
        document.add_paragraph("Stakeholders: " + ", ".join(doc.stakeholders))
    if doc.reps:
        document.add_paragraph("City representatives: " + ", ".join(doc.reps))

    tour: list[TourEntry] = [entry for entry in doc.tour if not entry.empty]
    if tour:
        document.add_heading("Tour de table", level=1)
        for stop in tour:
            document.add_heading(stop.stakeholder, level=2)
            for label, value in (
                ("Progress", stop.progress),
                ("Pain points", stop.pain_points),
                ("Planned activities", stop.planned),
                ("Support needed", stop.support),
            ):
                if value.strip():
                    paragraph = document.add_paragraph(style="List Bullet")
                    paragraph.add_run(f"{label}: ").bold = True
                    paragraph.add_run(one_line(value))

    document.add_heading("Next steps", level=1)
    document.add_paragraph(doc.next_steps.strip() or "None recorded.")
    if doc.next_call:
        paragraph = document.add_paragraph()
        paragraph.add_run("Next call: ").bold = True
        paragraph.add_run(f"{doc.next_call:%A %d %B %Y}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- the action tracker as an Excel workbook ------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A spreadsheet reads a cell starting with one of these as a formula (or a formula's start) when
# someone edits it: such text is stored as text and marked "quote prefix", as Excel does for 'x.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SURROGATES = re.compile("[\ud800-\udfff]")
_MAX_CELL = 32_767  # characters Excel keeps in a cell
_DATE = "yyyy-mm-dd"
_DATE_TIME = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class TrackerRow:
    """One action or commitment as the workbook shows it; times aware (UTC or any zone)."""

    id: int
    text: str
    owner: str | None
    due: date | None
    status: Status
    overdue: bool
    place: str  # the city (or TAG) it belongs to
    source: str  # the meeting that recorded it: "Complete ecosystem meeting 2026-11-12", "TAG session 4"
    created: datetime | None = None
    updated: datetime | None = None


@dataclass(frozen=True)
class Tracker:
    """Whose tracker (`scope`: "Aarhus", "TAG Green Buildings"), as of when, in which zone the
    times are shown, and its rows."""

    scope: str
    as_of: datetime
    zone: ZoneInfo
    rows: Sequence[TrackerRow]


def cell_text(text: str) -> str:
    """Text a workbook can hold: no XML control characters (openpyxl refuses them) nor lone
    surrogates (not UTF-8), at most what Excel keeps in a cell."""
    return _SURROGATES.sub("", ILLEGAL_CHARACTERS_RE.sub("", text))[:_MAX_CELL]


def _put(sheet: Worksheet, row: int, column: int, value: object, number_format: str = "") -> None:
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        text = cell_text(value)
        cell.value = text
        cell.data_type = "s"  # never a formula, whatever it starts with
        if text.startswith(_FORMULA_STARTS):
            cell.quotePrefix = True
    else:
        cell.value = value  # type: ignore[assignment]  # dates, datetimes and numbers only
    if number_format:
        cell.number_format = number_format


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Excel has no time zones: the wall-clock time in `zone`, without its zone."""
    return moment.astimezone(zone).replace(tzinfo=None) if moment is not None else None


def render_tracker_xlsx(tracker: Tracker) -> bytes:
    """The tracker as .xlsx: a sheet "Actions" (one row per item, real dates, a frozen header with
    filters) and a sheet "About" saying whose tracker it is and as of when."""
    zone = tracker.zone
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = "Actions"
    headers = (
        "Action #", "Action", "Owner", "Due", "Status", "Overdue?", "City or TAG",
        "Source meeting", f"Created ({zone.key})", f"Updated ({zone.key})",
    )  # fmt: skip
    formats = ("0", "", "", _DATE, "", "", "", "", _DATE_TIME, _DATE_TIME)
    widths = [len(header) for header in headers]
    wrap = Alignment(wrap_text=True, vertical="top")  # one object: building one per row is slow
    for column, header in enumerate(headers, start=1):
        _put(sheet, 1, column, header)
        sheet.cell(row=1, column=column).font = Font(bold=True)
    for index, item in enumerate(tracker.rows, start=2):
        values: tuple[object, ...] = (
            item.id, item.text, item.owner or "", item.due, STATUS_LABELS[item.status],
            "yes" if item.overdue else "no", item.place, item.source,
            _local(item.created, zone), _local(item.updated, zone),
        )  # fmt: skip
        for column, (value, number_format) in enumerate(zip(values, formats, strict=True), 1):
            if value is None:
                continue
            _put(sheet, index, column, value, number_format)
            shown = (
                len(cell_text(value)) if isinstance(value, str) else len(number_format or "0000")
            )
            widths[column - 1] = max(widths[column - 1], shown)
        sheet.cell(row=index, column=2).alignment = wrap
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(max(width, 8), 60) + 2
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(tracker.rows) + 1}"

    about = book.create_sheet("About")
    open_rows = [row for row in tracker.rows if is_open(row.status)]
    facts: tuple[tuple[str, object, str], ...] = (
        ("Action tracker of", tracker.scope, ""),
        (f"As of ({zone.key})", _local(tracker.as_of, zone), _DATE_TIME),
        ("Items", len(tracker.rows), "0"),
        ("Open", len(open_rows), "0"),
        ("Overdue", sum(row.overdue for row in tracker.rows), "0"),
    )
    for index, (label, value, number_format) in enumerate(facts, start=1):
        _put(about, index, 1, label)
        about.cell(row=index, column=1).font = Font(bold=True)
        _put(about, index, 2, value, number_format)
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = min(max(len(cell_text(tracker.scope)), 18), 60) + 2
    book.properties.title = cell_text(f"Action tracker — {tracker.scope}")[:200]
    book.properties.creator = "ICC bot"
    book.properties.created = tracker.as_of.astimezone(UTC).replace(tzinfo=None)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
