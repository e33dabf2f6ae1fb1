"""The outbox: every message the bot has decided to send, as a row, until it is delivered.

The queries of bot/outbox.py. A row is claimed by one sender right before its request leaves
(a compare-and-set on `claimed_by`, skipping rows another replica has locked on PostgreSQL),
released with its next attempt time when the request fails, and deleted once delivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_ignoring_conflicts
from storage.models import OutboxMessage


@dataclass(frozen=True)
class Staged:
    """What a sender needs to finish a row it staged: its id and the body's revision."""

    id: int
    revision: int


@dataclass(frozen=True)
class Draft:
    """A message to queue, as the sender describes it."""

    kind: str
    service_url: str
    conversation_id: str
    tenant_id: str | None
    body: dict[str, Any]
    activity_id: str | None = None
    card_key: str | None = None
    on_sent: str | None = None
    expires_at: datetime | None = None


def new_row(
    draft: Draft, now: datetime, *, claimed_by: str | None, claimed_until: datetime | None
) -> OutboxMessage:
    """A new outbox row for `draft`, due now (not yet added to a session)."""
    return OutboxMessage(
        kind=draft.kind,
        service_url=draft.service_url,
        conversation_id=draft.conversation_id,
        tenant_id=draft.tenant_id,
        activity_id=draft.activity_id,
        body=draft.body,
        card_key=draft.card_key,
        revision=0,
        on_sent=draft.on_sent,
        attempts=0,
        next_attempt_at=now,
        expires_at=draft.expires_at,
        claimed_by=claimed_by,
        claimed_until=claimed_until,
        created_at=now,
    )


def stage(session: AsyncSession, row: OutboxMessage) -> None:
    """Add a message to the caller's transaction (it is queued when that commits)."""
    session.add(row)


async def put_card(
    session: AsyncSession,
    row: OutboxMessage,
    *,
    claimed_by: str,
    under_way: set[int],
    take: bool = True,
) -> tuple[Staged, bool]:
    """Queue the latest wanted state of a card: one row per `card_key`, a newer body
    replacing an older one. Returns the row and whether the caller may send it now (it
    claimed it: no request for that card is under way — `under_way` are the rows whose
    requests the caller's own process is making). Without `take` it is only queued."""
    existing = await session.scalar(
        select(OutboxMessage).where(OutboxMessage.card_key == row.card_key).with_for_update()
    )
    if existing is None:
        # Two replicas (or turns) can both find no row: the second insert yields to the first
        # (PostgreSQL waits for it to commit), then updates the row it made.
        values = {
            column: getattr(row, column)
            for column in (
                "kind", "service_url", "conversation_id", "tenant_id", "activity_id", "body",
                "card_key", "on_sent", "next_attempt_at", "expires_at", "created_at",
            )
        }  # fmt: skip
        inserted = await session.scalar(
            insert_ignoring_conflicts(session, OutboxMessage, "card_key")
            .values(
                **values,
                revision=0,
                attempts=0,
                claimed_by=claimed_by if take else None,
                claimed_until=row.claimed_until if take else None,
            )
            .returning(OutboxMessage.id)
        )
        if inserted is not None:
            return Staged(int(inserted), 0), take
        existing = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.card_key == row.card_key).with_for_update()
        )
        if existing is None:  # made and already delivered by the other one: queue ours anew
            return await put_card(
                session, row, claimed_by=claimed_by, under_way=under_way, take=take
            )
    # Under way here (or about to be: the drain loop marks a row before it claims it). Another
    # sender's claim does not stop it: an update is idempotent and carries the latest state,
    # and that sender may have died with its claim (a restart would otherwise wait a lease).
    in_flight = existing.id in under_way
    existing.body = row.body
    existing.on_sent = row.on_sent
    existing.service_url, existing.conversation_id = row.service_url, row.conversation_id
    existing.tenant_id, existing.activity_id = row.tenant_id, row.activity_id
    existing.revision += 1
    existing.next_attempt_at = row.next_attempt_at
    if not in_flight:
        existing.claimed_by = claimed_by if take else None
        existing.claimed_until = row.claimed_until if take else None
    await session.flush()
    return Staged(existing.id, existing.revision), take and not in_flight


async def claim(
    session: AsyncSession,
    row_id: int,
    owner: str,
    until: datetime,
    now: datetime,
    *,
    exclusive: bool = False,
) -> bool:
    """Take a row for one request: False if another sender holds it (or it is gone).
    `exclusive`: this is the only process (SQLite), so another owner's claim is a dead one's."""
    holders = [OutboxMessage.claimed_by.is_(None), OutboxMessage.claimed_until < now]
    if exclusive:
        holders.append(OutboxMessage.claimed_by != owner)
    free = and_(OutboxMessage.id == row_id, or_(*holders))
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # A replica claiming the same row does not wait for this one's transaction.
        locked = select(OutboxMessage.id).where(free).with_for_update(skip_locked=True)
        free = OutboxMessage.id.in_(locked.scalar_subquery())
    result = await session.execute(
        update(OutboxMessage)
        .where(free)
        .values(claimed_by=owner, claimed_until=until, attempts=OutboxMessage.attempts + 1),
        execution_options={"synchronize_session": False},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def release(
    session: AsyncSession,
    row_id: int,
    owner: str,
    *,
    next_attempt_at: datetime,
    error: str | None,
    count_attempt: bool = False,
) -> None:
    """Put a row this sender holds back in the queue, to be tried again at `next_attempt_at`."""
    values: dict[str, Any] = {
        "claimed_by": None,
        "claimed_until": None,
        "next_attempt_at": next_attempt_at,
        "last_error": error[:300] if error else None,
    }
    if count_attempt:
        values["attempts"] = OutboxMessage.attempts + 1
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.claimed_by == owner)
        .values(**values),
        execution_options={"synchronize_session": False},
    )


async def finish(session: AsyncSession, row_id: int, revision: int) -> bool:
    """Delete a delivered row, unless a newer card state replaced its body meanwhile (then
    it stays queued, and is released by the caller). True if it was deleted."""
    result = await session.execute(
        delete(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.revision == revision),
        execution_options={"synchronize_session": False},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def finish_many(session: AsyncSession, rows: list[Staged]) -> tuple[set[int], list[Staged]]:
    """Delete delivered rows in one statement per batch, each only at the revision that was
    sent; returns the ids deleted, and the rows a newer card state kept (their revision moved
    on: they are to be sent again). A row no longer there was removed by its caller."""
    if not rows:
        return set(), []
    deleted = set(
        (
            await session.scalars(
                delete(OutboxMessage)
                .where(
                    or_(
                        *(
                            and_(OutboxMessage.id == row.id, OutboxMessage.revision == row.revision)
                            for row in rows
                        )
                    )
                )
                .returning(OutboxMessage.id),
                execution_options={"synchronize_session": False},
            )
        ).all()
    )
    left = {row.id for row in rows} - deleted
    still_there = (
        set(
            (
                await session.scalars(select(OutboxMessage.id).where(OutboxMessage.id.in_(left)))
            ).all()
        )
        if left
        else set()
    )
    return deleted, [row for row in rows if row.id in still_there and row.id not in deleted]


async def drop(session: AsyncSession, row_id: int) -> None:
    """Forget a row (given up, or its request's fate unknown): the caller logs why."""
    await session.execute(
        delete(OutboxMessage).where(OutboxMessage.id == row_id),
        execution_options={"synchronize_session": False},
    )


async def due(
    session: AsyncSession, now: datetime, limit: int, *, only_owner: str | None = None
) -> list[OutboxMessage]:
    """The first queued row of each conversation, if it is due and nobody holds it (or its
    holder's claim ran out): messages to one conversation leave in the order they were queued.

    `only_owner`: the one process that may be alive (SQLite): a claim by anyone else is one
    its owner left behind, whatever its lease says."""
    free = [OutboxMessage.claimed_by.is_(None), OutboxMessage.claimed_until < now]
    if only_owner is not None:
        free.append(OutboxMessage.claimed_by != only_owner)
    # Card updates need no order among the conversation's messages: they neither wait for
    # its head nor hold it up (one refused for long would block every later reply).
    heads = (
        select(func.min(OutboxMessage.id))
        .where(OutboxMessage.kind != "update")
        .group_by(OutboxMessage.conversation_id)
        .scalar_subquery()
    )
    result = await session.scalars(
        select(OutboxMessage)
        .where(
            or_(OutboxMessage.id.in_(heads), OutboxMessage.kind == "update"),
            OutboxMessage.next_attempt_at <= now,
            or_(*free),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    return list(result.all())


async def record_posted(
    session: AsyncSession, object_id: int, activity_id: str | None, *, model: Any
) -> bool:
    """Store the activity id of a queued card once Teams took it (a poll, an agenda, a
    summary, minutes: models with `id` and `activity_id`). True if it was not known yet."""
    if not activity_id:
        return False
    result = await session.execute(
        update(model)
        .where(model.id == object_id, model.activity_id.is_(None))
        .values(activity_id=activity_id),
        execution_options={"synchronize_session": False},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def due_now(session: AsyncSession, now: datetime) -> int:
    """Bring every queued message that waits out a backoff forward to now (Teams is back)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.claimed_by.is_(None), OutboxMessage.next_attempt_at > now)
        .values(next_attempt_at=now),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def conversations_with_rows(session: AsyncSession, conversations: list[str]) -> set[str]:
    """Which of these conversations still have messages in the outbox."""
    result = await session.scalars(
        select(OutboxMessage.conversation_id)
        .where(OutboxMessage.conversation_id.in_(conversations))
        .distinct()
    )
    return set(result.all())


async def depth(session: AsyncSession) -> tuple[int, datetime | None]:
    """How many messages wait, and since when the oldest does."""
    count, oldest = (
        await session.execute(select(func.count(), func.min(OutboxMessage.created_at)))
    ).one()
    return int(count or 0), oldest
