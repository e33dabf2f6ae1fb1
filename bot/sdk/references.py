"""Storing conversation references without a database round trip on every turn.

A reference changes rarely (a new service URL, a renamed channel); each process remembers
what it last stored per conversation for a few minutes and writes only when it differs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession

from bot.sdk import activities
from domain.ratelimit import Every
from storage import channels


def _fingerprint(activity: Activity) -> tuple[object, ...]:
    data = activities.channel_data(activity)
    channel = data.get("channel") if isinstance(data.get("channel"), dict) else {}
    return (
        activity.service_url,
        activities.conversation_type(activity),
        activities.tenant_id(activity),
        activities.team_id(activity),
        channel.get("name") if isinstance(channel, dict) else None,
        getattr(activity.recipient, "id", None),
        getattr(activity.recipient, "name", None),
        activity.channel_id,
        activity.locale,
    )


class ReferenceCache:
    def __init__(
        self, ttl_seconds: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._seen: dict[str, tuple[tuple[object, ...], int, float]] = {}
        self._sweeps = Every(ttl_seconds)

    async def record(self, session: AsyncSession, activity: Activity) -> int:
        """The channel row id of the activity's conversation, stored or refreshed if needed."""
        conversation_id = activities.base_conversation_id(activity.conversation.id)
        fingerprint = _fingerprint(activity)
        now = self._clock()
        hit = self._seen.get(conversation_id)
        if hit is not None and hit[0] == fingerprint and hit[2] > now:
            return hit[1]
        channel = await channels.record(session, activities.conversation_info(activity))
        self._seen[conversation_id] = (fingerprint, channel.id, now + self._ttl)
        self._sweep(now)
        return channel.id

    def _sweep(self, now: float) -> None:
        """Forget expired conversations, once per TTL: a chat that falls silent must not be
        remembered for as long as the process runs (the memory soak found ~1 KB each)."""
        if not self._sweeps.due(now):
            return
        for key in [key for key, (_, _, expires) in self._seen.items() if expires <= now]:
            del self._seen[key]

    def __len__(self) -> int:
        return len(self._seen)

    def forget(self, conversation_id: str | None = None) -> None:
        """Drop what is remembered (one conversation, or all: after an uninstall)."""
        if conversation_id is None:
            self._seen.clear()
        else:
            self._seen.pop(activities.base_conversation_id(conversation_id), None)
