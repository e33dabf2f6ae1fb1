"""Cards of the minutes dialog and the posted minutes, as pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot import cards
from bot.cards import DIALOG_VERB, Card, Element
from domain.actions import STATUS_LABELS, Status
from domain.minutes import MEETING_LABELS, MeetingType, MinutesDoc
from domain.text import one_line

EXPORT = "minutes.export"


def setup_card(
    *,
    city: str,
    today: date,
    meeting_type: MeetingType,
    group: str,
    register: Sequence[str],
    reps: Sequence[str],
) -> Card:
    body: list[Element] = [
        cards.text(f"Minutes for {cards.escape(city)}", size="Medium", weight="Bolder"),
        cards.choice_set(
            "meeting_type",
            [(label, kind.value) for kind, label in MEETING_LABELS.items()],
            value=meeting_type.value,
            label="Which meeting?",
        ),
        cards.date_input("date", label="Date of the meeting", value=today.isoformat()),
        cards.text_input("group", label="Stakeholder group", value=group, max_length=120),
    ]
    if register:
        body.append(
            cards.choice_set(
                "stakeholders",
                # Values are positions: Teams joins a multi-select's values with commas, and
                # an organisation's name may hold one.
                [(name, str(index)) for index, name in enumerate(register)],
                multi=True,
                label="Stakeholders who attended",
            )
        )
    body.append(
        cards.text_input(
            "new_stakeholders",
            label="Stakeholders not in the list yet" if register else "Stakeholders who attended",
            placeholder="Organisations, separated by commas",
            max_length=2000,
        )
    )
    if reps:
        body.append(
            cards.choice_set(
                "reps",
                [(name, str(index)) for index, name in enumerate(reps)],
                multi=True,
                label="City representatives present",
            )
        )
    return cards.card(
        body, [cards.submit("Next", DIALOG_VERB, {"step": "setup"}, style="positive")]
    )


def recap_card(items: Sequence[dict[str, Any]]) -> Card:
    body: list[Element] = [
        cards.text("Recap: what was agreed last time", size="Medium", weight="Bolder"),
        cards.text("Mark each item as it stands now.", subtle=True, spacing="None"),
    ]
    choices = [
        (STATUS_LABELS[status], status.value)
        for status in (Status.DONE, Status.IN_PROGRESS, Status.DROPPED)
    ]
    for item in items:
        owner = f" — {cards.escape(str(item['owner']))}" if item.get("owner") else ""
        kind = "Agreement" if item.get("kind") == "agreement" else "Action"
        due = f" (due {item['due']})" if item.get("due") else ""
        body.append(
            cards.container(
                [
                    cards.text(f"**{kind}:** {cards.escape(str(item['text']))}{owner}{due}"),
                    cards.choice_set(
                        f"r{item['id']}", choices, value=Status.IN_PROGRESS.value, expanded=False
                    ),
                ],
                separator=True,
            )
        )
    return cards.card(
        body, [cards.submit("Next", DIALOG_VERB, {"step": "recap"}, style="positive")]
    )


def tour_card(stakeholders: Sequence[str], *, internal: bool) -> Card:
    title = "Stakeholder progress (internal)" if internal else "Tour de table"
    body: list[Element] = [
        cards.text(title, size="Medium", weight="Bolder"),
        cards.text("Everything is optional: fill in what was said.", subtle=True, spacing="None"),
    ]
    for index, name in enumerate(stakeholders):
        body.append(
            cards.container(
                [
                    cards.text(f"**{cards.escape(name)}**"),
                    cards.text_input(
                        f"t{index}_progress",
                        placeholder="Status and progress",
                        multiline=True,
                        max_length=2000,
                    ),
                    cards.text_input(
                        f"t{index}_pain", placeholder="Pain points", multiline=True, max_length=2000
                    ),
                    cards.text_input(
                        f"t{index}_planned",
                        placeholder="Planned activities",
                        multiline=True,
                        max_length=2000,
                    ),
                    cards.text_input(
                        f"t{index}_support",
                        placeholder="Support needed",
                        multiline=True,
                        max_length=2000,
                    ),
                ],
                separator=True,
            )
        )
    return cards.card(body, [cards.submit("Next", DIALOG_VERB, {"step": "tour"}, style="positive")])


def closing_card(today: date) -> Card:
    body: list[Element] = [
        cards.text("Next steps and next call", size="Medium", weight="Bolder"),
        cards.text_input("next_steps", label="Next steps", multiline=True, max_length=4000),
        cards.date_input("next_call", label="Next call (optional)"),
    ]
    return cards.card(
        body, [cards.submit("Save minutes", DIALOG_VERB, {"step": "closing"}, style="positive")]
    )


def minutes_card(doc: MinutesDoc) -> Card:
    """The posted minutes: agreements and actions first, the rest below."""
    assert doc.id is not None
    body: list[Element] = [
        cards.text(
            f"📝 Minutes #{doc.id} · {MEETING_LABELS[doc.meeting_type]}", subtle=True, size="Small"
        ),
        cards.text(
            f"{cards.escape(doc.city)} — {doc.meeting_date:%A %d %B %Y}",
            size="Large",
            weight="Bolder",
            spacing="Small",
        ),
        cards.text(
            f"Group: {cards.escape(doc.stakeholder_group)} · taken by {cards.escape(doc.author)}",
            subtle=True,
            spacing="None",
        ),
        cards.text("Agreements", weight="Bolder", size="Medium", separator=True),
    ]
    if doc.agreements:
        body += [
            cards.text(
                f"• {'**' + cards.escape(owner) + ':** ' if owner else ''}{cards.escape(one_line(text))}"
            )
            for owner, text in doc.agreements
        ]
    else:
        body.append(cards.text("None recorded.", subtle=True))
    body.append(cards.text("Actions", weight="Bolder", size="Medium", separator=True))
    if doc.actions:
        for action in doc.actions:
            due = f"{action.due:%d %b %Y}" if action.due else "no due date"
            body.append(
                cards.columns(
                    cards.column([cards.text(cards.escape(one_line(action.text)))]),
                    cards.column(
                        [cards.text(cards.escape(action.owner), subtle=True)], width="auto"
                    ),
                    cards.column([cards.text(due, subtle=True)], width="auto"),
                )
            )
    else:
        body.append(cards.text("None recorded.", subtle=True))
    details: list[Element] = []
    if doc.recap:
        details.append(cards.text("Recap of last time", weight="Bolder"))
        details += [
            cards.text(
                f"• {cards.escape(one_line(entry.text))}: **{STATUS_LABELS.get(Status(entry.status), entry.status)}**"
            )
            for entry in doc.recap
        ]
    attendees = []
    if doc.stakeholders:
        attendees.append("Stakeholders: " + ", ".join(cards.escape(s) for s in doc.stakeholders))
    if doc.reps:
        attendees.append("City reps: " + ", ".join(cards.escape(r) for r in doc.reps))
    if attendees:
        details.append(cards.text("Attendees", weight="Bolder"))
        details += [cards.text(line) for line in attendees]
    for entry in doc.tour:
        if entry.empty:
            continue
        details.append(cards.text(cards.escape(entry.stakeholder), weight="Bolder"))
        details.append(
            cards.facts(
                (label, cards.escape(one_line(value)))
                for label, value in (
                    ("Progress", entry.progress),
                    ("Pain points", entry.pain_points),
                    ("Planned", entry.planned),
                    ("Support needed", entry.support),
                )
                if value.strip()
            )
        )
    body.append(cards.text("Next steps", weight="Bolder", size="Medium", separator=True))
    body.append(
        cards.text(
            cards.escape(doc.next_steps.strip()) if doc.next_steps.strip() else "None recorded.",
            subtle=not doc.next_steps.strip(),
        )
    )
    if doc.next_call:
        body.append(cards.text(f"**Next call:** {doc.next_call:%A %d %B %Y}"))
    actions: list[Element] = []
    if details:
        actions.append({"type": "Action.ShowCard", "title": "Details", "card": cards.card(details)})
    actions.append(
        cards.execute("Export (Markdown)", EXPORT, {"minutes_id": doc.id, "format": "md"})
    )
    actions.append(cards.execute("Export (Word)", EXPORT, {"minutes_id": doc.id, "format": "docx"}))
    return cards.card(body, actions)


def minutes_list_card(city: str, rows: Sequence[tuple[int, str, date, str]]) -> Card:
    body: list[Element] = [
        cards.text(f"Minutes of {cards.escape(city)}", size="Medium", weight="Bolder")
    ]
    if not rows:
        body.append(cards.text("No minutes yet. Start with `minutes`.", subtle=True))
    for minutes_id, label, meeting_date, group in rows:
        body.append(
            cards.columns(
                cards.column([cards.text(f"#{minutes_id} · {meeting_date:%d %b %Y} · {label}")]),
                cards.column([cards.text(cards.escape(group), subtle=True)], width="auto"),
                selectAction={
                    "type": "Action.Submit",
                    "data": {"verb": "command", "text": f"minutes show {minutes_id}"},
                },
            )
        )
    return cards.card(body)
