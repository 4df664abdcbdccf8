"""Tables that grow with traffic come back to their bound (issues: hostile clients 10, scale 1).

Traffic fills the request log and the hub's queues (a live listener, and a
dead one that gets suspended with a backlog); then the pruner runs with its
clock moved on, and each table holds only what its retention still covers.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from adapters.rest.dispatcher import HubDispatcher
from adapters.rest.notifications import HubPublisher, StoredQuery
from adapters.rest.settings import RestSettings
from adapters.sql import SqlaOrderStore
from adapters.sql import tables as t
from adapters.sql.retention import SqlaRetention
from core.domain.model import Kind
from core.ports import Subscription
from core.usecases import OrderManagement
from core.usecases.idempotency import REQUEST_KEY
from core.usecases.relay import OutboxRelay
from core.usecases.retention import RetentionPruner, RetentionSettings
from tests.builders import ALICE, order_value
from tests.integration.rest.gateway import reserved_port
from tests.integration.rest.hub_listener import Listener

ORDERS = 20
HUB = RestSettings(
    hub_allowed_networks="127.0.0.0/8",
    hub_retry_base_seconds=0.01,
    hub_retry_max_seconds=0.01,
    hub_max_attempts=2,
    hub_failures_before_suspension=3,
)


@pytest.fixture
async def sql_store(sql_store: SqlaOrderStore) -> AsyncIterator[SqlaOrderStore]:
    """The shared store, left without subscriptions and leases (the PostgreSQL database is
    shared with later tests, whose gateways would otherwise owe these subscriptions events)."""
    yield sql_store
    async with sql_store.engine.begin() as conn:
        await conn.execute(t.hub_subscriptions.delete())
        await conn.execute(t.leases.delete())


async def counts(store: object) -> dict[str, int]:
    out = {}
    async with store.engine.connect() as conn:  # type: ignore[attr-defined]
        for table in (t.processed_requests, t.hub_deliveries, t.hub_events, t.hub_subscriptions):
            out[table.name] = (await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()
    return out


async def subscribe(store: object, callback: str) -> str:
    sub = Subscription(
        str(uuid.uuid4()), callback, ALICE.client_id, Kind.SERVICE, StoredQuery(None, False).dump()
    )
    assert await store.add_subscription(sub, 10)  # type: ignore[attr-defined]
    return sub.id


async def traffic(store: object, live: str, dead: str) -> None:
    om = OrderManagement(store)  # type: ignore[arg-type]
    for n in range(ORDERS):
        token = REQUEST_KEY.set(f"test:request-{n}")
        try:
            await om.create_order(ALICE, Kind.SERVICE, order_value())
        finally:
            REQUEST_KEY.reset(token)
    await OutboxRelay(store, [HubPublisher(store)]).drain()  # type: ignore[arg-type]
    dispatcher = HubDispatcher(store, HUB, "http://gw")  # type: ignore[arg-type]
    deadline = time.monotonic() + 20
    async with dispatcher.open():
        while time.monotonic() < deadline:
            await dispatcher.run_once()
            await dispatcher.settle()
            done = await store.delivery_counts(live)  # type: ignore[attr-defined]
            suspended = (await store.get_subscription(dead)).state == "suspended"  # type: ignore[attr-defined]
            if done.get("delivered") == ORDERS and suspended:
                break
            await asyncio.sleep(0.02)
    await store.release_lease(HubDispatcher.LEASE, dispatcher.holder)  # type: ignore[attr-defined]


def pruner(store: object, days: float, **settings: float) -> RetentionPruner:
    later = datetime.now(UTC) + timedelta(days=days)
    return RetentionPruner(
        SqlaRetention(store.engine),  # type: ignore[attr-defined]
        RetentionSettings(**settings),  # type: ignore[arg-type]
        clock=lambda: later,
        holder="the test's pruner",  # one pruner, its clock moved on
    )


async def test_after_traffic_and_time_every_table_is_back_to_its_bound(sql_store):
    listener = await Listener().start()
    try:
        live = await subscribe(sql_store, listener.url())
        dead = await subscribe(sql_store, f"http://127.0.0.1:{reserved_port()}/listener")
        await traffic(sql_store, live, dead)
    finally:
        await listener.stop()
    assert len(listener.received) == ORDERS
    assert await sql_store.delivery_counts(dead) == {"failed": 1, "pending": ORDERS - 1}
    assert await counts(sql_store) == {
        "processed_requests": ORDERS,
        "hub_deliveries": 2 * ORDERS,
        "hub_events": ORDERS,
        "hub_subscriptions": 2,
    }

    # two days on: delivered deliveries (kept a day) are gone, and the payloads only
    # they needed; the request log, failed deliveries and the suspended one stay a week
    await pruner(sql_store, 2).run_once()
    assert await counts(sql_store) == {
        "processed_requests": ORDERS,
        "hub_deliveries": ORDERS,
        "hub_events": ORDERS - 1,  # the dead subscription's backlog still needs its events
        "hub_subscriptions": 2,
    }

    # eight days on, in batches of 7: only the live subscription is left
    pruned = await pruner(sql_store, 8, batch=7, pause_seconds=0).run_once()
    assert pruned == {
        "request log": ORDERS,
        "delivered": 0,
        "failed": 1,
        "suspended subscriptions": ORDERS - 1 + 1,
        "hub events": ORDERS - 1,
    }
    assert await counts(sql_store) == {
        "processed_requests": 0,
        "hub_deliveries": 0,
        "hub_events": 0,
        "hub_subscriptions": 1,
    }
    assert (await sql_store.get_subscription(live)).state == "active"


class Recording(SqlaRetention):
    """Notes how many rows each delete took."""

    deletes: list[int]

    async def _delete(self, *args: object) -> int:  # type: ignore[override]
        deleted = await super()._delete(*args)  # type: ignore[arg-type]
        self.deletes.append(deleted)
        return deleted


async def test_pruning_goes_in_small_batches_under_a_lease(sql_store):
    om = OrderManagement(sql_store)
    for n in range(23):
        token = REQUEST_KEY.set(f"test:batch-{n}")
        try:
            await om.create_order(ALICE, Kind.SERVICE, order_value())
        finally:
            REQUEST_KEY.reset(token)
    store = Recording(sql_store.engine)
    store.deletes = []
    later = datetime.now(UTC) + timedelta(days=30)
    first = RetentionPruner(store, RetentionSettings(batch=5, pause_seconds=0), clock=lambda: later)
    second = RetentionPruner(store, RetentionSettings(batch=5), clock=lambda: later)
    assert await store.acquire_lease(RetentionPruner.LEASE, first.holder, 60)
    assert await second.run_once() == {}  # the lease is the first one's
    assert (await first.run_once())["request log"] == 23
    assert max(store.deletes) <= 5
    assert store.deletes[:5] == [5, 5, 5, 5, 3]
