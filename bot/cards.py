"""Adaptive Card 1.5 building blocks: pure functions from plain data to card dicts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.text import escape_markdown

# The verb of a card button that just types a command for the user ("Start a poll").
COMMAND_VERB = "command"
# The verb of cards that answer the question a dialog is asking.
DIALOG_VERB = "dialog"
# The dialog instance id on a dialog's cards (dialogs/once.py stamps it).
INSTANCE = "instance"

CARD_VERSION = "1.5"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

Card = dict[str, Any]
Element = dict[str, Any]

# User text in a TextBlock or a FactSet (both render Markdown) goes through the same rule as
# in a plain reply. Choice titles, input values, labels and action titles are plain text in
# Adaptive Cards: they take user text as it is, unescaped.
escape = escape_markdown


def card(body: Sequence[Element], actions: Sequence[Element] = (), **extra: Any) -> Card:
    result: Card = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": CARD_VERSION,
        "body": list(body),
        "msteams": {"width": "Full"},
    }
    if actions:
        result["actions"] = list(actions)
    result.update(extra)
    return result


def text(
    value: str,
    *,
    size: str | None = None,
    weight: str | None = None,
    color: str | None = None,
    subtle: bool = False,
    wrap: bool = True,
    spacing: str | None = None,
    **extra: Any,
) -> Element:
    block: Element = {"type": "TextBlock", "text": value, "wrap": wrap}
    if size:
        block["size"] = size
    if weight:
        block["weight"] = weight
    if color:
        block["color"] = color
    if subtle:
        block["isSubtle"] = True
    if spacing:
        block["spacing"] = spacing
    block.update(extra)
    return block


def plain(value: str, *, weight: str | None = None, spacing: str | None = None) -> Element:
    """Text shown as it is, Markdown and all (a RichTextBlock's TextRun is never Markdown): for
    our own text with characters Markdown would take, such as "poll <question>"."""
    run: Element = {"type": "TextRun", "text": value}
    if weight:
        run["weight"] = weight
    block: Element = {"type": "RichTextBlock", "inlines": [run]}
    if spacing:
        block["spacing"] = spacing
    return block


def heading(value: str) -> Element:
    return text(value, size="Large", weight="Bolder", style="heading")


def facts(pairs: Iterable[tuple[str, str]]) -> Element:
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in pairs]}


def container(items: Sequence[Element], **extra: Any) -> Element:
    return {"type": "Container", "items": list(items), **extra}


def columns(*cols: Element, **extra: Any) -> Element:
    return {"type": "ColumnSet", "columns": list(cols), **extra}


def column(items: Sequence[Element], width: str | int = "stretch", **extra: Any) -> Element:
    return {
        "type": "Column",
        "width": width if isinstance(width, str) else f"{width}px",
        "items": list(items),
        **extra,
    }


def submit(title: str, verb: str, data: dict[str, Any] | None = None, **extra: Any) -> Element:
    """Action.Submit: arrives as a message activity whose `value` carries the verb and data."""
    payload = {"verb": verb, **(data or {})}
    return {"type": "Action.Submit", "title": title, "data": payload, **extra}


def execute(title: str, verb: str, data: dict[str, Any] | None = None, **extra: Any) -> Element:
    """Action.Execute (Universal Actions) with an Action.Submit fallback for older hosts."""
    payload = {"verb": verb, **(data or {})}
    return {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": payload,
        "fallback": {"type": "Action.Submit", "title": title, "data": payload},
        **extra,
    }


# Teams refreshes a card automatically for at most this many listed people (Universal Actions
# user-specific views); everyone else sees the shared card and may refresh it by hand.
MAX_REFRESH_USERS = 60


def with_refresh(shared: Card, verb: str, data: dict[str, Any], user_ids: Sequence[str]) -> Card:
    """`shared` (what everyone sees) with a Universal Actions `refresh`: Teams sends an
    `adaptiveCard/action` invoke (trigger "automatic") for each of `user_ids` who opens it, and
    shows that person alone the card the invoke answers with. The first MAX_REFRESH_USERS ids
    are kept, duplicates dropped; with none, people refresh by hand (trigger "manual")."""
    unique = list(dict.fromkeys(i for i in user_ids if i))[:MAX_REFRESH_USERS]
    refresh: dict[str, Any] = {
        "action": {"type": "Action.Execute", "verb": verb, "data": {"verb": verb, **data}},
    }
    if unique:
        refresh["userIds"] = unique
    return {**shared, "refresh": refresh}


@dataclass(frozen=True)
class CommandHelp:
    usage: str
    summary: str
    starts: str | None = None  # the text a button sends to start it, if it has a dialog


def help_card(commands: Sequence[CommandHelp], intro: str | None = None) -> Card:
    body: list[Element] = [heading("ICC bot — what I can do")]
    if intro:
        body.append(text(intro))
    body.append(
        text(
            "Type a command in our 1:1 chat, or @mention me in a channel. "
            "Leave parts out and I will ask for them. While I ask, any command still works, "
            "and `cancel` stops the question.",
            subtle=True,
        )
    )
    for command in commands:
        body.append(
            container(
                [
                    plain(command.usage, weight="Bolder", spacing="None"),
                    text(command.summary, subtle=True, spacing="None"),
                ],
                spacing="Medium",
            )
        )
    starters = [
        submit(c.starts.capitalize(), "command", {"text": c.starts}) for c in commands if c.starts
    ]
    return card(body, starters[:6])


def unknown_command_card(line: str, closest: str | None) -> Card:
    """One line for input that names no command, a Help button, and one running the closest
    command bare (when there is one, and it is not `help`)."""
    actions = [submit("Help", COMMAND_VERB, {"text": "help"})]
    if closest and closest != "help":
        actions.append(submit(closest.capitalize(), COMMAND_VERB, {"text": closest}))
    return card([text(line)], actions)


def message_card(title: str, lines: Sequence[str] = (), *, color: str | None = None) -> Card:
    body = [text(title, weight="Bolder", color=color)]
    body.extend(text(line) for line in lines)
    return card(body)


def choice_set(
    input_id: str,
    choices: Sequence[tuple[str, str]],
    *,
    value: str | None = None,
    multi: bool = False,
    expanded: bool = True,
    label: str | None = None,
    required: bool = False,
    error: str | None = None,
) -> Element:
    element: Element = {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "style": "expanded" if expanded else "compact",
        "isMultiSelect": multi,
        "choices": [{"title": title, "value": val} for title, val in choices],
    }
    if value is not None:
        element["value"] = value
    if label:
        element["label"] = label
    if required:
        element["isRequired"] = True
        element["errorMessage"] = error or "Choose one"
    return element


def text_input(
    input_id: str,
    *,
    label: str | None = None,
    placeholder: str | None = None,
    value: str | None = None,
    multiline: bool = False,
    max_length: int | None = None,
) -> Element:
    element: Element = {"type": "Input.Text", "id": input_id, "isMultiline": multiline}
    if label:
        element["label"] = label
    if placeholder:
        element["placeholder"] = placeholder
    if value:
        element["value"] = value
    if max_length:
        element["maxLength"] = max_length
    return element


def number_input(
    input_id: str,
    *,
    minimum: int,
    maximum: int,
    label: str | None = None,
    placeholder: str | None = None,
    value: int | None = None,
) -> Element:
    element: Element = {"type": "Input.Number", "id": input_id}
    if label:
        element["label"] = label
    if placeholder:
        element["placeholder"] = placeholder
    if value is not None:
        element["value"] = value
    element["min"], element["max"] = minimum, maximum
    return element


def date_input(input_id: str, *, label: str | None = None, value: str | None = None) -> Element:
    element: Element = {"type": "Input.Date", "id": input_id}
    if label:
        element["label"] = label
    if value:
        element["value"] = value
    return element


# Teams takes a bot message of up to about 100 KB; we stay well under it.
MESSAGE_LIMIT = 80_000
TEXT_LIMIT = 4_000


def _size(content: Card) -> int:
    return len(json.dumps(content, ensure_ascii=False).encode("utf-8"))


def _shorten(element: Element) -> Element:
    """An element whose long texts are cut (with an ellipsis) so it fits on its own."""
    if isinstance(element, dict):
        return {
            key: (
                value[: TEXT_LIMIT - 1] + "…"
                if key == "text" and isinstance(value, str) and len(value) > TEXT_LIMIT
                else _shorten(value)
            )
            for key, value in element.items()
        }
    if isinstance(element, list):
        return [_shorten(item) for item in element]
    return element


def split_card(content: Card, limit: int = MESSAGE_LIMIT) -> list[Card]:
    """The card as one or more cards, each under `limit` bytes: body elements in order, the
    actions on the last part, "(continued)" parts marked. A card that fits is returned as is."""
    if _size(content) <= limit:
        return [content]
    body = [_shorten(element) for element in content.get("body", [])]
    actions = content.get("actions", [])
    head = {key: value for key, value in content.items() if key not in ("body", "actions")}
    parts: list[list[Element]] = [[]]
    for element in body:
        trial = dict(head, body=[*parts[-1], element])
        if parts[-1] and _size(trial) > limit - 2_000:
            parts.append([])
        parts[-1].append(element)
    cards_out = []
    for number, part in enumerate(parts, start=1):
        marker = text(f"(continued, part {number} of {len(parts)})", subtle=True, size="Small")
        piece = dict(head, body=part if number == 1 else [marker, *part])
        if number == len(parts) and actions:
            piece["actions"] = actions
        cards_out.append(piece)
    return cards_out


def card_time(moment: datetime) -> str:
    """A time every reader sees in their own zone (Adaptive Cards' DATE/TIME functions)."""
    iso = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({iso}, SHORT)}}}} {{{{TIME({iso})}}}}"


def card_message(card: Card) -> dict[str, Any]:
    """A message that carries `card`, as the Bot Connector takes it (an outbox row's body)."""
    return {"type": "message", "attachments": [{"contentType": CONTENT_TYPE, "content": card}]}
