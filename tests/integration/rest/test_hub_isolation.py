"""No client's subscriptions hold up anyone else's events (issue: hostile clients, items 3, 4, 10).

A client holds a bounded number of subscriptions; a batch's fan-out costs a
constant number of statements whatever the number of subscriptions; a slow
listener delays only its own subscription; a dead one is suspended, says
why, and stops being owed events.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from adapters.rest.dispatcher import HubDispatcher
from adapters.rest.notifications import HubPublisher, StoredQuery
from adapters.rest.poster import NOT_ACCEPTED
from adapters.rest.settings import RestSettings
from adapters.sql import SqlaOrderStore
from adapters.sql import tables as t
from core.domain.model import Kind
from core.ports import Subscription
from core.usecases import OrderManagement
from tests.builders import ALICE, BOB, order_value
from tests.integration.rest.gateway import reserved_port, running_gateway
from tests.integration.rest.hub_listener import Listener
from tests.integration.rest.tmf import SERVICE, order_body

HUB = SERVICE.base_path + "/hub"
ORDERS = SERVICE.collection_path
LOOPBACK = {"rest.hub_allowed_networks": "127.0.0.0/8"}


@pytest.fixture
async def sql_store(sql_store: SqlaOrderStore) -> AsyncIterator[SqlaOrderStore]:
    """The shared store, left without subscriptions and leases (the PostgreSQL database is
    shared with later tests, whose gateways would otherwise owe these subscriptions events)."""
    yield sql_store
    async with sql_store.engine.begin() as conn:
        await conn.execute(t.hub_subscriptions.delete())
        await conn.execute(t.leases.delete())


async def test_a_client_holds_a_bounded_number_of_subscriptions(database_url: str, tmp_path: Path):
    extra = {**LOOPBACK, "rest.hub_max_subscriptions_per_client": "3"}
    async with running_gateway(database_url, tmp_path, extra=extra) as rest:
        body = {"callback": "http://127.0.0.1:9/listener"}
        ids = [(await rest.call("alice", "POST", HUB, json=body)).body["id"] for _ in range(3)]
        other_api = "/tmf-api/resourceOrdering/v4/hub"
        refused = await rest.call("alice", "POST", other_api, json=body)
        assert refused.status == 409
        assert "at most 3" in refused.body["message"]
        assert (await rest.call("bob", "POST", HUB, json=body)).status == 201
        assert (await rest.call("alice", "DELETE", f"{HUB}/{ids[0]}")).status == 204
        assert (await rest.call("alice", "POST", HUB, json=body)).status == 201


async def test_a_slow_listener_delays_only_its_own_subscription(database_url: str, tmp_path: Path):
    slow, fast = await Listener(delay=3.0).start(), await Listener().start()
    try:
        async with running_gateway(database_url, tmp_path, extra=LOOPBACK) as rest:
            for actor, listener in (("alice", slow), ("bob", fast)):
                assert (await rest.call(actor, "POST", HUB, json={"callback": listener.url()})).status == 201
            for _ in range(2):
                await rest.call("alice", "POST", ORDERS, json=order_body(SERVICE))
            await slow.wait_for(1)  # alice's listener is busy with her first event
            for _ in range(4):
                await rest.call("bob", "POST", ORDERS, json=order_body(SERVICE))
            await fast.wait_for(4, within=20)
            assert len(fast.received) == 4
            # every one of bob's events arrived while alice's listener sat on her first
            assert slow.answered == 0
    finally:
        await slow.stop()
        await fast.stop()


async def test_a_dead_subscription_is_suspended_says_why_and_is_owed_nothing_more(
    database_url: str, tmp_path: Path
):
    extra = {**LOOPBACK, "rest.hub_max_attempts": "2", "rest.hub_failures_before_suspension": "3"}
    async with running_gateway(database_url, tmp_path, extra=extra) as rest:
        callback = f"http://127.0.0.1:{reserved_port()}/listener"
        sub = (await rest.call("alice", "POST", HUB, json={"callback": callback})).body["id"]
        for _ in range(3):
            await rest.call("alice", "POST", ORDERS, json=order_body(SERVICE))
        for _ in range(500):
            status = (await rest.call("alice", "GET", f"{HUB}/{sub}")).body
            if status["state"] == "suspended":
                break
            await asyncio.sleep(0.02)
        assert status["state"] == "suspended"
        assert "3 failed delivery attempts in a row" in status["stateReason"]
        assert NOT_ACCEPTED in status["stateReason"]
        # two attempts gave the first event up; the third failure, on the next, suspended it
        assert status["deliveries"] == {"pending": 2, "delivered": 0, "failed": 1}
        listed = (await rest.call("alice", "GET", HUB)).body
        assert [s["state"] for s in listed] == ["suspended"]
        await rest.call("alice", "POST", ORDERS, json=order_body(SERVICE))
        await asyncio.sleep(0.5)
        after = (await rest.call("alice", "GET", f"{HUB}/{sub}")).body
        assert after["deliveries"] == status["deliveries"]


async def test_fan_out_to_many_subscriptions_costs_the_same_few_statements(sql_store):
    subscriptions = [
        Subscription(
            str(uuid.uuid4()),
            "http://hooks.test/",
            f"partner-{n}",
            Kind.SERVICE,
            StoredQuery(None, True).dump(),
        )
        for n in range(300)
    ]
    for sub in subscriptions:
        assert await sql_store.add_subscription(sub, 1)
    om = OrderManagement(sql_store)
    for n in range(60):
        await om.create_order(ALICE if n % 2 else BOB, Kind.SERVICE, order_value())
    events = await sql_store.unpublished(100)
    assert len(events) == 60
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 (conn, cursor, statement, ...)
    event.listen(sql_store.engine.sync_engine, "before_cursor_execute", listener)
    try:
        await HubPublisher(sql_store).publish(events)
    finally:
        event.remove(sql_store.engine.sync_engine, "before_cursor_execute", listener)
    writes = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(writes) == 2, writes  # the payloads, and every (subscription, event) pair
    assert len(statements) <= 6, statements
    # a subscription removed meanwhile is simply owed nothing
    await sql_store.enqueue(events[:1], [("removed-subscription", events[0].event_id)])
    async with sql_store.engine.connect() as conn:
        owed = (await conn.execute(sa.select(sa.func.count()).select_from(t.hub_deliveries))).scalar_one()
        held = (await conn.execute(sa.select(sa.func.count()).select_from(t.hub_events))).scalar_one()
    assert (owed, held) == (300 * 60, 60)


async def test_one_client_takes_at_most_its_share_of_the_deliveries_in_flight(sql_store):
    slow = await Listener(delay=0.5).start()
    settings = RestSettings(hub_allowed_networks="127.0.0.0/8", hub_max_in_flight_per_client=2)
    om = OrderManagement(sql_store)
    try:
        for caller, count in ((ALICE, 3), (BOB, 1)):
            for _ in range(count):
                query = StoredQuery(None, False).dump()
                sub = Subscription(str(uuid.uuid4()), slow.url(), caller.client_id, Kind.SERVICE, query)
                assert await sql_store.add_subscription(sub, 10)
            await om.create_order(caller, Kind.SERVICE, order_value())
        await HubPublisher(sql_store).publish(await sql_store.unpublished(10))
        dispatcher = HubDispatcher(sql_store, settings, "http://gw")
        async with dispatcher.open():
            assert await dispatcher.run_once() == 3  # two of alice's three, and bob's
            assert await dispatcher.run_once() == 0
            await dispatcher.settle()
            assert await dispatcher.run_once() == 1  # alice's third
            await dispatcher.settle()
        await sql_store.release_lease(HubDispatcher.LEASE, dispatcher.holder)
    finally:
        await slow.stop()
    assert len(slow.received) == 4
