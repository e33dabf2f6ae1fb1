"""`actions`: the action tracker over minutes and TAG summaries.

    actions | actions open | actions mine | actions overdue

A card per list; an item's owner (or a city rep / lead expert of its city, or for a TAG
commitment the TAG's mentor and experts) marks it done, blocked or dropped from the card.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from bot import cards
from bot.cards import Card, Element
from bot.payloads import Payload, Scope
from bot.router import ActionResult, Router
from bot.turn import Turn
from dialogs.context import (
    CITY_WRITERS,
    TAG_ROLES,
    can_write_city,
    has_tag_role,
    linked_place,
    readable_city_ids,
)
from domain.actions import STATUS_LABELS, Item, Kind, Status, overdue
from domain.text import escape_markdown as md
from storage import actions as action_store
from storage import people
from storage.models import ActionItem, City

log = logging.getLogger(__name__)
router = Router()

SET = "actions.set"
View = Literal["open", "mine", "overdue"]
VIEWS: tuple[str, ...] = get_args(View)
SHOWN = 20
USAGE = "actions [open | mine | overdue]"


def item_of(row: ActionItem, city: City | None) -> Item:
    return Item(
        id=row.id,
        kind=Kind(row.kind),
        text=row.text,
        status=Status(row.status),
        owner_name=row.owner_name,
        due=row.due_date,
        city_name=city.name if city else None,
    )


def actions_card(
    title: str, view: str, items: list[Item], today_of: dict[int, bool], total: int
) -> Card:
    body: list[Element] = [cards.text(title, size="Medium", weight="Bolder")]
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
        body.append(
            cards.container(
                [
                    cards.text(
                        f"#{item.id} {cards.escape(item.text)}",
                        weight="Bolder" if overdue else None,
                        color="Attention" if overdue else None,
                    ),
                    cards.text(meta, subtle=True, spacing="None"),
                    {
                        "type": "ActionSet",
                        "actions": [
                            cards.execute(
                                label,
                                SET,
                                {"action_id": item.id, "status": status.value, "view": view},
                            )
                            for label, status in (
                                ("Done", Status.DONE),
                                ("Blocked", Status.BLOCKED),
                                ("Dropped", Status.DROPPED),
                            )
                            if item.status != status
                        ],
                    },
                ],
                separator=True,
            )
        )
    if total > len(items):
        body.append(cards.text(f"… and {total - len(items)} more.", subtle=True))
    return cards.card(body)


async def build_view(turn: Turn, view: str) -> Card | str:
    roles = await turn.roles()
    person = await turn.person()
    place = await linked_place(turn)
    now = turn.now()
    if view == "mine":
        if person is None:
            return "I don't know you from the programme roster yet, so I can't tell which actions are yours."
        if turn.is_personal:
            rows = await action_store.listing(turn.session, owner_person_id=person.id)
        else:  # in a shared conversation, only what may be shown there (DOMAIN.md C5)
            rows = await action_store.listing(
                turn.session,
                owner_person_id=person.id,
                city_ids=await readable_city_ids(turn),
                tag_ids=[place.tag.id] if place.tag else [],
            )
        title = "Your open actions"
    else:
        # A TAG channel shows the TAG's commitments, a city channel the city's actions
        # (DOMAIN.md C5); a 1:1 chat what the person's roles reach.
        city_ids = await readable_city_ids(turn)
        if place.tag is not None:
            tag_ids = [place.tag.id]
        elif place.city is not None or not turn.is_personal:
            tag_ids = []
        else:
            tag_ids = people.tag_ids_with(roles, *TAG_ROLES, "city_rep")
        if not city_ids and not tag_ids:
            return (
                "I can't tell whose actions to show here: run this in a city or TAG channel "
                "(linked with `link`), or in a 1:1 chat with me if the roster gives you a role."
            )
        rows = await action_store.listing(turn.session, city_ids=city_ids, tag_ids=tag_ids)
        title = "Open actions" if view == "open" else "Overdue actions"
    cities = await action_store.city_names(turn.session, [r.city_id for r in rows if r.city_id])
    zones = {city.name: ZoneInfo(city.timezone) for city in cities.values()}
    every = [item_of(row, cities.get(row.city_id) if row.city_id else None) for row in rows]
    late = {
        item.id
        for item in overdue(every, now, zones, ZoneInfo(turn.services.settings.default_timezone))
    }
    items = [item for item in every if view != "overdue" or item.id in late]
    flags = {item.id: item.id in late for item in items}
    if place.city:
        title += f" — {md(place.city.name)}"
    elif place.tag:
        title += f" — {md(place.tag.name)}"
    return actions_card(title, view, items[:SHOWN], flags, len(items))


@router.command(
    "actions",
    USAGE,
    "List open, your or overdue actions; mark them done from the card.",
    starts="actions",
)
async def actions_command(turn: Turn, args: str) -> None:
    view = args.strip().lower() or "open"
    if view not in VIEWS:
        await turn.reply(f"Usage: `{USAGE}`")
        return
    result = await build_view(turn, view)
    if isinstance(result, str):
        await turn.reply(result)
    else:
        await turn.reply(card=result)


async def may_update(turn: Turn, item: ActionItem) -> bool:
    roles = await turn.roles()
    person = await turn.person()
    if person is not None and item.owner_person_id == person.id:
        return True
    if item.city_id is not None and can_write_city(roles, item.city_id):
        return True
    return item.tag_id is not None and has_tag_role(roles, item.tag_id, TAG_ROLES)


@dataclass
class SetStatus(Payload):
    """Done / Blocked / Dropped on an action card: the item, its new status, the list shown."""

    action_id: int
    status: Status
    view: View = "open"
    item: ActionItem = field(init=False, repr=False)

    async def scope(self, turn: Turn) -> Scope | str:
        item = await action_store.get(turn.session, self.action_id)
        if item is None:
            return f"Action #{self.action_id} no longer exists."
        self.item = item
        return Scope(
            f"Action #{item.id}",
            city_id=item.city_id,
            tag_id=item.tag_id,
            city_roles=CITY_WRITERS,
            owner_person_id=item.owner_person_id,
        )


@router.action(SET, SetStatus)
async def set_action(turn: Turn, click: SetStatus) -> ActionResult:
    item, status, view = click.item, click.status, click.view
    if not await may_update(turn, item):
        return ActionResult.refuse(
            f"Sorry, only the owner of action #{item.id} or a representative of its city can change it."
        )
    who = turn.sender
    changed = await action_store.set_status(
        turn.session, item, status, who.name or who.user_id, now=turn.now()
    )
    await turn.commit()
    log.info("action %s set to %s", item.id, status)
    label = STATUS_LABELS[status]
    message = (
        f"Action #{item.id} is now {label}."
        if changed
        else f"Action #{item.id} was already {label}."
    )
    card = await build_view(turn, view)
    return ActionResult(message=message, card=card if not isinstance(card, str) else None)
