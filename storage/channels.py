"""Conversation references of the channels and chats the bot can reach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.text import base_conversation_id
from storage.db import insert_ignoring_conflicts
from storage.models import Channel, utcnow


@dataclass(frozen=True)
class ConversationInfo:
    """What an inbound activity tells us about where it came from (plain data)."""

    conversation_id: str
    conversation_type: str
    channel_id: str
    service_url: str
    reference: dict[str, Any]
    tenant_id: str | None = None
    team_id: str | None = None
    name: str | None = None


async def get(session: AsyncSession, conversation_id: str) -> Channel | None:
    return await session.scalar(select(Channel).where(Channel.conversation_id == conversation_id))


async def tenant_of(session: AsyncSession, conversation_id: str) -> str | None:
    """The tenant of a conversation the bot has seen (a thread's id is its channel's)."""
    tenant: str | None = await session.scalar(
        select(Channel.tenant_id).where(
            Channel.conversation_id == base_conversation_id(conversation_id)
        )
    )
    return tenant


async def linked_to(
    session: AsyncSession, *, city_id: int | None = None, tag_id: int | None = None
) -> Channel | None:
    """The team channel a city or TAG is linked to (the first linked, while installed)."""
    query = select(Channel).where(
        Channel.installed.is_(True), Channel.conversation_type == "channel"
    )
    if city_id is not None:
        query = query.where(Channel.city_id == city_id)
    if tag_id is not None:
        query = query.where(Channel.tag_id == tag_id)
    return await session.scalar(query.order_by(Channel.id).limit(1))


async def linked_to_any(
    session: AsyncSession, *, city_ids: list[int], tag_ids: list[int], everyone: bool = False
) -> list[Channel]:
    """The installed team channels linked to any of these cities or TAGs (`everyone`: every
    linked channel), in a stable order."""
    query = select(Channel).where(
        Channel.installed.is_(True), Channel.conversation_type == "channel"
    )
    if everyone:
        query = query.where(Channel.city_id.is_not(None) | Channel.tag_id.is_not(None))
    else:
        query = query.where(Channel.city_id.in_(city_ids) | Channel.tag_id.in_(tag_ids))
    return list((await session.scalars(query.order_by(Channel.name, Channel.id))).all())


async def get_by_id(session: AsyncSession, channel_pk: int) -> Channel | None:
    return await session.get(Channel, channel_pk)


async def record(
    session: AsyncSession, info: ConversationInfo, *, now: datetime | None = None
) -> Channel:
    """Store (or refresh) the reference; writes only when something changed."""
    now = now or utcnow()
    channel = await get(session, info.conversation_id)
    if channel is None:
        # Teams may deliver a new conversation's first two activities at once: both insert,
        # the second skips the conflict and reads the first's row.
        await session.execute(
            insert_ignoring_conflicts(session, Channel, "conversation_id").values(
                conversation_id=info.conversation_id,
                conversation_type=info.conversation_type,
                channel_id=info.channel_id,
                service_url=info.service_url,
                tenant_id=info.tenant_id,
                team_id=info.team_id,
                name=info.name,
                reference=info.reference,
                installed=True,
                installed_at=now,
                updated_at=now,
            )
        )
        channel = await get(session, info.conversation_id)
        if channel is None:
            raise RuntimeError(f"conversation {info.conversation_id} was not stored")
        return channel
    fresh: dict[str, Any] = {
        "conversation_type": info.conversation_type,
        "service_url": info.service_url,
        "tenant_id": info.tenant_id or channel.tenant_id,
        "team_id": info.team_id or channel.team_id,
        "name": info.name or channel.name,
        "reference": info.reference,
    }
    changed: dict[str, Any] = {
        key: value for key, value in fresh.items() if getattr(channel, key) != value
    }
    if not channel.installed:
        changed.update(installed=True, installed_at=now, uninstalled_at=None, disabled_reason=None)
    if changed:
        for key, value in changed.items():
            setattr(channel, key, value)
        channel.updated_at = now
    return channel


async def mark_uninstalled(
    session: AsyncSession,
    *,
    conversation_id: str | None = None,
    team_id: str | None = None,
    reason: str,
    now: datetime | None = None,
) -> int:
    """Record that the bot can no longer reach a conversation (or any channel of a team)."""
    now = now or utcnow()
    conditions = []
    if conversation_id:
        conditions.append(Channel.conversation_id == conversation_id)
    if team_id:
        conditions.append(Channel.team_id == team_id)
    if not conditions:
        return 0
    result = await session.execute(
        update(Channel)
        .where(or_(*conditions), Channel.installed.is_(True))
        .values(installed=False, uninstalled_at=now, disabled_reason=reason, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def link(
    session: AsyncSession, channel: Channel, *, city_id: int | None, tag_id: int | None
) -> None:
    channel.city_id = city_id
    channel.tag_id = tag_id
    channel.updated_at = utcnow()
