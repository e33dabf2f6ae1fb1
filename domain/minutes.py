"""Ecosystem-call minutes as plain data, and their Markdown rendering for stakeholders."""

from __future__ import annotations

import enum
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.actions import STATUS_LABELS, Kind, Status


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
    edited: bool = False  # changed after they were saved

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
    edited: bool = False,
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
        edited=edited,
    )


# --- Markdown for people to read: escaped only where a Markdown reader would misread it --------

_PUNCTUATION = set(string.punctuation)
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# At the start of a line: a heading, a list item, a quote, an ordered list item.
_HEADING = re.compile(r"#{1,6}(\s|$)")
_BULLET = re.compile(r"[-+*](\s|$)")
_ORDERED = re.compile(r"([0-9]{1,9})([.)])(\s|$)")
# A line of only these is a setext underline, a thematic break or a table's delimiter row.
_RULE_ONLY = set("-=_*|:+ \t")


def _inline(
    text: str, *, at_start: bool = False, in_table: bool = False, paragraph: str | None = None
) -> str:
    """One field of user text inside a line we write: what it says, read literally by a
    Markdown reader (CommonMark with GitHub's tables and strikethrough), with as few
    backslashes as that takes — "Dr. Smith-Jones (Port)" and "50% of 3*4" stay as they are.

    Paired marks (emphasis, strikethrough, code, links) are escaped where they could pair,
    counting the field's edges as where our own markup may stand. `at_start`: the field starts
    a line or a list item, where "- ", "# ", "> ", "1. " or a row of dashes would make a block;
    `paragraph`: all the text of the paragraph it is a line of."""
    text = " ".join(text.split())
    stars = (paragraph or text).count("*")
    out = []
    for index, char in enumerate(text):
        before = text[index - 1] if index else ""
        after = text[index + 1] if index + 1 < len(text) else ""
        if char == "\\":
            escape = not after or after in _PUNCTUATION
        elif char == "*":
            # "a * b" cannot open or close; a single "3*4" has nothing to pair with.
            escape = not (
                (before == " " and after == " ")
                or (stars == 1 and before.isalnum() and after.isalnum())
            )
        elif char == "_":
            escape = not (before.isalnum() and after.isalnum())  # snake_case is no emphasis
        elif char == "~":
            escape = not (before == " " and after == " ")
        elif char == "`":
            escape = True
        elif char == "]":
            # A link or image needs "](" or "][" (or "]:" for a definition) right after it.
            escape = not after or after in "([:"
        elif char == "<":
            escape = after.isalpha() or after in "/!?"  # an HTML tag or an autolink
        elif char == "&":
            escape = bool(_ENTITY.match(text, index))
        elif char == "|":
            escape = in_table
        else:
            escape = False
        out.append("\\" + char if escape else char)
    escaped = "".join(out)
    if at_start and text and not escaped.startswith("\\"):
        if set(text) <= _RULE_ONLY or text[0] == ">" or _HEADING.match(text) or _BULLET.match(text):
            escaped = "\\" + escaped
        elif ordered := _ORDERED.match(text):
            digits = ordered.group(1)
            escaped = digits + "\\" + escaped[len(digits) :]
    return escaped


def _lines(text: str) -> str:
    """User text of several lines, each a line of its own that no reader takes for a block (a
    heading, a list, a quote, a rule, a table's delimiter, code)."""
    return "\n".join(
        _inline(line, at_start=True, paragraph=text) for line in text.strip().splitlines()
    )


def _heading(text: str) -> str:
    """A heading's text: a closing run of "#" would be dropped from it."""
    escaped = _inline(text)
    return escaped[:-1] + "\\#" if escaped.endswith("#") else escaped


def status_label(status: str) -> str:
    """As the cards say it (the recap card offers every status, "open" among them)."""
    return STATUS_LABELS.get(Status(status), status) if status in set(Status) else status


def render_markdown(doc: MinutesDoc) -> str:
    """Minutes for e-mailing to stakeholders: agreements and actions first."""
    lines = [f"# {_heading(doc.title)}", ""]
    # Fields that share a line are escaped together: marks in two of them could pair.
    byline = _inline(f"{doc.stakeholder_group} · taken by {doc.author}")
    lines.append(
        f"Minutes #{doc.id} · stakeholder group: {byline}"
        if doc.id is not None
        else f"Stakeholder group: {byline}"
    )
    lines += ["", "## Agreements", ""]
    if doc.agreements:
        lines += [
            f"- **{_inline(owner)}**: {_inline(text)}"
            if owner
            else f"- {_inline(text, at_start=True)}"
            for owner, text in doc.agreements
        ]
    else:
        lines.append("_None recorded._")
    lines += ["", "## Actions", ""]
    if doc.actions:
        lines += ["| Action | Owner | Due |", "|---|---|---|"]
        lines += [
            f"| {_inline(a.text, in_table=True)} | {_inline(a.owner, in_table=True)} | {a.due:%d %b %Y} |"
            if a.due
            else f"| {_inline(a.text, in_table=True)} | {_inline(a.owner, in_table=True)} | — |"
            for a in doc.actions
        ]
    else:
        lines.append("_None recorded._")
    if doc.recap:
        lines += ["", "## Recap of what was agreed last time", ""]
        lines += [
            f"- {_inline(r.text + (f' ({r.owner})' if r.owner else ''), at_start=True)}: **{status_label(r.status)}**"
            for r in doc.recap
        ]
    lines += ["", "## Attendees", ""]
    if doc.stakeholders:
        lines.append("Stakeholders: " + _inline(", ".join(doc.stakeholders)))
    if doc.reps:
        lines.append("")
        lines.append("City representatives: " + _inline(", ".join(doc.reps)))
    tour = [entry for entry in doc.tour if not entry.empty]
    if tour:
        lines += ["", "## Tour de table", ""]
        for entry in tour:
            lines += [f"### {_heading(entry.stakeholder)}", ""]
            for label, value in (
                ("Progress", entry.progress),
                ("Pain points", entry.pain_points),
                ("Planned activities", entry.planned),
                ("Support needed", entry.support),
            ):
                if value.strip():
                    lines.append(f"- **{label}:** {_inline(value)}")
            lines.append("")
    lines += [
        "",
        "## Next steps",
        "",
        _lines(doc.next_steps) if doc.next_steps.strip() else "_None recorded._",
    ]
    if doc.next_call:
        lines += ["", f"**Next call:** {doc.next_call:%A %d %B %Y}"]
    return "\n".join(lines).rstrip() + "\n"
