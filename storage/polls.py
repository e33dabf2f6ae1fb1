"""Polls and ballots: the repository (takes a session, never commits)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.polls import Ballot
from storage.models import Poll, PollBallot, ProcessedActivity, utcnow


def _insert(session: AsyncSession, model: Any) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


async def claim_activity(session: AsyncSession, key: str) -> bool:
    """Record that an activity was acted on; False if it already was (a re-delivery)."""
    statement = _insert(session, ProcessedActivity).values(key=key, created_at=utcnow())
    result = await session.execute(statement.on_conflict_do_nothing(index_elements=["key"]))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def by_source(session: AsyncSession, source_key: str) -> Poll | None:
    return await session.scalar(select(Poll).where(Poll.source_key == source_key))


async def get(session: AsyncSession, poll_id: int, *, for_update: bool = False) -> Poll | None:
    statement = select(Poll).where(Poll.id == poll_id)
    if for_update and session.bind is not None and session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def upsert_ballot(
    session: AsyncSession,
    poll_id: int,
    voter_key: str,
    voter_name: str | None,
    choices: list[int],
    now: datetime,
) -> None:
    """One ballot per person per poll: a second vote replaces the first, atomically."""
    statement = _insert(session, PollBallot).values(
        poll_id=poll_id, voter_key=voter_key, voter_name=voter_name, choices=choices, updated_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=["poll_id", "voter_key"],
        set_={
            "choices": statement.excluded.choices,
            "voter_name": statement.excluded.voter_name,
            "updated_at": now,
        },
    )
    await session.execute(statement)


async def bump_version(session: AsyncSession, poll_id: int) -> None:
    await session.execute(
        update(Poll).where(Poll.id == poll_id).values(card_version=Poll.card_version + 1),
        execution_options={"synchronize_session": False},
    )


async def ballots(session: AsyncSession, poll_id: int) -> list[Ballot]:
    rows = await session.execute(
        select(PollBallot.choices, PollBallot.voter_name).where(PollBallot.poll_id == poll_id)
    )
    return [Ballot(tuple(choices), name) for choices, name in rows]


async def ballot_of(session: AsyncSession, poll_id: int, voter_key: str) -> tuple[int, ...] | None:
    choices = await session.scalar(
        select(PollBallot.choices).where(
            PollBallot.poll_id == poll_id, PollBallot.voter_key == voter_key
        )
    )
    return tuple(choices) if choices is not None else None


async def mark_synced(session: AsyncSession, poll_id: int, version: int) -> None:
    await session.execute(
        update(Poll)
        .where(Poll.id == poll_id, Poll.synced_version < version)
        .values(synced_version=version),
        execution_options={"synchronize_session": False},
    )


async def out_of_sync(session: AsyncSession) -> list[int]:
    """Polls whose card in Teams is behind the database (votes after the last update)."""
    rows = await session.scalars(
        select(Poll.id).where(
            Poll.activity_id.is_not(None), Poll.synced_version < Poll.card_version
        )
    )
    return list(rows.all())


async def due_to_close(session: AsyncSession) -> list[tuple[int, datetime]]:
    rows = await session.execute(
        select(Poll.id, Poll.closes_at).where(Poll.closed_at.is_(None), Poll.closes_at.is_not(None))
    )
    return [(poll_id, closes_at) for poll_id, closes_at in rows if closes_at is not None]


async def close(session: AsyncSession, poll: Poll, now: datetime) -> bool:
    """Close an open poll; False if it was already closed."""
    result = await session.execute(
        update(Poll)
        .where(Poll.id == poll.id, Poll.closed_at.is_(None))
        .values(closed_at=now, card_version=Poll.card_version + 1),
        execution_options={"synchronize_session": False},
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    await session.refresh(poll)
    return True
