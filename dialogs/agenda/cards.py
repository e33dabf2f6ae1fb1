"""The agenda's cards: choosing the session, building the agenda, and the posted agenda."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot import cards
from bot.cards import COMMAND_VERB, DIALOG_VERB, Card, Element, card_time
from domain.agenda import (
    PREPARATION,
    SESSIONS,
    AgendaItem,
    AgendaView,
    Questions,
    RecapLine,
    over_by,
    phase_of,
    total,
)

RSVP = "agenda.rsvp"
PROPOSE = "agenda.propose"
DECIDE = "agenda.decide"
INVITE = "agenda.invite"
# Teams asking for one reader's view of a posted agenda (Universal Actions refresh).
REFRESH = "agenda.refresh"


def budget_line(items: Sequence[AgendaItem], length: int) -> Element:
    used = total(items)
    over = over_by(items, length)
    if over:
        return cards.text(
            f"⚠ {used} of {length} min: {over} min over the session",
            color="Warning",
            weight="Bolder",
        )
    return cards.text(f"{used} of {length} min", subtle=True)


def _recap_lines(recap: Sequence[RecapLine]) -> list[Element]:
    if not recap:
        return [
            cards.text(
                "No open commitments from earlier sessions.",
                subtle=True,
                size="Small",
                spacing="None",
            )
        ]
    return [
        cards.text(
            f"• **{cards.escape(line.city)}:** {cards.escape(line.text)}"
            + (f" (due {line.due:%d %b})" if line.due else ""),
            size="Small",
            spacing="None",
        )
        for line in recap
    ]


def questions_elements(questions: Questions) -> list[Element]:
    body: list[Element] = [cards.text(questions.stage, weight="Bolder")]
    body += [cards.text(f"• {q}", size="Small", spacing="None") for q in questions.focus]
    body.append(cards.text("For the mentor", weight="Bolder"))
    body += [cards.text(f"• {q}", size="Small", spacing="None") for q in questions.mentor]
    body.append(cards.text("For the core cities", weight="Bolder"))
    body += [cards.text(f"• {q}", size="Small", spacing="None") for q in questions.cities]
    return body


def when_card(
    *,
    tag: str,
    session: int,
    day: date,
    clock: str,
    timezone: str,
    length: int,
    questions: Questions,
    first: bool,
    editing: bool = False,
) -> Card:
    body: list[Element] = [
        cards.text(f"Agenda for {cards.escape(tag)}", size="Medium", weight="Bolder"),
        cards.text(
            f"Session {session} of {SESSIONS} · {phase_of(session)}"
            + (
                " · correcting the posted agenda"
                if editing
                else " · the TAG's first session: the default template, nothing to recap yet"
                if first
                else ""
            ),
            subtle=True,
            spacing="None",
        ),
        cards.number_input("session", label="Session number", value=session, minimum=1, maximum=20),
        cards.date_input("day", label="Date", value=day.isoformat()),
        {"type": "Input.Time", "id": "time", "label": "Start time", "value": clock},
        cards.text_input("timezone", label="Time zone of that time", value=timezone, max_length=64),
        cards.number_input(
            "length", label="Session length (minutes)", value=length, minimum=15, maximum=240
        ),
    ]
    return cards.card(
        body,
        [
            cards.submit("Next", DIALOG_VERB, {"step": "when"}, style="positive"),
            {
                "type": "Action.ShowCard",
                "title": "Guiding questions",
                "card": cards.card(questions_elements(questions)),
            },
        ],
    )


def edit_card(
    items: Sequence[AgendaItem],
    length: int,
    recap: Sequence[RecapLine],
    note: str | None = None,
    editing: bool = False,
) -> Card:
    body: list[Element] = [
        cards.text("Build the agenda", size="Medium", weight="Bolder"),
        cards.text(
            "Edit titles and minutes, renumber to reorder, tick to remove, add one item at the bottom. "
            "Press Update to see the result, Post when it is ready.",
            subtle=True,
            spacing="None",
        ),
    ]
    if note:
        body.append(cards.text(note, color="Good"))
    for index, item in enumerate(items):
        # The title on a line of its own, wrapping (a programme item's title runs to 70
        # characters: in a column beside the numbers it was cut off at the standard card
        # width), then its position, minutes and the Remove tick.
        row: Element = {
            "type": "Container",
            "separator": index > 0,
            "items": [
                cards.text_input(f"title{index}", value=item.title, max_length=150, multiline=True),
                cards.columns(
                    cards.column(
                        [cards.text("Order", subtle=True)],
                        width="auto",
                        verticalContentAlignment="Center",
                    ),
                    cards.column(
                        [
                            cards.number_input(
                                f"order{index}", value=index + 1, minimum=1, maximum=99
                            )
                        ],
                        width=70,
                    ),
                    cards.column(
                        [
                            cards.number_input(
                                f"minutes{index}", value=item.minutes, minimum=1, maximum=180
                            )
                        ],
                        width=80,
                    ),
                    cards.column(
                        [cards.text("min", subtle=True)],
                        width="auto",
                        verticalContentAlignment="Center",
                    ),
                    cards.column(
                        [
                            {
                                "type": "Input.Toggle",
                                "id": f"remove{index}",
                                "title": "Remove",
                                "value": "false",
                            }
                        ],
                        verticalContentAlignment="Center",
                    ),
                    spacing="Small",
                ),
            ],
        }
        body.append(row)
        if item.role == "recap":
            body += _recap_lines(recap)
    body.append(cards.text("Add an item", weight="Bolder", separator=True))
    body.append(
        cards.columns(
            cards.column(
                [cards.number_input("new_order", placeholder="#", minimum=1, maximum=99)],
                width=60,
            ),
            cards.column([cards.text_input("new_title", placeholder="Title", max_length=150)]),
            cards.column(
                [cards.number_input("new_minutes", placeholder="min", minimum=1, maximum=180)],
                width=70,
            ),
        )
    )
    body.append(budget_line(items, length))
    return cards.card(
        body,
        [
            cards.submit("Update", DIALOG_VERB, {"step": "edit", "do": "update"}),
            cards.submit(
                "Update the posted agenda" if editing else "Post agenda",
                DIALOG_VERB,
                {"step": "edit", "do": "post"},
                style="positive",
            ),
        ],
    )


def agenda_card(view: AgendaView, questions: Questions, answer: bool | None = None) -> Card:
    """The posted agenda. `answer`: the reader's own attendance answer (True: attending), for
    that reader's view; None for the shared card everyone sees (both answer buttons)."""
    body: list[Element] = [
        cards.text(
            f"🗓 TAG working session {view.session} of {SESSIONS} · {phase_of(view.session)}"
            + (" · updated" if view.updated else ""),
            subtle=True,
            size="Small",
        ),
        cards.text(cards.escape(view.tag), size="Large", weight="Bolder", spacing="Small"),
        cards.text(
            f"{card_time(view.starts_at)} · {view.length} min", weight="Bolder", spacing="None"
        ),
        cards.text(
            f"Set in {view.timezone}; shown in your own time zone. Agenda by {cards.escape(view.owner)}.",
            subtle=True,
            size="Small",
            spacing="None",
        ),
        # Beside the time it is about.
        {
            "type": "ActionSet",
            "spacing": "Small",
            "actions": [cards.execute("📅 Add to calendar", INVITE, {"agenda_id": view.id})],
        },
    ]
    for index, item in enumerate(view.items, start=1):
        body.append(
            cards.columns(
                cards.column([cards.text(f"{index}. {cards.escape(item.title)}")]),
                cards.column([cards.text(f"{item.minutes} min", subtle=True)], width="auto"),
                spacing="Small",
            )
        )
        if item.role == "recap":
            body += _recap_lines(view.recap)
    body.append(budget_line(view.items, view.length))
    body.append(cards.text("Before the session", weight="Bolder", separator=True))
    body += [cards.text(f"☐ {step}", size="Small", spacing="None") for step in PREPARATION]
    body.append(
        cards.text(
            f"**Attending: {len(view.attending)}** · Can't attend: {len(view.declining)}",
            separator=True,
        )
    )
    if view.attending:
        body.append(
            cards.text(
                ", ".join(cards.escape(n) for n in view.attending),
                subtle=True,
                size="Small",
                spacing="None",
            )
        )
    if answer is not None:
        body.append(
            cards.text(
                "You said you will attend." if answer else "You said you can't attend.",
                weight="Bolder",
                color="Good" if answer else "Default",
            )
        )
    if view.pending:
        body.append(
            cards.text(
                "Proposed items (the agenda's owner decides)", weight="Bolder", separator=True
            )
        )
        for proposal in view.pending:
            body.append(
                cards.container(
                    [
                        cards.text(
                            f"{cards.escape(proposal.title)} · {proposal.minutes} min — proposed by {cards.escape(proposal.by)}",
                            size="Small",
                        ),
                        {
                            "type": "ActionSet",
                            "actions": [
                                cards.execute(
                                    "Accept",
                                    DECIDE,
                                    {
                                        "agenda_id": view.id,
                                        "proposal_id": proposal.id,
                                        "accept": True,
                                    },
                                ),
                                cards.execute(
                                    "Decline",
                                    DECIDE,
                                    {
                                        "agenda_id": view.id,
                                        "proposal_id": proposal.id,
                                        "accept": False,
                                    },
                                ),
                            ],
                        },
                    ]
                )
            )
    propose = cards.card(
        [
            cards.text_input("title", label="Item to add", max_length=150),
            cards.number_input("minutes", label="Minutes", value=5, minimum=1, maximum=60),
        ],
        [cards.execute("Propose", PROPOSE, {"agenda_id": view.id})],
    )
    attend = cards.execute(
        "I'll attend", RSVP, {"agenda_id": view.id, "attending": True}, style="positive"
    )
    decline = cards.execute("Can't attend", RSVP, {"agenda_id": view.id, "attending": False})
    answers = [attend, decline] if answer is None else [decline if answer else attend]
    return cards.card(
        body,
        [
            *answers,
            {"type": "Action.ShowCard", "title": "Propose an item", "card": propose},
            {
                "type": "Action.ShowCard",
                "title": "Guiding questions",
                "card": cards.card(questions_elements(questions)),
            },
            # Its owner and the TAG's mentor and experts correct it in place (`agenda edit`).
            cards.submit("Edit agenda", COMMAND_VERB, {"text": f"agenda edit {view.id}"}),
        ],
    )
