"""The summary's use cases: what the form starts from, saving and posting a summary with its
commitments, and saving an edit, which card sync then shows on the posted card."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.card_sync import CardState, CardSync, state_of
from bot.cards import Card
from bot.publishing import Published, Wording, publish
from bot.services import Services
from bot.turn import Turn
from dialogs import once
from dialogs.summary.cards import summary_card
from domain.agenda import CommitmentLine, SummaryView, session_to_summarise
from storage import actions as action_store
from storage import agendas as agenda_store
from storage import channels as channel_store
from storage import finished, people
from storage import outbox as outbox_store
from storage import summaries as summary_store
from storage.models import TagSummary

log = logging.getLogger(__name__)

# The card sync's name: its outbox handlers are "summary-card" and "summary-posted".
CARD = "summary"


# --- writing one --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """What the form shows: the summary being edited, or a new one's session number."""

    tag_id: int
    tag: str
    timezone: str
    summary_id: int | None
    session: int
    key_points: str = ""
    takeaways: tuple[str, ...] = ()
    support: str = ""
    next_session: date | None = None
    # A new summary of a TAG with no session on record: the summary of its first.
    first: bool = False


async def start(session: AsyncSession, tag_id: int, summary_id: int | None) -> Start:
    tag = await people.tag(session, tag_id)
    assert tag is not None
    existing = await summary_store.get(session, summary_id) if summary_id else None
    if existing is not None:
        return Start(
            tag.id, tag.name, tag.timezone, summary_id, existing.session_number,
            existing.key_points, tuple(existing.takeaways), existing.support_requested,
            existing.next_session,
        )  # fmt: skip
    held = await agenda_store.sessions_held(session, tag.id)
    latest = await summary_store.latest(session, tag.id)
    number = session_to_summarise(held, latest.session_number if latest else None)
    return Start(tag.id, tag.name, tag.timezone, summary_id, number, first=held == 0)


async def cities_of(session: AsyncSession, tag_id: int) -> list[str]:
    """The cities that can make commitments: the TAG's members."""
    return await agenda_store.tag_city_names(session, tag_id)


async def save_and_post(turn: Turn, values: dict[str, Any]) -> None:
    session = turn.session
    key = once.key_of(turn, values)
    already = await once.finish(turn, key, "summary")
    if already is not None:
        await turn.reply(already)
        return
    who = turn.sender
    summary = await summary_store.add(
        session,
        summary_store.SummaryDraft(
            source_key=f"summary|{key}", tag_id=values["tag_id"], session_number=values["session"],
            key_points=values["key_points"], takeaways=values["takeaways"],
            support_requested=values["support"], next_session=_date(values["next_session"]),
            author_user_id=who.user_id, author_name=who.name or "someone", created_at=turn.now(),
        ),
    )  # fmt: skip
    await finished.record(session, key, summary.id)
    for line in values["commitments"]:
        city = await people.city_by_name(session, line["city"])
        await action_store.add_commitment(
            session,
            action_store.CommitmentDraft(
                text=line["text"], city_name=line["city"], city_id=city.id if city else None,
                tag_id=values["tag_id"], summary_id=summary.id, due_date=_date(line["due"]),
                support_needed=values["support"] or None, created_at=turn.now(),
            ),
        )  # fmt: skip
    await session.flush()
    card = await _card_of(session, summary)
    channel = await channel_store.linked_to(session, tag_id=summary.tag_id)
    await turn.commit()
    log.info("TAG summary %s saved for TAG %s", summary.id, summary.tag_id)

    def remember(posted: Published) -> None:
        summary.service_url, summary.conversation_id = posted.service_url, posted.conversation_id
        summary.activity_id = posted.activity_id

    await publish(
        turn, channel, card, record=f"summary-posted:{summary.id}", remember=remember,
        what=f"summary {summary.id}",
        wording=Wording(
            here=f"Summary #{summary.id} posted.",
            posted=f"Summary #{summary.id} posted in {{where}}.",
            queued=f"Summary #{summary.id} saved. Teams is not taking messages right now; it "
            "will appear in {where} as soon as Teams does.",
            failed="I saved the summary but could not post it to the TAG channel. Here it is:",
            somewhere="the TAG channel",
        ),
    )  # fmt: skip


async def save_edit(turn: Turn, values: dict[str, Any]) -> None:
    """Save the changed texts; the posted card follows through card sync, which retries while
    Teams refuses and catches up after a restart (the change is committed first)."""
    summary = await summary_store.get(turn.session, values["summary_id"])
    if summary is None:
        await turn.reply("That summary no longer exists.")
        return
    before = (
        summary.session_number, summary.key_points, list(summary.takeaways),
        summary.support_requested, summary.next_session,
    )  # fmt: skip
    after = (
        values["session"], values["key_points"], list(values["takeaways"]), values["support"],
        _date(values["next_session"]),
    )  # fmt: skip
    if before == after:
        # "edited" means changed: saving the form as it was changes nothing, the card included.
        await turn.reply(f"Summary #{summary.id} is unchanged; nothing to update.")
        return
    summary.session_number = values["session"]
    summary.key_points = values["key_points"]
    summary.takeaways = values["takeaways"]
    summary.support_requested = values["support"]
    summary.next_session = _date(values["next_session"])
    summary.updated_at = turn.now()
    summary_store.bump(summary)
    await turn.commit()
    card_sync(turn.services).request(summary.id)
    await turn.reply(f"Summary #{summary.id} updated; its card shows the changes.")


def _date(raw: str | None) -> date | None:
    return date.fromisoformat(raw) if raw else None


async def view_of(session: AsyncSession, summary: TagSummary) -> SummaryView:
    tag = await people.tag(session, summary.tag_id)
    items = await action_store.of_summary(session, summary.id)
    return SummaryView(
        id=summary.id, tag=tag.name if tag else "?", session=summary.session_number, author=summary.author_name,
        key_points=summary.key_points, takeaways=tuple(summary.takeaways),
        commitments=tuple(CommitmentLine(i.owner_name or "?", i.text, i.due_date, i.status) for i in items),
        support=summary.support_requested, next_session=summary.next_session,
        edited=summary.updated_at > summary.created_at,
    )  # fmt: skip


async def _card_of(session: AsyncSession, summary: TagSummary) -> Card:
    return summary_card(await view_of(session, summary))


# --- the card, kept up to date ------------------------------------------------------------------


async def _card_state(session: AsyncSession, summary_id: int) -> CardState | None:
    summary = await summary_store.get(session, summary_id)
    return await state_of(session, summary, partial(_card_of, session))


def build_card_sync(services: Services) -> CardSync:
    return CardSync(
        services.require_outbox(),
        services.database,
        CARD,
        _card_state,
        summary_store.mark_synced,
        summary_store.out_of_sync,
        partial(outbox_store.record_posted, model=TagSummary),
    )


def card_sync(services: Services) -> CardSync:
    return services.card_sync(CARD)
