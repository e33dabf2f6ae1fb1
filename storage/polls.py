"""Polls and ballots: the repository (takes a session, never commits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Row, Table, bindparam, exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.polls import Ballot
from storage import outbox
from storage.models import Poll, PollBallot, ProcessedActivity, utcnow


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


# The statements of a vote are built once per dialect with bind parameters and run on the
# session's connection (Core, not the ORM's bulk paths): a vote is the hottest turn we have.


POLLS: Table = Poll.__table__  # type: ignore[assignment]
BALLOTS: Table = PollBallot.__table__  # type: ignore[assignment]
PROCESSED: Table = ProcessedActivity.__table__  # type: ignore[assignment]


def _insert(dialect: str) -> Any:
    return pg_insert if dialect == "postgresql" else sqlite_insert


@cache
def _claim_statement(dialect: str) -> Any:
    return (
        _insert(dialect)(PROCESSED)
        .values(key=bindparam("key"), created_at=bindparam("created_at"))
        .on_conflict_do_nothing(index_elements=["key"])
    )


def _ballot_values() -> dict[str, Any]:
    return {
        "poll_id": bindparam("poll_id", type_=BALLOTS.c.poll_id.type),
        "voter_key": bindparam("voter_key", type_=BALLOTS.c.voter_key.type),
        "voter_name": bindparam("voter_name", type_=BALLOTS.c.voter_name.type),
        "choices": bindparam("choices", type_=BALLOTS.c.choices.type),
        "updated_at": bindparam("updated_at", type_=BALLOTS.c.updated_at.type),
    }


def _on_ballot_conflict(insert: Any) -> Any:
    return insert.on_conflict_do_update(
        index_elements=["poll_id", "voter_key"],
        set_={
            "choices": insert.excluded.choices,
            "voter_name": insert.excluded.voter_name,
            "updated_at": insert.excluded.updated_at,
        },
    )


@cache
def _ballot_upsert_statement(dialect: str) -> Any:
    return _on_ballot_conflict(_insert(dialect)(BALLOTS).values(**_ballot_values()))


_POLL_ROW = select(*POLLS.c).where(POLLS.c.id == bindparam("poll_id"))
_POLL_ROW_LOCKED = _POLL_ROW.with_for_update()
_BALLOT_OF = select(BALLOTS.c.choices).where(
    BALLOTS.c.poll_id == bindparam("poll_id"),
    BALLOTS.c.voter_key == bindparam("voter_key"),
)
_RECORD_TALLY = (
    update(POLLS)
    .where(POLLS.c.id == bindparam("poll_id"))
    .values(
        counts=bindparam("counts", type_=POLLS.c.counts.type),
        voters=bindparam("voters"),
        card_version=POLLS.c.card_version + 1,
    )
)


@cache
def _cast_ballot_statement() -> Any:
    """PostgreSQL: claim the activity, read the voter's previous choices and store the new
    ones in one statement (one round trip instead of three). Every part of a WITH sees the
    snapshot taken before the statement, so `previous` is the ballot before this vote; the
    ballot is only written when the claim inserted a row (not for a re-delivery)."""
    claim = _claim_statement("postgresql").returning(PROCESSED.c.key).cte("claim")
    values = _ballot_values()
    ballot = _on_ballot_conflict(
        pg_insert(BALLOTS).from_select(
            list(values), select(*values.values()).where(exists(select(claim.c.key)))
        )
    ).cte("ballot")
    return select(
        exists(select(claim.c.key)).label("claimed"),
        _BALLOT_OF.scalar_subquery().label("previous"),
    ).add_cte(ballot)


@dataclass(frozen=True)
class PollDraft:
    """A new poll as the feature knows it; `add` starts it with no votes and its card drawn."""

    source_key: str
    channel_id: int | None
    conversation_id: str
    service_url: str
    question: str
    options: tuple[str, ...]
    multi: bool
    anonymous: bool
    creator_user_id: str
    creator_name: str
    timezone: str
    closes_at: datetime | None
    created_at: datetime


async def add(session: AsyncSession, draft: PollDraft) -> Poll:
    """Store a new poll (flushed: it has its id)."""
    poll = Poll(
        source_key=draft.source_key,
        channel_id=draft.channel_id,
        conversation_id=draft.conversation_id,
        service_url=draft.service_url,
        question=draft.question,
        options=list(draft.options),
        multi=draft.multi,
        anonymous=draft.anonymous,
        creator_user_id=draft.creator_user_id,
        creator_name=draft.creator_name,
        timezone=draft.timezone,
        closes_at=draft.closes_at,
        created_at=draft.created_at,
        card_version=1,
        synced_version=1,
        counts=[0] * len(draft.options),
        voters=0,
    )
    session.add(poll)
    await session.flush()
    return poll


async def record_posted(session: AsyncSession, poll_id: int, activity_id: str | None) -> bool:
    """The activity id of a poll card whose first post was queued; True if it was not known."""
    return await outbox.record_posted(session, poll_id, activity_id, model=Poll)


async def row(session: AsyncSession, poll_id: int, *, for_update: bool = False) -> Row[Any] | None:
    """The poll's columns (no ORM object); locked on PostgreSQL when `for_update`."""
    connection = await session.connection()
    locked = for_update and _dialect(session) == "postgresql"
    result = await connection.execute(
        _POLL_ROW_LOCKED if locked else _POLL_ROW, {"poll_id": poll_id}
    )
    return result.first()


async def get(session: AsyncSession, poll_id: int, *, for_update: bool = False) -> Poll | None:
    statement = select(Poll).where(Poll.id == poll_id)
    if for_update and _dialect(session) == "postgresql":
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def cast_ballot(
    session: AsyncSession,
    activity_key: str,
    poll_id: int,
    voter_key: str,
    voter_name: str | None,
    choices: list[int],
    now: datetime,
) -> tuple[bool, tuple[int, ...] | None]:
    """Store a person's ballot (a second vote replaces the first) once per activity.

    Returns whether this activity was new (False: a re-delivery, nothing written) and the
    voter's previous choices (None if this is their first vote)."""
    connection = await session.connection()
    dialect = _dialect(session)
    ballot = {
        "poll_id": poll_id,
        "voter_key": voter_key,
        "voter_name": voter_name,
        "choices": choices,
        "updated_at": now,
    }
    claim = {"key": activity_key, "created_at": utcnow()}
    if dialect == "postgresql":
        result = await connection.execute(_cast_ballot_statement(), {**claim, **ballot})
        claimed, previous = result.one()
        if not claimed:
            return False, None
    else:  # SQLite runs inline (storage/inline_sqlite.py): three statements cost no round trips
        if not (await connection.execute(_claim_statement(dialect), claim)).rowcount:
            return False, None
        previous = (await connection.execute(_BALLOT_OF, ballot)).scalar()
        await connection.execute(_ballot_upsert_statement(dialect), ballot)
    return True, tuple(previous) if previous is not None else None


async def record_tally(session: AsyncSession, poll_id: int, counts: list[int], voters: int) -> None:
    """Store the running tally and mark the card out of date (one UPDATE)."""
    connection = await session.connection()
    await connection.execute(
        _RECORD_TALLY, {"poll_id": poll_id, "counts": counts, "voters": voters}
    )


async def ballots(session: AsyncSession, poll_id: int) -> list[Ballot]:
    rows = await session.execute(
        select(PollBallot.choices, PollBallot.voter_name).where(PollBallot.poll_id == poll_id)
    )
    return [Ballot(tuple(choices), name) for choices, name in rows]


async def choices_of(session: AsyncSession, poll_id: int, voter_key: str) -> tuple[int, ...] | None:
    """One person's ballot (by their voter key), or None if they have not voted."""
    connection = await session.connection()
    result = await connection.execute(_BALLOT_OF, {"poll_id": poll_id, "voter_key": voter_key})
    choices = result.scalar()
    return tuple(choices) if choices is not None else None


async def recent_voter_keys(session: AsyncSession, poll_id: int, limit: int) -> list[str]:
    """The voter keys of the `limit` ballots changed last, the latest first (a named poll's
    keys are its voters' Teams user ids)."""
    rows = await session.scalars(
        select(PollBallot.voter_key)
        .where(PollBallot.poll_id == poll_id)
        .order_by(PollBallot.updated_at.desc(), PollBallot.id.desc())
        .limit(limit)
    )
    return list(rows.all())


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


async def close(
    session: AsyncSession, poll: Poll, now: datetime, counts: list[int], voters: int
) -> bool:
    """Close an open poll with its final tally; False if it was already closed."""
    result = await session.execute(
        update(Poll)
        .where(Poll.id == poll.id, Poll.closed_at.is_(None))
        .values(closed_at=now, counts=counts, voters=voters, card_version=Poll.card_version + 1),
        execution_options={"synchronize_session": False},
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    await session.refresh(poll)
    return True
