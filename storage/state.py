"""A key-value store of JSON documents with e-tags: the database side of the bot's state.

Two replicas that read the same key and both write it cannot silently overwrite each other:
a write that names an e-tag succeeds only if the stored row still has it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import StateItem, utcnow


class ETagConflict(KeyError):
    """The stored document changed since it was read."""


@dataclass(frozen=True)
class Versioned:
    data: Any
    etag: str


def new_etag() -> str:
    return uuid.uuid4().hex


async def read(session: AsyncSession, keys: Iterable[str]) -> dict[str, Versioned]:
    keys = list(keys)
    if not keys:
        return {}
    rows = await session.execute(select(StateItem).where(StateItem.key.in_(keys)))
    return {row.key: Versioned(json.loads(row.data), row.etag) for row in rows.scalars()}


async def write(
    session: AsyncSession, changes: Mapping[str, tuple[Any, str | None]]
) -> dict[str, str]:
    """Write each key's document; `expected` e-tag None or "*" means "whatever is there".

    Returns the new e-tag of each key. Raises ETagConflict if an expected e-tag is stale.
    """
    new_etags: dict[str, str] = {}
    for key, (data, expected) in changes.items():
        etag = new_etag()
        payload = json.dumps(data, separators=(",", ":"))
        statement = update(StateItem).where(StateItem.key == key)
        if expected not in (None, "*"):
            statement = statement.where(StateItem.etag == expected)
        result = await session.execute(
            statement.values(data=payload, etag=etag, updated_at=utcnow()),
            execution_options={"synchronize_session": False},
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            if expected not in (None, "*"):
                exists = await session.scalar(select(StateItem.key).where(StateItem.key == key))
                if exists is not None:
                    raise ETagConflict(f"state {key!r} changed since it was read")
            try:
                async with session.begin_nested():
                    session.add(StateItem(key=key, etag=etag, data=payload))
            except IntegrityError:
                # Another writer created the key between our UPDATE and INSERT.
                raise ETagConflict(f"state {key!r} was created concurrently") from None
        new_etags[key] = etag
    return new_etags


async def remove(session: AsyncSession, keys: Iterable[str]) -> None:
    keys = list(keys)
    if keys:
        await session.execute(delete(StateItem).where(StateItem.key.in_(keys)))
