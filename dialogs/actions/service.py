"""The action tracker's use cases: which items a list shows here, and changing an item's status."""

from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.cards import Card
from bot.turn import Turn
from dialogs.actions.cards import Notice, actions_card
from dialogs.context import TAG_ROLES, can_write_city, has_tag_role, linked_place, readable_city_ids
from domain.actions import STATUS_LABELS, Item, Kind, Status, overdue
from domain.text import escape_markdown as md
from storage import actions as action_store
from storage import people
from storage.models import ActionItem, City

log = logging.getLogger(__name__)

SHOWN = 20
# How long a status change from the card can be taken back with its Undo button.
UNDO_WINDOW = timedelta(minutes=10)
# The source of the history entry an Undo writes: it names the change it took back.
UNDO_SOURCE = "undo"


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


async def build_view(turn: Turn, view: str, notice: Notice | None = None) -> Card | str:
    """The card of a list (`open`, `mine`, `overdue`), or why there is none to show here."""
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
    return actions_card(title, view, items[:SHOWN], flags, len(items), notice)


async def may_update(turn: Turn, item: ActionItem) -> bool:
    """Its owner, a city rep or lead expert of its city, or its TAG's mentor and experts."""
    roles = await turn.roles()
    person = await turn.person()
    if person is not None and item.owner_person_id == person.id:
        return True
    if item.city_id is not None and can_write_city(roles, item.city_id):
        return True
    return item.tag_id is not None and has_tag_role(roles, item.tag_id, TAG_ROLES)


async def set_status(turn: Turn, item: ActionItem, status: Status) -> bool:
    """Record the new status and who set it, committed; False if it already had it."""
    who = turn.sender
    changed = await action_store.set_status(
        turn.session, item, status, who.name or who.user_id, now=turn.now()
    )
    await turn.commit()
    log.info("action %s set to %s", item.id, status)
    return changed


async def change_notice(
    turn: Turn, item: ActionItem, view: str, previous: str | None = None
) -> Notice:
    """What the card says after a click set the item's status: with an Undo button while the
    change is the item's latest and younger than UNDO_WINDOW (so a second click of the same
    button shows the same Undo). `previous` is the status before, when this click changed it."""
    label = STATUS_LABELS[Status(item.status)]
    text = f"Action #{item.id} is now {label}."
    event = await action_store.last_event(turn.session, item.id)
    if (
        event is None
        or event.source_type == UNDO_SOURCE
        or event.status != item.status
        or turn.now() - event.at > UNDO_WINDOW
    ):
        return Notice(text)
    if previous is None:
        previous = await action_store.status_before(turn.session, event) or Status.OPEN.value
    minutes = int(UNDO_WINDOW.total_seconds() // 60)
    undo = {"action_id": item.id, "event_id": event.id, "previous": previous, "view": view}
    return Notice(f"{text} You can undo this for {minutes} minutes.", undo)


async def undo(turn: Turn, item: ActionItem, event_id: int, previous: Status) -> str | None:
    """Take back the change `event_id` made to the item, restoring `previous`: None if done
    (now or by an earlier click), else why not."""
    event = await action_store.last_event(turn.session, item.id)
    if event is not None and event.source_type == UNDO_SOURCE and event.source_id == event_id:
        return None  # a second click of the same Undo
    current = STATUS_LABELS[Status(item.status)]
    if event is None or event.id != event_id:
        return f"Action #{item.id} has changed since; that Undo no longer applies (it is {current} now)."
    minutes = int(UNDO_WINDOW.total_seconds() // 60)
    if turn.now() - event.at > UNDO_WINDOW:
        return (
            f"Too late to undo: a change can be taken back for {minutes} minutes. "
            f"Action #{item.id} stays {current}; set its status from `actions`."
        )
    who = turn.sender
    await action_store.set_status(
        turn.session, item, previous, who.name or who.user_id,
        source_type=UNDO_SOURCE, source_id=event_id, now=turn.now(),
    )  # fmt: skip
    await turn.commit()
    log.info("action %s: change %s undone, back to %s", item.id, event_id, previous)
    return None
