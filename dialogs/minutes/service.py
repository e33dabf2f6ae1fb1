"""The minutes' use cases: what the dialog asks from, saving and posting, editing (the posted
card follows through card sync), listing, exports."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.card_sync import CardState, CardSync, state_of
from bot.cards import Card
from bot.files import File
from bot.publishing import Published, Wording, publish
from bot.services import Services
from bot.turn import Turn
from dialogs import once
from dialogs.context import can_write_city, readable_city_ids, shown_where
from dialogs.minutes.cards import minutes_card, minutes_list_card
from domain.actions import Kind, OwnerType, Status
from domain.exports import render_docx
from domain.minutes import (
    MEETING_LABELS,
    MeetingType,
    MinutesDoc,
    RecordedItem,
    minutes_doc,
    render_markdown,
)
from domain.text import slug
from storage import actions as action_store
from storage import channels as channel_store
from storage import finished, people
from storage import minutes as minutes_store
from storage import outbox as outbox_store
from storage.actions import ItemDraft
from storage.minutes import MinutesDraft
from storage.models import ActionItem, City, Minutes

log = logging.getLogger(__name__)

# The card sync's name: its outbox handlers are "minutes-card" and "minutes-posted".
CARD = "minutes"

DEFAULT_GROUP = "All stakeholders"


# --- what the dialog asks from ----------------------------------------------------------------


@dataclass(frozen=True)
class SetupDefaults:
    """The setup card's choices and defaults for a city."""

    register: list[str]
    reps: list[str]
    meeting_type: MeetingType
    group: str


async def setup_defaults(turn: Turn, city_id: int) -> SetupDefaults:
    register = [s.name for s in await minutes_store.stakeholders_of(turn.session, city_id)]
    reps = [
        p.name for p in await people.people_with_role(turn.session, "city_rep", city_id=city_id)
    ]
    previous = await minutes_store.latest(turn.session, [city_id], limit=1)
    meeting_type = MeetingType.COMPLETE
    if previous and previous[0].meeting_type == MeetingType.COMPLETE:
        meeting_type = MeetingType.ALIGNMENT  # the rhythm alternates
    group = previous[0].stakeholder_group if previous else DEFAULT_GROUP
    return SetupDefaults(register, reps, meeting_type, group)


async def recap_items(turn: Turn, city_id: int, group: str) -> list[dict[str, Any]]:
    """What earlier calls with this group left open, as the recap card and step values keep it."""
    open_items = await action_store.open_for_recap(turn.session, city_id, group)
    return [
        {"id": item.id, "text": item.text, "owner": item.owner_name, "kind": item.kind,
         "due": f"{item.due_date:%d %b}" if item.due_date else None, "status": item.status}
        for item in open_items
    ]  # fmt: skip


async def owners(turn: Turn, city_id: int, attended: list[str]) -> tuple[list[str], list[str]]:
    """Who may own an action: the stakeholders (those present first, then the register) and
    the city's own roster people, never a name someone gave themselves."""
    register = [s.name for s in await minutes_store.stakeholders_of(turn.session, city_id)]
    stakeholders = list(dict.fromkeys([*attended, *register]))
    roster = [p.name for p in await people.city_people(turn.session, city_id)]
    return stakeholders, roster


# --- saving and posting ----------------------------------------------------------------------


async def save_and_post(turn: Turn, values: dict[str, Any]) -> None:
    """Everything the dialog gathered, in one transaction; then the card in the city channel."""
    session = turn.session
    key = once.key_of(turn, values)
    already = await once.finish(turn, key, "minutes")
    if already is not None:
        await turn.reply(already)
        return
    who = turn.sender
    city_id = values["city_id"]
    register = await _register(turn, city_id, values)
    recap_items = {str(item["id"]): item for item in values["recap_items"]}
    minutes = await minutes_store.add(
        session,
        MinutesDraft(
            source_key=f"minutes|{key}",
            city_id=city_id,
            meeting_type=values["meeting_type"],
            meeting_date=date.fromisoformat(values["date"]),
            stakeholder_group=values["group"],
            author_user_id=who.user_id,
            author_name=who.name or "someone",
            stakeholders=values["stakeholders"],
            reps=values["reps"],
            recap=[
                {
                    "id": int(item_id),
                    "text": recap_items[item_id]["text"],
                    "owner": recap_items[item_id]["owner"],
                    "kind": recap_items[item_id]["kind"],
                    "status": status,
                }
                for item_id, status in values["recap"].items()
                if item_id in recap_items
            ],
            tour=values["tour"],
            next_steps=values["next_steps"],
            next_call=date.fromisoformat(values["next_call"]) if values.get("next_call") else None,
            conversation_id=turn.conversation_id,
            created_at=turn.now(),
        ),
    )
    await finished.record(session, key, minutes.id)
    for item_id, status in values["recap"].items():
        item = await action_store.get(session, int(item_id))
        if item is not None and item.city_id == city_id:
            await action_store.set_status(
                session,
                item,
                status,
                who.name or who.user_id,
                source_type="minutes",
                source_id=minutes.id,
                now=turn.now(),
            )
    for owner, text in values["agreements"]:
        _add_item(
            turn,
            minutes,
            values,
            register,
            Kind.AGREEMENT,
            text,
            OwnerType.STAKEHOLDER if owner else None,
            owner,
            None,
        )
    for action in values["actions"]:
        await _add_action(turn, minutes, values, register, action)
    await session.flush()
    doc = await doc_of(turn, minutes)
    await turn.commit()
    log.info("minutes %s saved for city %s", minutes.id, city_id)
    await post_minutes(turn, minutes, doc)


def _add_item(
    turn: Turn,
    minutes: Minutes,
    values: dict[str, Any],
    register: dict[str, Any],
    kind: Kind,
    text: str,
    owner_type: OwnerType | None,
    owner: str | None,
    due: str | None,
    owner_person_id: int | None = None,
) -> ActionItem:
    stakeholder = register.get(owner) if owner and owner_type == OwnerType.STAKEHOLDER else None
    return action_store.add_item(
        turn.session,
        ItemDraft(
            kind=kind,
            text=text,
            status=Status.OPEN,
            owner_type=owner_type,
            owner_name=owner,
            owner_person_id=owner_person_id,
            owner_stakeholder_id=stakeholder.id if stakeholder else None,
            owner_city_id=minutes.city_id if owner_type == OwnerType.CITY else None,
            city_id=minutes.city_id,
            stakeholder_group=values["group"],
            source_type="minutes",
            source_id=minutes.id,
            due_date=date.fromisoformat(due) if due else None,
            now=turn.now(),
        ),
    )


async def _person_id(turn: Turn, city_id: int, action: dict[str, Any]) -> int | None:
    if action["owner_type"] != OwnerType.PERSON:
        return None
    person = await people.city_person_named(turn.session, city_id, action["owner"])
    return person.id if person else None


async def _add_action(
    turn: Turn,
    minutes: Minutes,
    values: dict[str, Any],
    register: dict[str, Any],
    action: dict[str, Any],
) -> None:
    _add_item(
        turn, minutes, values, register, Kind.ACTION, action["text"],
        OwnerType(action["owner_type"]), action["owner"], action["due"],
        await _person_id(turn, minutes.city_id, action),
    )  # fmt: skip


async def _register(turn: Turn, city_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """The register entries of everyone these minutes name, the new ones added."""
    owners = [a["owner"] for a in values["actions"] if a["owner_type"] == OwnerType.STAKEHOLDER]
    return await minutes_store.ensure_stakeholders(
        turn.session, city_id, [*values["stakeholders"], *owners]
    )


async def post_minutes(turn: Turn, minutes: Minutes, doc: MinutesDoc) -> None:
    card = minutes_card(doc)
    channel = await channel_store.linked_to(turn.session, city_id=minutes.city_id)

    def remember(posted: Published) -> None:
        # Where the card is, for card sync to update it after an edit.
        minutes.service_url, minutes.conversation_id = posted.service_url, posted.conversation_id
        minutes.activity_id = minutes.activity_id or posted.activity_id

    here = channel is None or channel.conversation_id == turn.conversation_id
    await publish(
        turn, channel, card, record=f"minutes-posted:{minutes.id}", remember=remember,
        what=f"minutes {minutes.id}",
        wording=Wording(
            # The card alone: a card sent with text may come back without an activity id
            # (the Teams emulator does that), and an edit updates the card by that id.
            here=None,
            posted=f"Minutes #{minutes.id} saved and posted to {{where}}.",
            queued=f"Minutes #{minutes.id} saved. Teams is not taking messages right now; they "
            "will appear in {where} as soon as Teams does.",
            failed=f"Minutes #{minutes.id} saved, but I could not post them to {{where}}. "
            "Here they are:",
            somewhere="the city channel",
            echo=True,
        ),
    )  # fmt: skip
    if here:
        await turn.reply(f"Minutes #{minutes.id} saved.")


# --- editing ----------------------------------------------------------------------------------


def may_edit(roles: list[Any], who: str, minutes: Minutes) -> bool:
    """Their author, and whoever may write the city's minutes (reps, lead expert, admins)."""
    return minutes.author_user_id == who or can_write_city(roles, minutes.city_id)


def edit_refusal(minutes: Minutes) -> str:
    return (
        f"Only the author of minutes #{minutes.id} and the city's representatives and lead "
        "expert can edit them."
    )


@dataclass(frozen=True)
class Editing:
    """Saved minutes as the dialog's cards show them (plain data: it lives in dialog state)."""

    minutes_id: int
    city_id: int
    meeting_type: str
    meeting_date: str
    group: str
    stakeholders: list[str]
    reps: list[str]
    tour: list[dict[str, Any]]
    agreements: list[tuple[str | None, str]]
    actions: list[dict[str, Any]]
    next_steps: str
    next_call: str | None
    has_recap: bool


async def editing(turn: Turn, minutes_id: int) -> Editing | None:
    minutes = await minutes_store.get(turn.session, minutes_id)
    if minutes is None:
        return None
    items = await action_store.from_source(turn.session, "minutes", minutes.id)
    return Editing(
        minutes_id=minutes.id, city_id=minutes.city_id, meeting_type=minutes.meeting_type,
        meeting_date=minutes.meeting_date.isoformat(), group=minutes.stakeholder_group,
        stakeholders=list(minutes.stakeholders), reps=list(minutes.reps), tour=list(minutes.tour),
        agreements=[(i.owner_name, i.text) for i in items if i.kind == Kind.AGREEMENT],
        actions=[
            {"text": i.text, "owner_type": i.owner_type or OwnerType.CITY.value,
             "owner": i.owner_name or "", "due": i.due_date.isoformat() if i.due_date else None}
            for i in items if i.kind == Kind.ACTION
        ],
        next_steps=minutes.next_steps,
        next_call=minutes.next_call.isoformat() if minutes.next_call else None,
        has_recap=bool(minutes.recap),
    )  # fmt: skip


async def city_of(turn: Turn, city_id: int) -> City | str:
    city = await people.city(turn.session, city_id)
    return city if city is not None else "That city is no longer in the roster."


async def save_edit(turn: Turn, values: dict[str, Any]) -> None:
    """Save over the minutes: their fields, and their agreements and actions (an item that
    stays keeps its status and history); the posted card follows through card sync."""
    session = turn.session
    minutes_id = int(values["editing"]["minutes_id"])
    minutes = await minutes_store.get(session, minutes_id)
    if minutes is None:
        await turn.reply(f"Minutes #{minutes_id} no longer exist; nothing was saved.")
        return
    if not may_edit(await turn.roles(), turn.sender.user_id, minutes):
        await turn.reply(edit_refusal(minutes))
        return
    key = once.key_of(turn, values)
    already = await once.finish(turn, key, "minutes")
    if already is not None:
        await turn.reply(already)
        return
    await finished.record(session, key, minutes.id)
    register = await _register(turn, minutes.city_id, values)
    minutes.meeting_type = values["meeting_type"]
    minutes.meeting_date = date.fromisoformat(values["date"])
    minutes.stakeholder_group = values["group"]
    minutes.stakeholders = list(values["stakeholders"])
    minutes.reps = list(values["reps"])
    minutes.tour = list(values["tour"])
    minutes.next_steps = values["next_steps"]
    minutes.next_call = date.fromisoformat(values["next_call"]) if values["next_call"] else None
    minutes.edited_at = turn.now()
    minutes_store.bump(minutes)
    items = await action_store.from_source(session, "minutes", minutes.id)
    wanted_agreements = [
        {"text": text, "owner": owner, "owner_type": OwnerType.STAKEHOLDER.value if owner else None,
         "due": None}
        for owner, text in values["agreements"]
    ]  # fmt: skip
    stale: list[ActionItem] = []
    for kind, wanted in ((Kind.AGREEMENT, wanted_agreements), (Kind.ACTION, values["actions"])):
        kept, added, gone = _reconcile([i for i in items if i.kind == kind], wanted)
        for item, new in kept:
            item.text, item.owner_name, item.owner_type = (
                new["text"],
                new["owner"],
                new["owner_type"],
            )
            stakeholder = (
                register.get(new["owner"]) if new["owner_type"] == OwnerType.STAKEHOLDER else None
            )
            item.owner_stakeholder_id = stakeholder.id if stakeholder else None
            item.owner_person_id = (
                await _person_id(turn, minutes.city_id, new) if kind == Kind.ACTION else None
            )
            item.owner_city_id = minutes.city_id if new["owner_type"] == OwnerType.CITY else None
            item.due_date = date.fromisoformat(new["due"]) if new["due"] else None
            item.stakeholder_group = values["group"]
            item.updated_at = turn.now()
        for new in added:
            if kind == Kind.ACTION:
                await _add_action(turn, minutes, values, register, new)
            else:
                _add_item(
                    turn,
                    minutes,
                    values,
                    register,
                    kind,
                    new["text"],
                    OwnerType.STAKEHOLDER if new["owner"] else None,
                    new["owner"],
                    None,
                )
        stale += gone
    await minutes_store.remove_items(session, stale)  # fmt: skip
    await session.flush()
    await turn.commit()
    log.info("minutes %s edited by %s", minutes.id, turn.sender.user_id)
    if minutes.activity_id and minutes.service_url and minutes.conversation_id:
        card_sync(turn.services).request(minutes.id)
        await turn.reply(
            f"Minutes #{minutes.id} updated; the posted card shows the changes.",
            minutes_card(await doc_of(turn, minutes)) if turn.is_personal else None,
        )
    else:
        # Posted before cards were kept in step (or never delivered): shown here instead.
        await turn.reply(
            f"Minutes #{minutes.id} updated. Their posted card cannot be changed; here they are:",
            minutes_card(await doc_of(turn, minutes)),
        )


def _reconcile(
    items: list[ActionItem], wanted: list[dict[str, Any]]
) -> tuple[list[tuple[ActionItem, dict[str, Any]]], list[dict[str, Any]], list[ActionItem]]:
    """Which stored items the edited ones are: the same text and owner first, then in order;
    the rest are new, or gone."""
    left = list(items)
    kept: list[tuple[ActionItem, dict[str, Any]]] = []
    unmatched = []
    for new in wanted:
        same = next(
            (i for i in left if i.text == new["text"] and i.owner_name == new["owner"]), None
        )
        if same is None:
            unmatched.append(new)
        else:
            left.remove(same)
            kept.append((same, new))
    added = []
    for new in unmatched:
        if left:
            kept.append((left.pop(0), new))
        else:
            added.append(new)
    return kept, added, left


# --- the card, kept up to date -----------------------------------------------------------------


async def _card_of(session: AsyncSession, minutes: Minutes) -> Card:
    return minutes_card(await doc_from(session, minutes))


async def _card_state(session: AsyncSession, minutes_id: int) -> CardState | None:
    minutes = await minutes_store.get(session, minutes_id)
    return await state_of(session, minutes, partial(_card_of, session))


def build_card_sync(services: Services) -> CardSync:
    """Also records the activity id of a minutes card whose post was queued, once Teams
    takes it ("minutes-posted")."""
    return CardSync(
        services.require_outbox(),
        services.database,
        CARD,
        _card_state,
        minutes_store.mark_synced,
        minutes_store.out_of_sync,
        partial(outbox_store.record_posted, model=Minutes),
    )


def card_sync(services: Services) -> CardSync:
    return services.card_sync(CARD)


# --- reading and exporting -------------------------------------------------------------------


async def doc_of(turn: Turn, minutes: Minutes) -> MinutesDoc:
    return await doc_from(turn.session, minutes)


async def doc_from(session: AsyncSession, minutes: Minutes) -> MinutesDoc:
    city = await people.city(session, minutes.city_id)
    items = await action_store.from_source(session, "minutes", minutes.id)
    return minutes_doc(
        minutes_id=minutes.id,
        city=city.name if city else "?",
        meeting_type=minutes.meeting_type,
        meeting_date=minutes.meeting_date,
        stakeholder_group=minutes.stakeholder_group,
        author=minutes.author_name,
        stakeholders=minutes.stakeholders,
        reps=minutes.reps,
        recap=minutes.recap,
        tour=minutes.tour,
        items=[
            RecordedItem(item.kind, item.text, item.owner_name, item.due_date) for item in items
        ],
        next_steps=minutes.next_steps,
        next_call=minutes.next_call,
        edited=minutes.edited_at is not None,
    )


async def list_minutes(turn: Turn) -> None:
    city_ids = await readable_city_ids(turn)
    if not city_ids:
        await turn.reply(shown_where())
        return
    for city_id in city_ids[:5]:
        city = await people.city(turn.session, city_id)
        rows = await minutes_store.latest(turn.session, [city_id], limit=15)
        listing = [
            (m.id, MEETING_LABELS[MeetingType(m.meeting_type)], m.meeting_date, m.stakeholder_group)
            for m in rows
        ]
        await turn.reply(card=minutes_list_card(city.name if city else "?", listing))


def export_file(doc: MinutesDoc, file_format: str) -> File:
    name = f"minutes-{doc.id}-{slug(doc.city)}-{doc.meeting_date.isoformat()}"
    if file_format == "docx":
        content = render_docx(doc)
        content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    else:
        content = render_markdown(doc).encode("utf-8")
        content_type = "text/markdown"
    return File(f"{name}.{file_format}", content_type, content)


async def send_export(turn: Turn, minutes: Minutes, file_format: str) -> None:
    doc = await doc_of(turn, minutes)
    label = "Word" if file_format == "docx" else "Markdown"
    await turn.send_file(
        export_file(doc, file_format),
        f"Minutes #{minutes.id} as {label}, ready to e-mail to the stakeholders.",
    )
