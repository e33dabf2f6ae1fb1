"""TAG summaries: saving one, finding the latest, and keeping the posted card in step."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import TagSummary


@dataclass(frozen=True)
class SummaryDraft:
    """A summary as the dialog built it; `source_key` makes saving it twice save it once."""

    source_key: str
    tag_id: int
    session_number: int
    key_points: str
    takeaways: list[str]
    support_requested: str
    next_session: date | None
    author_user_id: str
    author_name: str
    created_at: datetime


async def add(session: AsyncSession, draft: SummaryDraft) -> TagSummary:
    summary = TagSummary(
        source_key=draft.source_key, tag_id=draft.tag_id, session_number=draft.session_number,
        key_points=draft.key_points, takeaways=draft.takeaways,
        support_requested=draft.support_requested, next_session=draft.next_session,
        author_user_id=draft.author_user_id, author_name=draft.author_name,
        created_at=draft.created_at, updated_at=draft.created_at,
    )  # fmt: skip
    session.add(summary)
    await session.flush()
    return summary


async def get(session: AsyncSession, summary_id: int) -> TagSummary | None:
    return await session.get(TagSummary, summary_id)


async def sessions(session: AsyncSession, summary_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """The TAG and session number of each of these summaries, by id (a commitment's source)."""
    ids = set(summary_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(TagSummary.id, TagSummary.tag_id, TagSummary.session_number).where(
            TagSummary.id.in_(ids)
        )
    )
    return {row.id: (row.tag_id, row.session_number) for row in rows}


async def latest(session: AsyncSession, tag_id: int) -> TagSummary | None:
    return await session.scalar(
        select(TagSummary)
        .where(TagSummary.tag_id == tag_id)
        .order_by(TagSummary.id.desc())
        .limit(1)
    )


def bump(summary: TagSummary) -> None:
    """The summary changed: its posted card is one version behind until card sync updates it
    (an increment in SQL, so that two edits at once both count)."""
    summary.card_version = TagSummary.card_version + 1


async def mark_synced(session: AsyncSession, summary_id: int, version: int) -> None:
    await session.execute(
        update(TagSummary)
        .where(TagSummary.id == summary_id, TagSummary.synced_version < version)
        .values(synced_version=version),
        execution_options={"synchronize_session": False},
    )


async def out_of_sync(session: AsyncSession) -> list[int]:
    result = await session.scalars(
        select(TagSummary.id).where(
            TagSummary.activity_id.is_not(None),
            TagSummary.synced_version < TagSummary.card_version,
        )
    )
    return list(result.all())
