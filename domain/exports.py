"""Minutes as a Word document (python-docx), formatted for e-mailing to stakeholders."""

from __future__ import annotations

import io

from docx import Document
from docx.shared import Pt

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
