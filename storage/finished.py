"""Finished dialogs: a dialog instance is saved once, whoever clicks its last button again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_ignoring_conflicts
from storage.models import FinishedDialog


async def claim(
    session: AsyncSession, key: str, kind: str, activity_key: str, now: datetime
) -> bool:
    """Reserve `key` for this transaction; False if another one finished (or is finishing) it.

    An insert that skips a conflict, not a read then a write: on PostgreSQL a second delivery
    racing the first waits here until the first commits, then finds its row."""
    result = await session.execute(
        insert_ignoring_conflicts(session, FinishedDialog, "key").values(
            key=key, kind=kind, activity_key=activity_key, created_at=now
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def record(session: AsyncSession, key: str, object_id: int) -> None:
    """Name what the claimed key became (in the same transaction as the object itself)."""
    await session.execute(
        update(FinishedDialog).where(FinishedDialog.key == key).values(object_id=object_id),
        execution_options={"synchronize_session": False},
    )


async def get(session: AsyncSession, key: str) -> FinishedDialog | None:
    return await session.get(FinishedDialog, key)


async def finished_by(session: AsyncSession, activity_key: str) -> FinishedDialog | None:
    """What this activity finished, if it finished a dialog (it is being delivered again)."""
    return await session.scalar(
        select(FinishedDialog).where(FinishedDialog.activity_key == activity_key).limit(1)
    )


def already_saved(done: FinishedDialog) -> str:
    """The answer to a second click: what the first one saved."""
    if done.object_id is None:
        return f"That {done.kind} is already being saved."
    return f"Already saved as {done.kind} #{done.object_id}."
