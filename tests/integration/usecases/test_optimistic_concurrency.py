"""Optimistic concurrency on a real database: one winner, no half-written change."""

from __future__ import annotations

import asyncio

from core.domain.errors import DuplicateKey, ResyncRequired
from core.domain.model import Kind
from core.usecases import OrderManagement
from tests.builders import ALICE, item, order_count, order_value, outbox, stored

WRITERS = 50


async def test_fifty_writers_with_the_same_read_version_one_wins(sql_store):
    om = OrderManagement(sql_store)
    order = await om.create_order(ALICE, Kind.SERVICE, order_value("i1"))
    read = order.version

    # Each writer changes two fields at once; a half-written change would show
    # one writer's description next to another's items.
    async def write(n: int) -> str:
        value = {"description": f"writer {n}", "items": [item("i1"), item(f"w{n}")]}
        try:
            await om.set_order(ALICE, Kind.SERVICE, order.id, value, version=read)
        except ResyncRequired:
            return "resync"
        return f"won {n}"

    results = await asyncio.gather(*(write(n) for n in range(WRITERS)))

    winners = [r for r in results if r.startswith("won")]
    assert len(winners) == 1, winners
    assert results.count("resync") == WRITERS - 1
    n = int(winners[0].split()[1])
    doc = await stored(sql_store, order.id)
    assert doc is not None
    assert doc["version"] == read + 1
    assert doc["description"] == f"writer {n}"
    assert [i["id"] for i in doc["items"]] == ["i1", f"w{n}"]
    events = [e.type.value for e in await outbox(sql_store, order.id)]
    assert events == ["OrderCreate", "OrderAttributeValueChange"]


async def test_writers_without_a_version_all_land_one_after_another(sql_store):
    """No version given: nobody's read is overridden, so lost races are retried until each lands
    (fifty at once used to exhaust five retries and answer resyncRequired)."""
    om = OrderManagement(sql_store)
    order = await om.create_order(ALICE, Kind.SERVICE, order_value("i1"))
    writers = WRITERS
    await asyncio.gather(
        *(om.set_order(ALICE, None, order.id, {"notes": [{"text": f"note {n}"}]}) for n in range(writers))
    )
    doc = await stored(sql_store, order.id)
    assert doc is not None
    assert doc["version"] == 1 + writers
    assert len(await outbox(sql_store, order.id)) == 1 + writers


async def test_concurrent_creates_with_one_client_key_store_one_order(sql_store):
    om = OrderManagement(sql_store)

    async def create() -> str:
        try:
            await om.create_order(ALICE, Kind.PRODUCT, order_value("i1", id="PO-7"))
        except DuplicateKey:
            return "duplicate"
        return "created"

    results = await asyncio.gather(*(create() for _ in range(10)))
    assert sorted(results) == ["created"] + ["duplicate"] * 9
    assert await order_count(sql_store) == 1
    assert [e.type.value for e in await outbox(sql_store, "alice~PO-7")] == ["OrderCreate"]
