"""TAG working sessions as plain data: the agenda template, its arithmetic, session numbering,
the guiding questions by stage, the preparation checklist (DOMAIN.md §2.1, §3.1, §4.1, §4.2);
and what the agenda and summary cards show of a session (the views)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.numbers import MAX_ID, parse_int
from domain.text import quote

SESSIONS = 10
AMBITION_SESSIONS = 2  # 2 in Ambition & roadmap, 8 in Implementation
EARLY_SESSIONS = 3  # "Early calls will focus on coaching; later calls on shared commitments"
DEFAULT_LENGTH = 60
MAX_ITEMS = 15
MAX_TITLE = 150
RECAP = "recap"
# How far apart a TAG's working sessions are when the TAG has no reminder series for them:
# about 10 sessions over Ambition & roadmap and Implementation (3 + 15 months, DOMAIN.md
# §2.1, §5) is one every 8 weeks.
SESSION_INTERVAL_WEEKS = 8


class AgendaError(ValueError):
    """An agenda change that cannot be made; the message is the reply."""


@dataclass(frozen=True)
class AgendaItem:
    title: str
    minutes: int
    role: str | None = None  # "recap" marks the item the open commitments are listed under


DEFAULT_TEMPLATE: tuple[AgendaItem, ...] = (
    AgendaItem("Agenda and objective setting by the facilitator", 5),
    AgendaItem("Recap of last session's commitments (lead expert)", 5, RECAP),
    AgendaItem("Reflection on progress since the last session (cities and mentor)", 20),
    AgendaItem("New phase-specific topics (lead expert)", 5),
    AgendaItem("Shared obstacles and opportunities, cooperation and peer coaching", 20),
    AgendaItem("Shared commitments and next meeting", 5),
)

PREPARATION = (
    "Confirm attendance",
    "Read the pre-reads sent by the lead expert, if any",
    "Send discussion questions to the lead expert, if any",
    "Take stock of your city's progress on actions since the last session",
    "Reflect on objectives until the next session and areas for cooperation",
)

MENTOR_QUESTIONS = (
    "What was the biggest challenge for your city and what got you through it?",
    "What actions have you taken that other cities could replicate?",
    "What has been your city's biggest strength and how did you leverage it?",
    "What would you have planned differently about your intelligent city journey?",
    "Which participant city needs do you share that could lead to joint action?",
    "What can your city learn from the ICC and the participants' approach?",
)

CITY_QUESTIONS = (
    "How have you made progress on the learnings from the last cross-city lab?",
    "How are you engaging your citizens and ecosystem? What can cities learn from each other?",
    "How can the ICC contribute more to your city's progress; what support do you need?",
    "What are the opportunities to collaborate?",
    "What circumstances and experiences do we share that could spark cooperation and peer coaching?",
)

EARLY_FOCUS = (
    "Understand each city's objectives: what it wants to achieve and how",
    "Understand the current approach: what has each city done since the last lab or session?",
    "Manage expectations: what should the TAG sessions achieve for each city?",
)

LATER_FOCUS = (
    "Find areas for collaboration: similarities, joint themes, milestones to exchange on",
    "Make actionable commitments: what will each city do until the next session, with what support?",
    "Build long-term relationships",
)


def session_number(previous_sessions: int) -> int:
    """The number of the next working session (n of 10), counting those already held."""
    return previous_sessions + 1


def session_to_summarise(held: int, last_summarised: int | None) -> int:
    """The last session with an agenda, unless it is already summarised (then the next)."""
    summarised = last_summarised is not None and last_summarised >= held
    return held + 1 if summarised or held == 0 else held


def next_session_start(
    previous: datetime, zone: ZoneInfo, interval_weeks: int | None, now: datetime
) -> datetime:
    """When the session after the one starting at `previous` starts: one TAG interval later
    (weeks, or None: a month) at the same wall-clock time in `zone`, and after `now` (intervals
    the TAG skipped are skipped)."""
    local = previous.astimezone(zone).replace(tzinfo=None)
    steps = 1
    while True:
        if interval_weeks is None:
            month = local.month - 1 + steps
            year = local.year + month // 12
            day = min(local.day, 28)  # not every month has a 29th
            candidate = local.replace(year=year, month=month % 12 + 1, day=day)
        else:
            candidate = local + timedelta(weeks=interval_weeks * steps)
        moment = candidate.replace(tzinfo=zone)
        if moment > now or steps >= 520:
            return moment
        steps += 1


def phase_of(session: int) -> str:
    return "Ambition & roadmap" if session <= AMBITION_SESSIONS else "Implementation"


def is_early(session: int) -> bool:
    return session <= EARLY_SESSIONS


@dataclass(frozen=True)
class Questions:
    stage: str
    focus: tuple[str, ...]
    mentor: tuple[str, ...]
    cities: tuple[str, ...]


def guiding_questions(session: int) -> Questions:
    if is_early(session):
        return Questions(
            "Early session: coaching", EARLY_FOCUS, MENTOR_QUESTIONS[:3], CITY_QUESTIONS[:2]
        )
    return Questions(
        "Later session: shared commitments", LATER_FOCUS, MENTOR_QUESTIONS[3:], CITY_QUESTIONS[2:]
    )


def total(items: Sequence[AgendaItem]) -> int:
    return sum(item.minutes for item in items)


def over_by(items: Sequence[AgendaItem], length: int) -> int:
    """Minutes beyond the session's length (0 when it fits). Going over is allowed, not hidden."""
    return max(0, total(items) - length)


def check_item(title: str, minutes: object) -> AgendaItem:
    clean = " ".join(title.split())
    if not clean:
        raise AgendaError("An agenda item needs a title.")
    if len(clean) > MAX_TITLE:
        raise AgendaError(f"Keep an item's title under {MAX_TITLE + 1} characters.")
    value = parse_int(minutes, low=1, high=180)
    if value is None:
        raise AgendaError(
            f"{quote(clean, 40)}: minutes must be a whole number; give between 1 and 180 minutes."
        )
    return AgendaItem(clean, value)


def add_item(
    items: Sequence[AgendaItem], item: AgendaItem, position: int | None = None
) -> tuple[AgendaItem, ...]:
    if len(items) >= MAX_ITEMS:
        raise AgendaError(f"An agenda holds at most {MAX_ITEMS} items.")
    at = len(items) if position is None else max(0, min(position, len(items)))
    return (*items[:at], item, *items[at:])


def accept_item(items: Sequence[AgendaItem], item: AgendaItem) -> tuple[AgendaItem, ...]:
    """An accepted proposal joins the agenda before its closing item (the last one: "Shared
    commitments and next meeting" in the template), never after it."""
    return add_item(items, item, position=len(items) - 1 if len(items) > 1 else None)


def remove_item(items: Sequence[AgendaItem], index: int) -> tuple[AgendaItem, ...]:
    if not 0 <= index < len(items):
        raise AgendaError("There is no such item.")
    return (*items[:index], *items[index + 1 :])


def move_item(items: Sequence[AgendaItem], index: int, to: int) -> tuple[AgendaItem, ...]:
    if not 0 <= index < len(items):
        raise AgendaError("There is no such item.")
    moved = list(items)
    item = moved.pop(index)
    moved.insert(max(0, min(to, len(moved))), item)
    return tuple(moved)


def edit_item(
    items: Sequence[AgendaItem], index: int, title: str, minutes: object
) -> tuple[AgendaItem, ...]:
    if not 0 <= index < len(items):
        raise AgendaError("There is no such item.")
    checked = check_item(title, minutes)
    updated = list(items)
    updated[index] = replace(items[index], title=checked.title, minutes=checked.minutes)
    return tuple(updated)


def apply_edits(items: Sequence[AgendaItem], form: Mapping[str, object]) -> tuple[AgendaItem, ...]:
    """The agenda after one submit of the editing card: per item a title, minutes, a position
    and a remove toggle (`title<i>`, `minutes<i>`, `order<i>`, `remove<i>`), and one new item."""
    # (position, 0 if the person moved it else 1, original index): a moved item goes before
    # the one that already held the position it was given.
    rows: list[tuple[int, int, int, AgendaItem]] = []
    for index, item in enumerate(items):
        if str(form.get(f"remove{index}", "false")).lower() == "true":
            continue
        edited = check_item(
            str(form.get(f"title{index}", item.title)), form.get(f"minutes{index}", item.minutes)
        )
        order = _order(form.get(f"order{index}"), index + 1)
        moved = 0 if order != index + 1 else 1
        rows.append(
            (order, moved, index, replace(item, title=edited.title, minutes=edited.minutes))
        )
    new_title = str(form.get("new_title") or "").strip()
    if new_title:
        new = check_item(new_title, form.get("new_minutes") or 5)
        rows.append((_order(form.get("new_order"), len(items) + 1), 0, len(items), new))
    if len(rows) > MAX_ITEMS:
        raise AgendaError(f"An agenda holds at most {MAX_ITEMS} items.")
    if not rows:
        raise AgendaError("An agenda needs at least one item.")
    rows.sort(key=lambda row: row[:3])
    return tuple(row[3] for row in rows)


def _order(raw: object, default: int) -> int:
    if raw in (None, ""):
        return default
    position = parse_int(raw, low=0, high=MAX_ID)
    if position is None:
        raise AgendaError("Positions must be numbers (1 is first).")
    return position


# --- as stored (JSON) ---------------------------------------------------------------------------


def items_from(raw: Sequence[Mapping[str, Any]]) -> tuple[AgendaItem, ...]:
    return tuple(AgendaItem(item["title"], int(item["minutes"]), item.get("role")) for item in raw)


def items_to_raw(items: Sequence[AgendaItem]) -> list[dict[str, Any]]:
    return [{"title": i.title, "minutes": i.minutes, "role": i.role} for i in items]


@dataclass(frozen=True)
class RecapLine:
    """A commitment still open from an earlier session, listed under the recap item."""

    city: str
    text: str
    due: date | None


def recap_from(raw: Sequence[Mapping[str, Any]]) -> list[RecapLine]:
    return [
        RecapLine(r["city"], r["text"], date.fromisoformat(r["due"]) if r.get("due") else None)
        for r in raw
    ]


def recap_to_raw(recap: Sequence[RecapLine]) -> list[dict[str, Any]]:
    return [
        {"city": r.city, "text": r.text, "due": r.due.isoformat() if r.due else None} for r in recap
    ]


# --- what the cards show ------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    id: int
    title: str
    minutes: int
    by: str


@dataclass(frozen=True)
class AgendaView:
    id: int
    tag: str
    session: int
    starts_at: datetime
    timezone: str
    length: int
    items: tuple[AgendaItem, ...]
    recap: tuple[RecapLine, ...]
    owner: str
    attending: tuple[str, ...] = ()
    declining: tuple[str, ...] = ()
    pending: tuple[Proposal, ...] = ()
    accepted: tuple[str, ...] = ()
    updated: bool = False  # changed after it was posted


@dataclass(frozen=True)
class CommitmentLine:
    city: str
    text: str
    due: date | None
    status: str = "open"


@dataclass(frozen=True)
class SummaryView:
    id: int
    tag: str
    session: int
    author: str
    key_points: str
    takeaways: tuple[str, ...]
    commitments: tuple[CommitmentLine, ...]
    support: str
    next_session: date | None
    edited: bool = False
