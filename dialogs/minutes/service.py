"""The minutes' use cases: what the dialog asks from, saving and posting, listing, exports."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.files import File
from bot.outbox import Outcome
from bot.publishing import Published, Wording, publish
from bot.turn import Turn
from dialogs import once
from dialogs.context import readable_city_ids, shown_where
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
from storage.actions import ItemDraft
from storage.minutes import MinutesDraft
from storage.models import Minutes

log = logging.getLogger(__name__)

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
         "due": f"{item.due_date:%d %b}" if item.due_date else None}
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
    register = await minutes_store.ensure_stakeholders(session, city_id, values["stakeholders"])
    for action in values["actions"]:
        if action["owner_type"] == OwnerType.STAKEHOLDER:
            register.update(
                await minutes_store.ensure_stakeholders(session, city_id, [action["owner"]])
            )
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
        stakeholder = register.get(owner) if owner else None
        action_store.add_item(
            session,
            ItemDraft(
                kind=Kind.AGREEMENT,
                text=text,
                status=Status.OPEN,
                owner_type=OwnerType.STAKEHOLDER if owner else None,
                owner_name=owner,
                owner_stakeholder_id=stakeholder.id if stakeholder else None,
                city_id=city_id,
                stakeholder_group=values["group"],
                source_type="minutes",
                source_id=minutes.id,
                now=turn.now(),
            ),
        )
    for action in values["actions"]:
        owner_person = (
            await people.city_person_named(session, city_id, action["owner"])
            if action["owner_type"] == OwnerType.PERSON
            else None
        )
        stakeholder = (
            register.get(action["owner"]) if action["owner_type"] == OwnerType.STAKEHOLDER else None
        )
        action_store.add_item(
            session,
            ItemDraft(
                kind=Kind.ACTION,
                text=action["text"],
                status=Status.OPEN,
                owner_type=action["owner_type"],
                owner_name=action["owner"],
                owner_person_id=owner_person.id if owner_person else None,
                owner_stakeholder_id=stakeholder.id if stakeholder else None,
                owner_city_id=city_id if action["owner_type"] == OwnerType.CITY else None,
                city_id=city_id,
                stakeholder_group=values["group"],
                source_type="minutes",
                source_id=minutes.id,
                due_date=date.fromisoformat(action["due"]) if action["due"] else None,
                now=turn.now(),
            ),
        )
    await session.flush()
    doc = await doc_of(turn, minutes)
    await turn.commit()
    log.info("minutes %s saved for city %s", minutes.id, city_id)
    await post_minutes(turn, minutes, doc)


async def post_minutes(turn: Turn, minutes: Minutes, doc: MinutesDoc) -> None:
    card = minutes_card(doc)
    channel = await channel_store.linked_to(turn.session, city_id=minutes.city_id)

    def remember(posted: Published) -> None:
        minutes.activity_id = minutes.activity_id or posted.activity_id

    await publish(
        turn, channel, card, record=f"minutes-posted:{minutes.id}", remember=remember,
        what=f"minutes {minutes.id}",
        wording=Wording(
            here=f"Minutes #{minutes.id} saved.",
            posted=f"Minutes #{minutes.id} saved and posted to {{where}}.",
            queued=f"Minutes #{minutes.id} saved. Teams is not taking messages right now; they "
            "will appear in {where} as soon as Teams does.",
            failed=f"Minutes #{minutes.id} saved, but I could not post them to {{where}}. "
            "Here they are:",
            somewhere="the city channel",
            echo=True,
        ),
    )  # fmt: skip


async def posted(session: AsyncSession, argument: str, outcome: Outcome) -> None:
    """A minutes card whose post was queued records its activity id once Teams takes it."""
    if outcome.status == "sent" and argument.isdigit():
        await minutes_store.record_posted(session, int(argument), outcome.activity_id)


# --- reading and exporting -------------------------------------------------------------------


async def doc_of(turn: Turn, minutes: Minutes) -> MinutesDoc:
    city = await people.city(turn.session, minutes.city_id)
    items = await action_store.from_source(turn.session, "minutes", minutes.id)
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
    await turn.reply(
        f"Minutes #{minutes.id} as {label}, ready to e-mail to the stakeholders.",
        files=[export_file(doc, file_format)],
    )
