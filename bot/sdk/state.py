"""botbuilder's `Storage` on our database, and the per-person dialog state built on it.

Dialog state holds botbuilder objects (DialogState, DialogInstance); they are flattened with
jsonpickle, as botbuilder's own Azure storages do, so the rows are JSON documents.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from botbuilder.core import BotState, Storage, TurnContext
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler
from sqlalchemy.ext.asyncio import AsyncSession

from storage import state as state_store
from storage.db import Database

# The turn's own session, so dialog state is read and written in the turn's unit of work.
current_session: ContextVar[AsyncSession | None] = ContextVar("icc_current_session", default=None)

E_TAG = "e_tag"


def _etag_of(item: Any) -> str | None:
    if isinstance(item, dict):
        return item.get(E_TAG)
    return getattr(item, E_TAG, None)


def _set_etag(item: Any, etag: str) -> None:
    if isinstance(item, dict):
        item[E_TAG] = etag
    else:
        setattr(item, E_TAG, etag)


class SqlStorage(Storage):  # type: ignore[misc]
    """read/write/delete with e-tags: a stale write raises `KeyError` like MemoryStorage."""

    def __init__(self, database: Database) -> None:
        super().__init__()
        self._database = database

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        session = current_session.get()
        if session is not None:
            yield session
            return
        async with self._database.unit_of_work() as own:
            yield own

    async def read(self, keys: list[str]) -> dict[str, Any]:
        if not keys:
            return {}
        async with self._session() as session:
            found = await state_store.read(session, keys)
        items: dict[str, Any] = {}
        for key, versioned in found.items():
            item = Unpickler().restore(versioned.data)
            _set_etag(item, versioned.etag)
            items[key] = item
        return items

    async def write(self, changes: dict[str, Any]) -> None:
        if changes is None:
            raise TypeError("changes are required when writing")
        if not changes:
            return
        prepared: dict[str, tuple[Any, str | None]] = {}
        for key, item in changes.items():
            expected = _etag_of(item)
            if expected == "":
                raise ValueError(f"state {key!r} has an empty e-tag")
            flat = Pickler().flatten(item)
            if isinstance(flat, dict):
                flat.pop(E_TAG, None)
            prepared[key] = (flat, expected)
        async with self._session() as session:
            new_etags = await state_store.write(session, prepared)
        # The caller's copy is now current: a second save in the same turn must not conflict.
        for key, etag in new_etags.items():
            _set_etag(changes[key], etag)

    async def delete(self, keys: list[str]) -> None:
        async with self._session() as session:
            await state_store.remove(session, list(keys))


class DialogState(BotState):  # type: ignore[misc]
    """State per person per conversation: two people in one channel run their own dialogs."""

    def __init__(self, storage: Storage) -> None:
        super().__init__(storage, "IccDialogState")

    def get_storage_key(self, turn_context: TurnContext) -> str:
        activity = turn_context.activity
        channel = activity.channel_id
        conversation = activity.conversation.id
        user = activity.from_property.id if activity.from_property else "anonymous"
        return f"{channel}/conversations/{conversation}/users/{user}/dialogs"
