"""Ecosystem-call minutes as plain data, and their Markdown rendering for stakeholders."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.actions import Kind
from domain.text import escape_markdown as md
from domain.text import one_line


class MeetingType(enum.StrEnum):
    COMPLETE = "complete_ecosystem"
    ALIGNMENT = "city_reps_alignment"


MEETING_LABELS = {
    MeetingType.COMPLETE: "Complete ecosystem meeting",
    MeetingType.ALIGNMENT: "City reps alignment meeting",
}


@dataclass(frozen=True)
class TourEntry:
    stakeholder: str
    progress: str = ""
    pain_points: str = ""
    planned: str = ""
    support: str = ""

    @property
    def empty(self) -> bool:
        return not any((self.progress, self.pain_points, self.planned, self.support))


@dataclass(frozen=True)
class RecapEntry:
    text: str
    kind: str
    owner: str | None
    status: str  # the status the meeting gave it


@dataclass(frozen=True)
class ActionLine:
    text: str
    owner: str
    due: date | None


@dataclass(frozen=True)
class MinutesDoc:
    city: str
    meeting_type: MeetingType
    meeting_date: date
    stakeholder_group: str
    author: str
    stakeholders: tuple[str, ...] = ()
    reps: tuple[str, ...] = ()
    recap: tuple[RecapEntry, ...] = ()
    tour: tuple[TourEntry, ...] = ()
    agreements: tuple[tuple[str | None, str], ...] = ()
    actions: tuple[ActionLine, ...] = ()
    next_steps: str = ""
    next_call: date | None = None
    id: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{MEETING_LABELS[self.meeting_type]} — {self.city}, {self.meeting_date:%d %B %Y}"


@dataclass(frozen=True)
class RecordedItem:
    """An agreement or action the minutes recorded, as stored."""

    kind: str
    text: str
    owner: str | None
    due: date | None


def minutes_doc(
    *,
    minutes_id: int,
    city: str,
    meeting_type: str,
    meeting_date: date,
    stakeholder_group: str,
    author: str,
    stakeholders: Sequence[str],
    reps: Sequence[str],
    recap: Iterable[Mapping[str, Any]],
    tour: Iterable[Mapping[str, Any]],
    items: Iterable[RecordedItem],
    next_steps: str,
    next_call: date | None,
) -> MinutesDoc:
    """Saved minutes as a document: the recap and tour as stored (plain dicts), and the items
    they recorded in order, agreements and actions apart."""
    recorded = list(items)
    return MinutesDoc(
        id=minutes_id,
        city=city,
        meeting_type=MeetingType(meeting_type),
        meeting_date=meeting_date,
        stakeholder_group=stakeholder_group,
        author=author,
        stakeholders=tuple(stakeholders),
        reps=tuple(reps),
        recap=tuple(RecapEntry(r["text"], r["kind"], r.get("owner"), r["status"]) for r in recap),
        tour=tuple(TourEntry(**entry) for entry in tour),
        agreements=tuple(
            (item.owner, item.text) for item in recorded if item.kind == Kind.AGREEMENT
        ),
        actions=tuple(
            ActionLine(item.text, item.owner or "", item.due)
            for item in recorded
            if item.kind == Kind.ACTION
        ),
        next_steps=next_steps,
        next_call=next_call,
    )


def _status_label(status: str) -> str:
    return {"in_progress": "ongoing", "open": "ongoing"}.get(status, status)


def render_markdown(doc: MinutesDoc) -> str:
    """Minutes for e-mailing to stakeholders: agreements and actions first."""
    lines = [f"# {md(doc.title)}", ""]
    if doc.id is not None:
        lines.append(
            f"Minutes #{doc.id} · stakeholder group: {md(doc.stakeholder_group)} · taken by {md(doc.author)}"
        )
    else:
        lines.append(f"Stakeholder group: {md(doc.stakeholder_group)} · taken by {md(doc.author)}")
    lines += ["", "## Agreements", ""]
    if doc.agreements:
        lines += [
            f"- {'**' + md(owner) + '**: ' if owner else ''}{md(one_line(text))}"
            for owner, text in doc.agreements
        ]
    else:
        lines.append("_None recorded._")
    lines += ["", "## Actions", ""]
    if doc.actions:
        lines += ["| Action | Owner | Due |", "|---|---|---|"]
        lines += [
            f"| {md(one_line(a.text))} | {md(a.owner)} | {a.due:%d %b %Y} |"
            if a.due
            else f"| {md(one_line(a.text))} | {md(a.owner)} | — |"
            for a in doc.actions
        ]
    else:
        lines.append("_None recorded._")
    if doc.recap:
        lines += ["", "## Recap of what was agreed last time", ""]
        lines += [
            f"- {md(one_line(r.text))}{' (' + md(r.owner) + ')' if r.owner else ''}: **{_status_label(r.status)}**"
            for r in doc.recap
        ]
    lines += ["", "## Attendees", ""]
    if doc.stakeholders:
        lines.append("Stakeholders: " + ", ".join(md(s) for s in doc.stakeholders))
    if doc.reps:
        lines.append("")
        lines.append("City representatives: " + ", ".join(md(r) for r in doc.reps))
    tour = [entry for entry in doc.tour if not entry.empty]
    if tour:
        lines += ["", "## Tour de table", ""]
        for entry in tour:
            lines += [f"### {md(entry.stakeholder)}", ""]
            for label, value in (
                ("Progress", entry.progress),
                ("Pain points", entry.pain_points),
                ("Planned activities", entry.planned),
                ("Support needed", entry.support),
            ):
                if value.strip():
                    lines.append(f"- **{label}:** {md(one_line(value))}")
            lines.append("")
    lines += [
        "",
        "## Next steps",
        "",
        md(doc.next_steps.strip()) if doc.next_steps.strip() else "_None recorded._",
    ]
    if doc.next_call:
        lines += ["", f"**Next call:** {doc.next_call:%A %d %B %Y}"]
    return "\n".join(lines).rstrip() + "\n"
