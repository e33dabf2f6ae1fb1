"""The action tracker's use cases: which items a list shows here, and changing an item's status."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.cards import Card, with_refresh
from bot.turn import Turn
from dialogs.actions.cards import REFRESH, Notice, actions_card
from dialogs.context import (
    CITY_WRITERS,
    TAG_ROLES,
    can_write_city,
    has_tag_role,
    linked_place,
    readable_city_ids,
)
from domain.actions import STATUS_LABELS, Item, Kind, Status, is_open, overdue
from domain.text import escape_markdown as md
from storage import actions as action_store
from storage import people
from storage.models import ActionItem, City, Person

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


@dataclass(frozen=True)
class Listing:
    """What a list posted in a shared conversation shows: its view, the ids of its items and,
    for `mine`, whose they are. Its buttons and refresh carry it, so that every redraw (a
    person's own view, the shared card after a click) shows the same items."""

    view: str
    ids: tuple[int, ...] = ()
    owner_id: int | None = None

    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"view": self.view, "ids": ",".join(map(str, self.ids))}
        if self.owner_id is not None:
            data["owner_id"] = self.owner_id
        return data


async def build_view(
    turn: Turn, view: str, notice: Notice | None = None, *, reader: bool | None = None
) -> Card | str:
    """The card of a list (`open`, `mine`, `overdue`), or why there is none to show here.
    `reader`: with status buttons where the sender may change the item; by default in a 1:1
    chat only (the card a shared conversation gets is everyone's, with no buttons)."""
    person = await turn.person()
    place = await linked_place(turn)
    owner: Person | None = None
    if view == "mine":
        if person is None:
            return "I don't know you from the programme roster yet, so I can't tell which actions are yours."
        owner = person
        if turn.is_personal:
            rows = await action_store.listing(turn.session, owner_person_id=person.id)
        else:  # in a shared conversation, only what may be shown there (DOMAIN.md C5)
            rows = await action_store.listing(
                turn.session,
                owner_person_id=person.id,
                city_ids=await readable_city_ids(turn),
                tag_ids=[place.tag.id] if place.tag else [],
            )
    else:
        # A TAG channel shows the TAG's commitments, a city channel the city's actions
        # (DOMAIN.md C5); a 1:1 chat what the person's roles reach.
        city_ids = await readable_city_ids(turn)
        if place.tag is not None:
            tag_ids = [place.tag.id]
        elif place.city is not None or not turn.is_personal:
            tag_ids = []
        else:
            tag_ids = people.tag_ids_with(await turn.roles(), *TAG_ROLES, "city_rep")
        if not city_ids and not tag_ids:
            return (
                "I can't tell whose actions to show here: run this in a city or TAG channel "
                "(linked with `link`), or in a 1:1 chat with me if the roster gives you a role."
            )
        rows = await action_store.listing(turn.session, city_ids=city_ids, tag_ids=tag_ids)
    return await _card(
        turn, view, rows, owner, notice, reader=turn.is_personal if reader is None else reader
    )


async def listing_card(
    turn: Turn,
    listing: Listing,
    rows: list[ActionItem],
    notice: Notice | None = None,
    *,
    reader: bool,
) -> Card:
    """The card of a posted list, drawn again from its items (`rows`, checked by the caller):
    everyone's (`reader` False) or the sender's own view, status buttons where they may."""
    owner = await people.person(turn.session, listing.owner_id) if listing.owner_id else None
    return await _card(turn, listing.view, rows, owner, notice, reader=reader)


async def _card(
    turn: Turn,
    view: str,
    rows: list[ActionItem],
    owner: Person | None,
    notice: Notice | None,
    *,
    reader: bool,
) -> Card:
    place = await linked_place(turn)
    rows = [row for row in rows if is_open(row.status)]  # a posted list's items may be closed now
    cities = await action_store.city_names(turn.session, [r.city_id for r in rows if r.city_id])
    zones = {city.name: ZoneInfo(city.timezone) for city in cities.values()}
    every = [item_of(row, cities.get(row.city_id) if row.city_id else None) for row in rows]
    late = {
        item.id
        for item in overdue(
            every, turn.now(), zones, ZoneInfo(turn.services.settings.default_timezone)
        )
    }
    items = [item for item in every if view != "overdue" or item.id in late]
    shown = items[:SHOWN]
    flags = {item.id: item.id in late for item in shown}
    by_id = {row.id: row for row in rows}
    changeable = (
        {item.id for item in shown if await may_update(turn, by_id[item.id])} if reader else set()
    )
    if view == "mine":
        title = (
            "Your open actions"
            if turn.is_personal or owner is None
            else f"Open actions of {md(owner.name)}"
        )
    else:
        title = "Open actions" if view == "open" else "Overdue actions"
    if place.city:
        title += f" — {md(place.city.name)}"
    elif place.tag:
        title += f" — {md(place.tag.name)}"
    if turn.is_personal:  # seen by that person alone: no other view to ask for
        return actions_card(title, view, shown, flags, len(items), notice, changeable=changeable)
    listing = Listing(view, tuple(item.id for item in shown), owner.id if owner else None)
    card = actions_card(
        title, view, shown, flags, len(items), notice,
        changeable=changeable, listed=listing.data(),
    )  # fmt: skip
    return with_refresh(
        card, REFRESH, listing.data(), await may_update_ids(turn, [by_id[i.id] for i in shown])
    )


async def may_update_ids(turn: Turn, rows: list[ActionItem]) -> list[str]:
    """Whose own view of a list to ask Teams for automatically: the Teams ids (where known) of
    the items' owners, then of those `may_update` lets change them by role (their cities' reps
    and lead experts, their TAGs' mentor and experts). Anyone else refreshes by hand."""
    return await people.teams_ids_of(
        turn.session,
        [row.owner_person_id for row in rows if row.owner_person_id is not None],
        city_ids=[row.city_id for row in rows if row.city_id is not None],
        city_roles=CITY_WRITERS,
        tag_ids=[row.tag_id for row in rows if row.tag_id is not None],
        tag_roles=TAG_ROLES,
    )


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
    turn: Turn, item: ActionItem, listed: dict[str, Any], previous: str | None = None
) -> Notice:
    """What the card says after a click set the item's status: with an Undo button while the
    change is the item's latest and younger than UNDO_WINDOW (so a second click of the same
    button shows the same Undo). `listed` is what the clicked card lists (its Undo redraws it);
    `previous` is the status before, when this click changed it."""
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
    undo = {"action_id": item.id, "event_id": event.id, "previous": previous, **listed}
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
