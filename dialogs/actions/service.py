"""The action tracker's use cases: which items a list shows here, and changing an item's status."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.cards import Card, with_refresh
from bot.files import File
from bot.turn import Turn
from dialogs.actions.cards import REFRESH, Notice, actions_card
from dialogs.context import (
    CITY_WRITERS,
    TAG_ROLES,
    can_write_city,
    has_tag_role,
    linked_place,
    readable_city_ids,
    shown_where,
)
from domain.actions import STATUS_LABELS, Item, Kind, Status, is_open, overdue
from domain.exports import XLSX, Tracker, TrackerRow, render_tracker_xlsx
from domain.minutes import MEETING_LABELS, MeetingType
from domain.names import closest_names, did_you_mean
from domain.text import counted, quote, slug
from domain.text import escape_markdown as md
from storage import actions as action_store
from storage import minutes as minutes_store
from storage import people
from storage import summaries as summary_store
from storage.models import ActionItem, City, Person, Tag

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


# --- the tracker as an Excel workbook ------------------------------------------------------------

# More rows than any city or TAG has (a city's fortnightly calls over two years leave a few
# hundred); a cap so one request cannot build an unbounded file: 2000 rows take about 0.9 s.
EXPORT_LIMIT = 2000


@dataclass(frozen=True)
class TrackerScope:
    """Whose tracker an export is: one city's items or one TAG's commitments."""

    label: str  # "Aarhus", "TAG Green Buildings"
    zone: ZoneInfo
    city_id: int | None = None
    tag_id: int | None = None


def _city_scope(city: City) -> TrackerScope:
    return TrackerScope(city.name, ZoneInfo(city.timezone), city_id=city.id)


def _tag_scope(tag: Tag) -> TrackerScope:
    return TrackerScope(f"TAG {tag.name}", ZoneInfo(tag.timezone), tag_id=tag.id)


async def may_export_tag(turn: Turn, tag: Tag) -> bool:
    """The TAG's mentor and experts, the reps and lead experts of its cities, and admins: who
    reads its commitments (a TAG's commitments are no city's progress tracker, DOMAIN.md C5)."""
    roles = await turn.roles()
    if has_tag_role(roles, tag.id):
        return True
    mine = set(people.city_ids_with(roles, *CITY_WRITERS))
    return bool(mine & set(await people.tag_city_ids(turn.session, tag.id)))


async def tracker_scope(turn: Turn, name: str) -> TrackerScope | str:
    """Whose tracker `actions export [<name>]` means here, or why there is none for this person:
    a city channel's city, a TAG channel's TAG; in a 1:1 chat the one city or TAG the person
    works with, or the one named. A channel's tracker goes to the asker alone, so it needs a role
    there, not just a seat in the channel: mentors and outsiders get no city's tracker."""
    roles = await turn.roles()
    place = await linked_place(turn)
    name = " ".join(name.split())
    if place.city is not None or place.tag is not None:
        here = place.city.name if place.city else place.tag.name if place.tag else ""
        if name and name.casefold() not in (here.casefold(), f"tag {here}".casefold()):
            return (
                f"Here I export {md(here)}'s tracker only. For another city or TAG, run "
                "`actions export` in its channel, or `actions export <name>` in a 1:1 chat with me."
            )
        if place.city is not None:
            if can_write_city(roles, place.city.id):
                return _city_scope(place.city)
            return (
                f"Only {md(place.city.name)}'s city representatives, lead expert and admins can "
                f"export its action tracker. {shown_where()}"
            )
        assert place.tag is not None
        if await may_export_tag(turn, place.tag):
            return _tag_scope(place.tag)
        return (
            f"Only {md(place.tag.name)}'s mentor and experts, the representatives of its cities "
            "and admins can export its commitments."
        )
    if not turn.is_personal:
        return (
            "I can't tell whose tracker to export here: run `actions export` in a city or TAG "
            "channel (linked with `link`), or in a 1:1 chat with me."
        )
    cities = await readable_city_ids(turn)
    tags = people.tag_ids_with(roles, *TAG_ROLES)
    if name:
        return await _named_scope(turn, name, cities, tags)
    if len(cities) + len(tags) == 1:
        if cities:
            city = await people.city(turn.session, cities[0])
            if city is not None:
                return _city_scope(city)
        else:
            tag = await people.tag(turn.session, tags[0])
            if tag is not None:
                return _tag_scope(tag)
    if not cities and not tags:
        if not roles:
            return "I don't know you from the programme roster yet, so I can't tell whose tracker to export."
        return (
            "You have no role in a city or TAG whose tracker I could export. "
            "If that is wrong, ask the programme admin to add your role to the roster."
        )
    names = [c.name for c in (await action_store.city_names(turn.session, cities)).values()]
    for tag_id in tags:
        tag = await people.tag(turn.session, tag_id)
        if tag is not None:
            names.append(tag.name)
    names.sort(key=str.casefold)
    shown = ", ".join(md(n) for n in names[:8]) + (", …" if len(names) > 8 else "")
    # A code span shows Markdown escapes literally: only a backtick could break out of it.
    return (
        f"You work with several cities or TAGs ({shown}): say which, e.g. "
        f"`actions export {names[0].replace('`', '')}`, or run `actions export` in its channel."
    )


async def _named_scope(
    turn: Turn, name: str, cities: list[int], tags: list[int]
) -> TrackerScope | str:
    bare = name[4:].strip() if name.casefold().startswith("tag ") else name
    city = await people.city_by_name(turn.session, name)
    if city is not None:
        if city.id in cities:
            return _city_scope(city)
        return f"You can't export {md(city.name)}'s action tracker. {shown_where()}"
    tag = await people.tag_by_name(turn.session, bare)
    if tag is not None:
        if tag.id in tags or await may_export_tag(turn, tag):
            return _tag_scope(tag)
        return f"You can't export the commitments of {md(tag.name)}: you have no role in it or its cities."
    known = closest_names(
        name, [*await people.city_names(turn.session), *await people.tag_names(turn.session)]
    )
    return f"I don't know a city or TAG called {quote(name)}.{did_you_mean([md(n) for n in known])}"


def source_label(
    item: ActionItem,
    minutes: dict[int, tuple[str, date]],
    sessions: dict[int, tuple[int, int]],
    tag_names: dict[int, str],
) -> str:
    """The meeting that recorded an item: "Complete ecosystem meeting 2026-11-12",
    "TAG session 4 (Green Buildings)"."""
    if item.source_type == "minutes" and item.source_id in minutes:
        meeting_type, meeting_date = minutes[item.source_id]
        return f"{MEETING_LABELS[MeetingType(meeting_type)]} {meeting_date.isoformat()}"
    if item.source_type == "summary" and item.source_id in sessions:
        tag_id, number = sessions[item.source_id]
        tag = tag_names.get(tag_id)
        return f"TAG session {number}" + (f" ({tag})" if tag else "")
    return f"{item.source_type} #{item.source_id}"


@dataclass(frozen=True)
class TrackerFile:
    file: File
    items: int
    capped: bool


async def tracker_file(turn: Turn, scope: TrackerScope) -> TrackerFile:
    """Every action and commitment of the scope, open or closed, as an .xlsx."""
    rows = await action_store.listing(
        turn.session,
        city_ids=[scope.city_id] if scope.city_id is not None else None,
        tag_ids=[scope.tag_id] if scope.tag_id is not None else None,
        only_open=False,
        limit=EXPORT_LIMIT,
    )
    cities = await action_store.city_names(turn.session, [r.city_id for r in rows if r.city_id])
    minutes = await minutes_store.meetings(
        turn.session, [r.source_id for r in rows if r.source_type == "minutes"]
    )
    sessions = await summary_store.sessions(
        turn.session, [r.source_id for r in rows if r.source_type == "summary"]
    )
    tag_names: dict[int, str] = {}
    for tag_id in {r.tag_id for r in rows if r.tag_id} | {t for t, _ in sessions.values()}:
        tag = await people.tag(turn.session, tag_id)
        if tag is not None:
            tag_names[tag_id] = tag.name
    now = turn.now()
    zones = {city.name: ZoneInfo(city.timezone) for city in cities.values()}
    every = [item_of(row, cities.get(row.city_id) if row.city_id else None) for row in rows]
    late = {item.id for item in overdue(every, now, zones, scope.zone)}
    tracker = Tracker(
        scope=scope.label,
        as_of=now,
        zone=scope.zone,
        rows=[
            TrackerRow(
                id=row.id,
                text=row.text,
                owner=row.owner_name,
                due=row.due_date,
                status=Status(row.status),
                overdue=row.id in late,
                place=item.city_name or tag_names.get(row.tag_id or 0, ""),
                source=source_label(row, minutes, sessions, tag_names),
                created=row.created_at,
                updated=row.updated_at,
            )
            for row, item in zip(rows, every, strict=True)
        ],
    )
    name = f"actions-{slug(scope.label)}-{now.astimezone(scope.zone):%Y-%m-%d}.xlsx"
    # openpyxl is pure Python: in a thread, other turns get the event loop between its slices.
    file = File(name, XLSX, await asyncio.to_thread(render_tracker_xlsx, tracker))
    return TrackerFile(file, len(rows), len(rows) >= EXPORT_LIMIT)


async def send_tracker(turn: Turn, name: str) -> str | None:
    """Send the tracker `actions export [<name>]` means here; None if sent, else why not."""
    scope = await tracker_scope(turn, name)
    if isinstance(scope, str):
        return scope
    made = await tracker_file(turn, scope)
    as_of = f"{turn.now().astimezone(scope.zone):%d %b %Y %H:%M} {scope.zone.key}"
    what = "commitments" if scope.tag_id is not None else "action tracker"
    capped = f" (the first {EXPORT_LIMIT})" if made.capped else ""
    await turn.send_file(
        made.file,
        f"The {what} of {md(scope.label)} as Excel: {counted(made.items, 'item')}{capped}, "
        f"open and closed, as of {as_of}.",
    )
    return None
