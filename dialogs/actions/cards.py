"""The action tracker's card: one list of items, with Done / Blocked / Dropped buttons on those
the reader may change. Posted in a channel or group chat, the card everyone sees has none: each
person's own view (Universal Actions refresh) shows theirs."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal, get_args

from bot import cards
from bot.cards import Card, Element
from domain.actions import STATUS_LABELS, Item, Status

SET = "actions.set"
UNDO = "actions.undo"
EXPORT = "actions.export"
# Teams asking for one reader's view of a list posted in a shared conversation.
REFRESH = "actions.refresh"
# The list a card shows; its buttons carry it, so a click redraws the same list.
View = Literal["open", "mine", "overdue"]
VIEWS: tuple[str, ...] = get_args(View)


@dataclass(frozen=True)
class Notice:
    """What a click just did, above the list; `undo` is the data of its Undo button."""

    text: str
    undo: dict[str, Any] | None = None


def notice_element(notice: Notice) -> Element:
    items: list[Element] = [cards.text(notice.text)]
    if notice.undo is not None:
        items.append({"type": "ActionSet", "actions": [cards.execute("Undo", UNDO, notice.undo)]})
    return cards.container(items, style="emphasis")


def actions_card(
    title: str,
    view: str,
    items: list[Item],
    today_of: dict[int, bool],
    total: int,
    notice: Notice | None = None,
    *,
    changeable: Collection[int] = (),
    listed: dict[str, Any] | None = None,
) -> Card:
    """The list; status buttons on the items in `changeable`, each carrying `listed` (what the
    card lists, so that a click redraws the same list)."""
    body: list[Element] = [cards.text(title, size="Medium", weight="Bolder")]
    if notice is not None:
        body.append(notice_element(notice))
    if not items:
        body.append(cards.text("Nothing here. 🎉", subtle=True))
    for item in items:
        overdue = today_of.get(item.id, False)
        due = f"due {item.due:%d %b %Y}" if item.due else "no due date"
        meta = " · ".join(
            part
            for part in (
                cards.escape(item.owner_name) if item.owner_name else None,
                cards.escape(item.city_name) if item.city_name else None,
                f"**overdue** ({due})" if overdue else due,
                STATUS_LABELS[item.status],
            )
            if part
        )
        rows: list[Element] = [
            cards.text(
                f"#{item.id} {cards.escape(item.text)}",
                weight="Bolder" if overdue else None,
                color="Attention" if overdue else None,
            ),
            cards.text(meta, subtle=True, spacing="None"),
        ]
        if item.id in changeable:
            rows.append(
                {
                    "type": "ActionSet",
                    "actions": [
                        cards.execute(
                            label,
                            SET,
                            {
                                "action_id": item.id,
                                "status": status.value,
                                **(listed or {"view": view}),
                            },
                        )
                        for label, status in (
                            ("Done", Status.DONE),
                            ("Blocked", Status.BLOCKED),
                            ("Dropped", Status.DROPPED),
                        )
                        if item.status != status
                    ],
                }
            )
        body.append(cards.container(rows, separator=True))
    if total > len(items):
        body.append(cards.text(f"… and {total - len(items)} more.", subtle=True))
    # The whole tracker of here (open and closed), as `actions export` sends it.
    return cards.card(body, actions=[cards.execute("Export to Excel", EXPORT)])
