"""Exported files: kept for their download links and the file consent flow, until they expire."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
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


async def claim_upload(session: AsyncSession, file_id: int, now: datetime) -> bool:
    """Mark the file as put in its owner's OneDrive, unless that is already so: True for the
    one caller that gets to upload it (two deliveries of the same accept race here)."""
    result = await session.execute(
        update(ExportedFile)
        .where(
            ExportedFile.id == file_id,
            ExportedFile.uploaded_at.is_(None),
            ExportedFile.expires_at > now,
        )
        .values(uploaded_at=now),
        execution_options={"synchronize_session": False},
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def release_upload(session: AsyncSession, file_id: int, claimed_at: datetime) -> bool:
    """The upload claimed at `claimed_at` failed: the file may be accepted again. False when
    the file is gone meanwhile (declined during the upload)."""
    result = await session.execute(
        update(ExportedFile)
        .where(ExportedFile.id == file_id, ExportedFile.uploaded_at == claimed_at)
        .values(uploaded_at=None),
        execution_options={"synchronize_session": False},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
