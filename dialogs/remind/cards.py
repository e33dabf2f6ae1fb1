"""Cards of the reminders: setup, the channel's series, and the reminders themselves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot import cards
from bot.cards import COMMAND_VERB, DIALOG_VERB, Card, Element, card_time
from domain.agenda import PREPARATION
from domain.minutes import MEETING_LABELS, MeetingType
from domain.recurrence import DEFAULT_NUDGES, KIND_LABELS, NUDGE_LABELS, Nudge, SeriesKind

INVITE = "remind.invite"


def setup_card(*, day: date, timezone: str, is_tag: bool) -> Card:
    kinds = (
        [SeriesKind.TAG_SESSION, SeriesKind.TAG_TRACKER, SeriesKind.CUSTOM]
        if is_tag
        else [SeriesKind.ECOSYSTEM, SeriesKind.CUSTOM]
    )
    body: list[Element] = [
        cards.text("Set up a reminder series", size="Medium", weight="Bolder"),
        cards.choice_set(
            "kind",
            [(KIND_LABELS[k], k.value) for k in kinds],
            value=kinds[0].value,
            label="What meets?",
        ),
    ]
    if not is_tag:
        body.append(
            cards.choice_set(
                "first_type",
                [(MEETING_LABELS[t], t.value) for t in MeetingType],
                value=MeetingType.COMPLETE.value,
                label="The first meeting is the…",
            )
        )
    body += [
        cards.date_input("day", label="First meeting", value=day.isoformat()),
        {"type": "Input.Time", "id": "time", "label": "Time", "value": "10:00"},
        cards.text_input("timezone", label="Time zone", value=timezone, max_length=64),
        cards.choice_set(
            "interval",
            [(f"Every {n} week{'s' if n > 1 else ''}", str(n)) for n in range(1, 9)]
            + [("Monthly", "monthly")],
            value="8" if is_tag else "2",
            expanded=False,
            label="How often",
        ),
        cards.choice_set(
            "nudges",
            [(label, nudge.value) for nudge, label in NUDGE_LABELS.items()],
            value=",".join(n.value for n in DEFAULT_NUDGES),
            multi=True,
            label="Send",
        ),
        cards.text_input(
            "text", label="Reminder text (custom reminders)", multiline=True, max_length=1000
        ),
    ]
    return cards.card(
        body, [cards.submit("Save series", DIALOG_VERB, {"step": "remind"}, style="positive")]
    )


@dataclass(frozen=True)
class SeriesLine:
    id: int
    kind: SeriesKind
    status: str
    rhythm: str
    next_meetings: tuple[tuple[str, datetime], ...]
    active: bool = True  # neither paused nor stopped: its meetings go in a calendar


def series_list_card(title: str, lines: Sequence[SeriesLine], here: str = "this channel") -> Card:
    body: list[Element] = [cards.text(title, size="Medium", weight="Bolder")]
    if not lines:
        body.append(
            cards.text(f"No reminder series in {here}. Start one with `remind setup`.", subtle=True)
        )
    for line in lines:
        items: list[Element] = [
            cards.text(f"#{line.id} · {KIND_LABELS[line.kind]} · {line.rhythm}", weight="Bolder"),
            cards.text(line.status, subtle=True, spacing="None"),
        ]
        items += [
            cards.text(f"• {label}: {card_time(moment)}", size="Small", spacing="None")
            for label, moment in line.next_meetings
        ]
        if line.active:
            items.append(
                {
                    "type": "ActionSet",
                    "spacing": "Small",
                    "actions": [
                        cards.execute("📅 Add to calendar", INVITE, {"series_id": line.id})
                    ],
                }
            )
        body.append(cards.container(items, separator=True))
    return cards.card(body)


@dataclass(frozen=True)
class OpenItem:
    text: str
    owner: str | None
    due: date | None
    kind: str


def reminder_card(
    *,
    series_id: int,
    nudge: Nudge,
    kind: SeriesKind,
    label: str,
    when: datetime,
    late_by_minutes: int,
    recap: Sequence[OpenItem] = (),
    text: str | None = None,
) -> Card:
    lead = {
        Nudge.WEEK_BEFORE: "In a week",
        Nudge.DAY_BEFORE: "Tomorrow",
        Nudge.MORNING_OF: "Today",
    }.get(nudge, "Coming up")
    body: list[Element] = [
        cards.text(f"⏰ Reminder · series #{series_id}", subtle=True, size="Small"),
        cards.text(f"{lead}: {label}", size="Large", weight="Bolder", spacing="Small"),
        cards.text(card_time(when), weight="Bolder", spacing="None"),
    ]
    if late_by_minutes:
        body.append(
            cards.text(
                f"Sent {late_by_minutes} min late: the bot was not running at the reminder's time.",
                color="Warning",
                size="Small",
            )
        )
    if text:
        body.append(cards.text(cards.escape(text)))
    actions: list[Element] = []
    if kind is SeriesKind.ECOSYSTEM:
        body.append(
            cards.text("Still open from the previous calls", weight="Bolder", separator=True)
        )
        if recap:
            for item in recap:
                due = f" (due {item.due:%d %b})" if item.due else ""
                who = f"**{cards.escape(item.owner)}:** " if item.owner else ""
                body.append(
                    cards.text(
                        f"• {who}{cards.escape(item.text)}{due}", size="Small", spacing="None"
                    )
                )
        else:
            body.append(cards.text("Nothing open.", subtle=True, size="Small"))
        actions.append(cards.submit("Start the minutes", "command", {"text": "minutes"}))
    elif kind in (SeriesKind.TAG_SESSION, SeriesKind.TAG_TRACKER):
        body.append(cards.text("Before the session", weight="Bolder", separator=True))
        body += [cards.text(f"☐ {step}", size="Small", spacing="None") for step in PREPARATION]
        if kind is SeriesKind.TAG_TRACKER:
            body.append(
                cards.text(
                    "90 minutes, led by the lead expert; one representative per city (mentors are not invited).",
                    subtle=True,
                    size="Small",
                )
            )
    return cards.card(body, actions)


def minutes_missing_card(*, series_id: int, label: str, when: datetime) -> Card:
    return cards.card(
        [
            cards.text(f"📝 Minutes missing · series #{series_id}", subtle=True, size="Small"),
            cards.text(
                f"No minutes yet for the {label.lower()}",
                size="Medium",
                weight="Bolder",
                spacing="Small",
            ),
            cards.text(card_time(when), subtle=True, spacing="None"),
            cards.text(
                "Record them while they are fresh: agreements and actions are recapped at the next call."
            ),
        ],
        [cards.submit("Take the minutes", "command", {"text": "minutes"})],
    )


def overdue_card(*, series_id: int, by_owner: Sequence[tuple[str, Sequence[OpenItem]]]) -> Card:
    body: list[Element] = [
        cards.text(f"⚠ Overdue actions · series #{series_id}", subtle=True, size="Small"),
        cards.text(
            "These actions are past their due date", size="Medium", weight="Bolder", spacing="Small"
        ),
    ]
    for owner, items in by_owner:
        body.append(cards.text(cards.escape(owner), weight="Bolder", separator=True))
        body += [
            cards.text(
                f"• {cards.escape(item.text)}" + (f" (due {item.due:%d %b})" if item.due else ""),
                size="Small",
                spacing="None",
            )
            for item in items
        ]
    return cards.card(
        body, [cards.submit("Open the tracker", "command", {"text": "actions overdue"})]
    )


def twin_card(*, series_id: int, summary: str) -> Card:
    """Under the refusal of a series the channel already has: the one it has, and a button
    that lists the channel's series (a click, so no @mention is needed in a channel)."""
    return cards.card(
        [cards.text(f"#{series_id} · {summary}", weight="Bolder")],
        [cards.submit("Show the series", COMMAND_VERB, {"text": "remind list"})],
    )
