"""The botbuilder Storage on SQL: read/write/delete with e-tag optimistic concurrency."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.sdk.state import SqlStorage
from storage.db import Database
from storage.migrate import migrate
from tests.harness.sdk import StoreItem


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    await migrate(db.engine)
    yield db
    await db.dispose()


async def test_written_items_read_back_with_an_etag(database: Database) -> None:
    storage = SqlStorage(database)
    await storage.write({"a": {"count": 1, "names": ["x"]}})
    items = await storage.read(["a", "missing"])
    assert set(items) == {"a"}
    assert items["a"]["count"] == 1
    assert items["a"]["names"] == ["x"]
    assert items["a"]["e_tag"]


async def test_store_items_keep_their_type(database: Database) -> None:
    storage = SqlStorage(database)
    await storage.write({"item": StoreItem(counter=3)})
    item = (await storage.read(["item"]))["item"]
    assert isinstance(item, StoreItem)
    assert item.counter == 3


async def test_a_stale_write_from_another_replica_is_refused(database: Database) -> None:
    replica_a, replica_b = SqlStorage(database), SqlStorage(database)
    await replica_a.write({"k": {"v": 0}})
    seen_by_a = (await replica_a.read(["k"]))["k"]
    seen_by_b = (await replica_b.read(["k"]))["k"]
    seen_by_a["v"] = 1
    await replica_a.write({"k": seen_by_a})
    seen_by_b["v"] = 2
    with pytest.raises(KeyError):
        await replica_b.write({"k": seen_by_b})
    assert (await replica_a.read(["k"]))["k"]["v"] == 1


async def test_the_writer_may_write_again_with_its_refreshed_etag(database: Database) -> None:
    storage = SqlStorage(database)
    await storage.write({"k": {"v": 0}})
    item = (await storage.read(["k"]))["k"]
    item["v"] = 1
    await storage.write({"k": item})
    item["v"] = 2
    await storage.write({"k": item})
    assert (await storage.read(["k"]))["k"]["v"] == 2


async def test_star_etag_overwrites_unconditionally(database: Database) -> None:
    storage = SqlStorage(database)
    await storage.write({"k": {"v": 0}})
    await storage.write({"k": {"v": 5, "e_tag": "*"}})
    assert (await storage.read(["k"]))["k"]["v"] == 5


async def test_an_empty_etag_is_an_error(database: Database) -> None:
    with pytest.raises(ValueError, match="empty e-tag"):
        await SqlStorage(database).write({"k": {"v": 0, "e_tag": ""}})


async def test_delete_removes_and_tolerates_missing_keys(database: Database) -> None:
    storage = SqlStorage(database)
    await storage.write({"a": {"v": 1}, "b": {"v": 2}})
    await storage.delete(["a", "nope"])
    assert set(await storage.read(["a", "b"])) == {"b"}


async def test_reading_no_keys_is_empty(database: Database) -> None:
    assert await SqlStorage(database).read([]) == {}
