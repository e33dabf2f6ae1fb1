"""Cards of the minutes dialog and the posted minutes, as pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot import cards
from bot.cards import COMMAND_VERB, DIALOG_VERB, Card, Element
from domain.actions import STATUS_LABELS, Status
from domain.minutes import MEETING_LABELS, MeetingType, MinutesDoc
from domain.text import one_line

EXPORT = "minutes.export"


# Rows for actions on the meeting card; more go in its multi-line field (or more rows when
# editing minutes that recorded more).
ACTION_ROWS = 3


def setup_card(
    *,
    city: str,
    today: date,
    meeting_type: MeetingType,
    group: str,
    register: Sequence[str],
    reps: Sequence[str],
    meeting_date: date | None = None,
    attended: Sequence[str] = (),
    present: Sequence[str] = (),
    editing: int | None = None,
) -> Card:
    """The first card: which meeting, when, with whom. `attended` and `present` are ticked
    (minutes being edited); `editing` is their number."""
    body: list[Element] = [
        cards.text(f"Minutes for {cards.escape(city)}", size="Medium", weight="Bolder"),
    ]
    if editing is not None:
        body.append(
            cards.text(
                f"Editing minutes #{editing}: change what needs changing, then Next.",
                subtle=True,
                spacing="None",
            )
        )
    body += [
        cards.choice_set(
            "meeting_type",
            [(label, kind.value) for kind, label in MEETING_LABELS.items()],
            value=meeting_type.value,
            label="Which meeting?",
        ),
        cards.date_input(
            "date", label="Date of the meeting", value=(meeting_date or today).isoformat()
        ),
        cards.text_input("group", label="Stakeholder group", value=group, max_length=120),
    ]
    if register:
        ticked = ",".join(str(i) for i, name in enumerate(register) if name in attended)
        element = cards.choice_set(
            "stakeholders",
            # Values are positions: Teams joins a multi-select's values with commas, and
            # an organisation's name may hold one.
            [(name, str(index)) for index, name in enumerate(register)],
            multi=True,
            label="Stakeholders who attended",
        )
        if ticked:
            element["value"] = ticked
        body.append(element)
    body.append(
        cards.text_input(
            "new_stakeholders",
            label="Stakeholders not in the list yet" if register else "Stakeholders who attended",
            placeholder="Organisations, separated by commas",
            max_length=2000,
        )
    )
    if reps:
        element = cards.choice_set(
            "reps",
            [(name, str(index)) for index, name in enumerate(reps)],
            multi=True,
            label="City representatives present",
        )
        ticked = ",".join(str(i) for i, name in enumerate(reps) if name in present)
        if ticked:
            element["value"] = ticked
        body.append(element)
    return cards.card(
        body, [cards.submit("Next", DIALOG_VERB, {"step": "setup"}, style="positive")]
    )


RECAP_STATUSES = tuple(Status)


def recap_card(items: Sequence[dict[str, Any]]) -> Card:
    """What earlier calls left open, each with its status now (every status an item can have,
    its current one chosen): a blocked action stays blocked unless someone says otherwise."""
    body: list[Element] = [
        cards.text("Recap: what was agreed last time", size="Medium", weight="Bolder"),
        cards.text("Mark each item as it stands now.", subtle=True, spacing="None"),
    ]
    choices = [(STATUS_LABELS[status], status.value) for status in RECAP_STATUSES]
    for item in items:
        owner = f" — {cards.escape(str(item['owner']))}" if item.get("owner") else ""
        kind = "Agreement" if item.get("kind") == "agreement" else "Action"
        due = f" (due {item['due']})" if item.get("due") else ""
        current = item.get("status") or Status.OPEN.value
        body.append(
            cards.container(
                [
                    cards.text(f"**{kind}:** {cards.escape(str(item['text']))}{owner}{due}"),
                    cards.choice_set(f"r{item['id']}", choices, value=current, expanded=False),
                ],
                separator=True,
            )
        )
    return cards.card(
        body, [cards.submit("Next", DIALOG_VERB, {"step": "recap"}, style="positive")]
    )


@dataclass(frozen=True)
class ActionRow:
    """An action as the meeting card shows it: the owner as one of the card's owner values."""

    what: str = ""
    owner: str = ""
    due: date | None = None


def meeting_card(
    stakeholders: Sequence[str],
    *,
    internal: bool,
    owners: Sequence[tuple[str, str]],
    tour: Sequence[Mapping[str, str]] = (),
    agreed: Sequence[str] = (),
    other_agreements: str = "",
    actions: Sequence[ActionRow] = (),
    more_actions: str = "",
) -> Card:
    """The second card: the tour de table (what each stakeholder said, and agreed), other
    agreements, and the actions (what, owner from `owners` (title, value), due). The
    keyword arguments pre-fill it (minutes being edited, or the card shown again)."""
    if stakeholders:
        title = "Stakeholder progress (internal)" if internal else "Tour de table"
        intro = "Everything is optional: fill in what was said and agreed."
    else:
        title, intro = "Agreements and actions", "Everything is optional."
    body: list[Element] = [
        cards.text(title, size="Medium", weight="Bolder"),
        cards.text(intro, subtle=True, spacing="None"),
    ]
    for index, name in enumerate(stakeholders):
        said = tour[index] if index < len(tour) else {}
        fields = (
            ("progress", "progress", "Status and progress"),
            ("pain", "pain_points", "Pain points"),
            ("planned", "planned", "Planned activities"),
            ("support", "support", "Support needed"),
        )
        body.append(
            cards.container(
                [
                    cards.text(f"**{cards.escape(name)}**"),
                    *(
                        cards.text_input(
                            f"t{index}_{key}",
                            placeholder=placeholder,
                            value=said.get(stored) or None,
                            multiline=True,
                            max_length=2000,
                        )
                        for key, stored, placeholder in fields
                    ),
                    cards.text_input(
                        f"t{index}_agreed",
                        label=f"Agreed with {name}",
                        placeholder="One agreement per line",
                        value=agreed[index] if index < len(agreed) else None,
                        multiline=True,
                        max_length=4000,
                    ),
                ],
                separator=True,
            )
        )
    body += [
        cards.text("Agreements", weight="Bolder", separator=True),
        cards.text_input(
            "agreements",
            label="Other agreements" if stakeholders else "Agreements",
            placeholder="One per line; start with “Stakeholder:” to name who agreed",
            value=other_agreements or None,
            multiline=True,
            max_length=4000,
        ),
        cards.text("Actions", weight="Bolder", separator=True),
    ]
    for index in range(max(ACTION_ROWS, len(actions))):
        row = actions[index] if index < len(actions) else ActionRow()
        owner = cards.choice_set(
            f"x{index}_owner", owners, value=row.owner or None, expanded=False, label="Owner"
        )
        owner["placeholder"] = "Who does it"
        row_columns = cards.columns(
            cards.column(
                [
                    cards.text_input(
                        f"x{index}_what",
                        label=f"Action {index + 1}",
                        placeholder="What is to be done",
                        value=row.what or None,
                        max_length=500,
                    )
                ]
            ),
            cards.column([owner]),
            cards.column(
                [
                    cards.date_input(
                        f"x{index}_due",
                        label="Due",
                        value=row.due.isoformat() if row.due else None,
                    )
                ]
            ),
        )
        # Relative widths: what is to be done gets the most room.
        for column, weight in zip(row_columns["columns"], (5, 3, 3), strict=True):
            column["width"] = weight
        body.append(row_columns)
    body.append(
        cards.text_input(
            "more_actions",
            label="More actions",
            placeholder="One per line: what | owner | due date",
            value=more_actions or None,
            multiline=True,
            max_length=4000,
        )
    )
    return cards.card(
        body, [cards.submit("Next", DIALOG_VERB, {"step": "meeting"}, style="positive")]
    )


def closing_card(today: date, *, next_steps: str = "", next_call: date | None = None) -> Card:
    body: list[Element] = [
        cards.text("Next steps and next call", size="Medium", weight="Bolder"),
        cards.text_input(
            "next_steps",
            label="Next steps",
            value=next_steps or None,
            multiline=True,
            max_length=4000,
        ),
        cards.date_input(
            "next_call",
            label="Next call (optional)",
            value=next_call.isoformat() if next_call else None,
        ),
    ]
    return cards.card(
        body, [cards.submit("Save minutes", DIALOG_VERB, {"step": "closing"}, style="positive")]
    )


def minutes_card(doc: MinutesDoc) -> Card:
    """The posted minutes: agreements and actions first, the rest below."""
    assert doc.id is not None
    body: list[Element] = [
        cards.text(
            f"📝 Minutes #{doc.id} · {MEETING_LABELS[doc.meeting_type]}"
            + (" · edited" if doc.edited else ""),
            subtle=True,
            size="Small",
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
    # Typed as `minutes edit <id>` for the person who clicks: the command checks who may.
    actions.append(cards.submit("Edit", COMMAND_VERB, {"text": f"minutes edit {doc.id}"}))
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
