"""The poll's use cases: create and post, vote, close, and the card kept in step with its row.

Votes arrive as Action.Execute invokes (Action.Submit as the fallback). Each vote is
committed before it is acknowledged; the shared card is then refreshed by a coalescer (at
most one update in flight per poll, paced by Teams' rate limits), so the last update always
shows the exact tally. `card_version`/`synced_version` on the poll let a card that fell behind
(a crash, a refused update) catch up at start-up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bot.card_sync import CardState, CardSync, state_of
from bot.cards import MAX_REFRESH_USERS, Card
from bot.outbound import DeliveryError, Target
from bot.outbox import Message
from bot.services import Services
from bot.turn import Turn
from dialogs import once
from dialogs.poll.cards import shared_card
from domain.polls import (
    PollError,
    PollSpec,
    PollView,
    Tally,
    Viewer,
    anonymous_voter_key,
    apply_ballot,
    is_closed,
    parse_choices,
    tally,
    tally_from_counts,
    view_of,
)
from domain.text import counted
from domain.text import escape_markdown as md
from storage import channels, finished, people
from storage import polls as poll_store
from storage.models import Channel, Poll

log = logging.getLogger(__name__)

# The card sync's name: its outbox handlers are "poll-card" and "poll-posted".
CARD = "poll"


# --- reading polls ---------------------------------------------------------------------------


async def load_view(session: AsyncSession, poll: Poll, now: datetime) -> PollView:
    """The view with voters' names (reads every ballot: for `results`, not for each vote)."""
    return view_of(poll, now, await recount(session, poll))


async def recount(session: AsyncSession, poll: Poll) -> Tally:
    return tally(len(poll.options), await poll_store.ballots(session, poll.id))


# --- the shared card, refreshed in place --------------------------------------------------


async def refresh_ids(session: AsyncSession, poll: Poll) -> list[str]:
    """Whose Teams shows them their own view of the shared card as soon as they open it: the
    creator, then the voters who voted last (MAX_REFRESH_USERS in all); everyone else gets
    Teams' manual refresh. An anonymous poll's ballots are keyed by a keyed hash, not by Teams
    id, so its voters cannot be listed: the creator alone, and the voters refresh by hand."""
    if poll.anonymous:
        return [poll.creator_user_id]
    voters = await poll_store.recent_voter_keys(session, poll.id, MAX_REFRESH_USERS)
    return [poll.creator_user_id, *voters]


async def shared(session: AsyncSession, poll: Poll, now: datetime) -> Card:
    """The card of the message everyone sees (drawn for no one in particular)."""
    return shared_card(view_of(poll, now), await refresh_ids(session, poll))


async def viewer_of(turn: Turn, poll: Poll | Row[Any]) -> Viewer:
    """The sender as the poll's card sees them: their ballot, and whether they created it."""
    choices = await poll_store.choices_of(turn.session, poll.id, voter_key(turn, poll))
    return Viewer(choices=choices, creator=poll.creator_user_id == turn.sender.user_id)


def voter_key(turn: Turn, poll: Poll | Row[Any]) -> str:
    """What the sender's ballot is stored under: their Teams id, or for an anonymous poll a
    keyed hash of it."""
    who = turn.sender.user_id
    if poll.anonymous:
        return anonymous_voter_key(turn.services.settings.secret_key, poll.id, who)
    return who


async def _card_state(session: AsyncSession, poll_id: int, now: datetime) -> CardState | None:
    poll = await poll_store.get(session, poll_id)

    async def draw(posted: Poll) -> Card:
        return await shared(session, posted, now)

    return await state_of(session, poll, draw)


def build_card_sync(services: Services) -> CardSync:
    return CardSync(
        services.require_outbox(),
        services.database,
        CARD,
        lambda session, poll_id: _card_state(session, poll_id, services.clock()),
        poll_store.mark_synced,
        poll_store.out_of_sync,
        poll_store.record_posted,
    )


def card_sync(services: Services) -> CardSync:
    return services.card_sync(CARD)


# --- creating ---------------------------------------------------------------------------------


async def postable_channels(turn: Turn) -> list[Channel]:
    """The team channels a person may post a poll drafted in the 1:1 chat to: those linked to
    a city or TAG they have a role in (the roster says where they belong; Teams' own channel
    membership is not asked, since a bot learns it only per team and per call). Admins: every
    linked channel."""
    roles = await turn.roles()
    return await channels.linked_to_any(
        turn.session,
        city_ids=[r.city_id for r in roles if r.city_id is not None],
        tag_ids=[r.tag_id for r in roles if r.tag_id is not None],
        everyone=people.is_admin(roles),
    )


async def place_label(turn: Turn, channel: Channel) -> str:
    """ "Aarhus · General": the city or TAG a channel is linked to, then its name (every
    team's first channel is called General)."""
    city = await people.city(turn.session, channel.city_id) if channel.city_id else None
    tag = await people.tag(turn.session, channel.tag_id) if channel.tag_id else None
    owner = city.name if city else tag.name if tag else None
    return " · ".join(part for part in (owner, channel.name) if part) or "a team channel"


async def create_poll(
    turn: Turn, spec: PollSpec, key: str | None = None, *, channel_pk: int | None = None
) -> Poll | None:
    """Store the poll, then post its card — here, or in the team channel `channel_pk` (one of
    `postable_channels`, checked again here); None if `key` (the dialog instance, else the
    activity) already made one: a re-delivered create or a second click posts nothing twice."""
    session = turn.session
    key = key or f"create|{turn.activity_key}"
    already = await once.finish(turn, key, "poll")
    if already is not None:
        await turn.reply(already)
        return None
    channel: Channel | None = None
    if channel_pk is not None:
        channel = next((c for c in await postable_channels(turn) if c.id == channel_pk), None)
        if channel is None:
            await turn.reply(
                "I can post your poll only to a channel of a city or TAG you belong to. "
                "Nothing was posted."
            )
            return None
    who = turn.sender
    zone = await turn.timezone()
    poll = await poll_store.add(
        session,
        poll_store.PollDraft(
            source_key=key,
            channel_id=channel.id if channel else turn.channel_id,
            conversation_id=channel.conversation_id if channel else turn.reply_conversation_id,
            service_url=channel.service_url if channel else turn.service_url,
            question=spec.question,
            options=spec.options,
            multi=spec.multi,
            anonymous=spec.anonymous,
            creator_user_id=who.user_id,
            creator_name=who.name or "someone",
            timezone=zone.key,
            closes_at=spec.closes_at,
            created_at=turn.now(),
        ),
    )
    await finished.record(session, key, poll.id)
    card = shared_card(view_of(poll, turn.now()), [who.user_id])
    await turn.commit()
    if channel is not None:
        target = Target(channel.service_url, channel.conversation_id, channel.tenant_id)
        try:
            poll.activity_id = await turn.post(target, card, on_sent=f"poll-posted:{poll.id}")
        except DeliveryError as error:
            log.warning("poll %s could not be posted to channel %s: %s", poll.id, channel.id, error)
            await turn.reply(
                f"Poll #{poll.id} is saved, but Teams refused it in "
                f"{md(await place_label(turn, channel))} (is the bot still installed there?). "
                "Here it is instead:",
            )
            channel = None
        else:
            await turn.commit()
            await turn.reply(
                f"Poll #{poll.id} is posted in {md(await place_label(turn, channel))}; votes "
                "update its card there."
            )
    if channel is None:
        response = await turn.reply(card=card, on_sent=f"poll-posted:{poll.id}")
        poll.activity_id = response.id or None if response is not None else None
    await turn.commit()
    turn.services.nudge_scheduler()
    log.info(
        "poll %s created in %s with %d options", poll.id, turn.conversation_id, len(spec.options)
    )
    return poll


# --- voting -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Voted:
    """The voter's view after their vote: the tally with it, and what they chose."""

    view: PollView
    choices: tuple[int, ...]
    chosen: str  # the chosen options' text, as typed (not escaped)


async def vote(turn: Turn, poll: Row[Any], choice: object) -> Voted:
    """Count a person's ballot (a second vote replaces the first) on the locked poll row.

    Raises PollError (the reply) for a closed poll or a choice it does not have."""
    poll_id = poll.id
    now = turn.now()
    if is_closed(poll, now):
        raise PollError(f"Poll #{poll_id} is closed; your vote was not counted.")
    choices = parse_choices(choice, len(poll.options), multi=poll.multi)
    who = turn.sender
    voter_name = None if poll.anonymous else who.name or who.user_id
    counts, voters = list(poll.counts), poll.voters
    claimed, previous = await poll_store.cast_ballot(
        turn.session,
        f"vote|{turn.activity_key}",
        poll_id,
        voter_key(turn, poll),
        voter_name,
        list(choices),
        now,
    )
    if claimed:  # not a re-delivery of a vote already counted
        counts, voters = apply_ballot(counts, voters, previous, choices)
        await poll_store.record_tally(turn.session, poll_id, counts, voters)
    await turn.commit()
    card_sync(turn.services).request(poll_id)
    view = view_of(poll, now, tally_from_counts(counts, voters))
    return Voted(view, choices, ", ".join(poll.options[i] for i in choices))


# --- closing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Closed:
    view: PollView
    # True: it was closed before this (the view is the final one all the same).
    already: bool = False


async def close(turn: Turn, poll: Poll) -> Closed:
    """Close the poll with a recount of its ballots (its creator only: else PollError)."""
    if poll.creator_user_id != turn.sender.user_id:
        raise PollError(
            f"Sorry, only {md(poll.creator_name)}, who created poll #{poll.id}, can close it."
        )
    if poll.closed_at is not None:
        return Closed(view_of(poll, turn.now()), already=True)
    final = await recount(turn.session, poll)
    await poll_store.close(turn.session, poll, turn.now(), list(final.counts), final.voters)
    view = view_of(poll, turn.now(), final)
    stage_result(turn.services, turn.session, poll, view)
    await turn.commit()
    turn.services.require_outbox().wake()
    card_sync(turn.services).request(poll.id)
    turn.services.nudge_scheduler()
    return Closed(view)


def result_text(view: PollView) -> str:
    """The line posted under a poll when it closes: the question, each option, the winner."""
    lines = [f"📊 Poll #{view.id} is closed: **{md(view.question)}**"]
    for index, option in enumerate(view.options):
        count = view.tally.counts[index] if index < len(view.tally.counts) else 0
        percent = view.tally.percentages[index] if index < len(view.tally.percentages) else 0
        mark = "🏆 " if index in view.tally.leaders and view.tally.voters else ""
        lines.append(f"- {mark}{md(option)}: {counted(count, 'vote')} ({percent}%)")
    lines.append(counted(view.tally.voters, "voter"))
    return "\n".join(lines)


def stage_result(services: Services, session: AsyncSession, poll: Poll, view: PollView) -> None:
    """Queue the result as a reply under the poll card (in a channel: in its thread), in the
    transaction that closes the poll: a second close finds it closed and posts nothing."""
    message = Message(
        kind="reply" if poll.activity_id else "send",
        target=Target(poll.service_url, poll.conversation_id),
        body={"type": "message", "text": result_text(view), "textFormat": "markdown"},
        activity_id=poll.activity_id,
    )
    services.require_outbox().stage(session, message, claim=False)
