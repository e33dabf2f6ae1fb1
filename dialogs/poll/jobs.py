"""The poll's scheduled work: a poll with a deadline closes itself at that time."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import Services
from dialogs.poll.service import card_sync, recount, stage_result
from domain.polls import view_of
from scheduler import engine as planning
from scheduler.engine import JobSource, Planned
from storage import polls as poll_store

log = logging.getLogger(__name__)


def job_source(services: Services) -> JobSource:
    async def plan(session: AsyncSession) -> list[Planned]:
        return [
            planning.once(str(poll_id), closes_at)
            for poll_id, closes_at in await poll_store.due_to_close(session)
        ]

    async def run(key: str) -> None:
        await close_due_poll(services, int(key))

    return JobSource("poll-close", plan, run)


async def close_due_poll(services: Services, poll_id: int) -> None:
    """Freeze the card with the final results and post them as a reply under the poll."""
    async with services.database.unit_of_work() as session:
        poll = await poll_store.get(session, poll_id, for_update=True)
        if poll is None or poll.closed_at is not None:
            return
        final = await recount(session, poll)
        await poll_store.close(session, poll, services.clock(), list(final.counts), final.voters)
        stage_result(services, session, poll, view_of(poll, services.clock(), final))
    services.require_outbox().wake()
    log.info("poll %s closed at its deadline", poll_id)
    card_sync(services).request(poll_id)
