"""Exported files: kept for their download links and the file consent flow, until they expire."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ExportedFile


async def add(
    session: AsyncSession,
    *,
    name: str,
    content_type: str,
    content: bytes,
    owner_user_id: str,
    tenant_id: str | None,
    now: datetime,
    expires_at: datetime,
) -> ExportedFile:
    """Keep a new file (its id is known on return); files past their time go at the same time."""
    await session.execute(
        delete(ExportedFile).where(ExportedFile.expires_at <= now),
        execution_options={"synchronize_session": False},
    )
    row = ExportedFile(
        name=name,
        content_type=content_type,
        content=content,
        owner_user_id=owner_user_id,
        tenant_id=tenant_id,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    return row


async def live(session: AsyncSession, file_id: int, now: datetime) -> ExportedFile | None:
    """The file, unless it is gone or past its time."""
    row = await session.get(ExportedFile, file_id)
    if row is None or row.expires_at <= now:
        return None
    return row


async def drop(session: AsyncSession, file_id: int) -> None:
    await session.execute(
        delete(ExportedFile).where(ExportedFile.id == file_id),
        execution_options={"synchronize_session": False},
    )
