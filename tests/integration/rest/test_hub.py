"""Hub notifications to real HTTP listeners on loopback: retries, restarts, give-up, filters.

The listeners run on 127.0.0.1, which the gateway refuses as a callback by
default: these gateways allow 127.0.0.0/8 explicitly (``LOOPBACK``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.integration.rest.gateway import EventListener, RestGateway, reserved_port, running_gateway
from tests.integration.rest.tmf import SERVICE, conforms, order_body

HUB = SERVICE.base_path + "/hub"
ORDERS = SERVICE.collection_path
LOOPBACK = {"rest.hub_allowed_networks": "127.0.0.0/8"}


@pytest.fixture
async def rest(database_url: str, tmp_path: Path) -> AsyncIterator[RestGateway]:
    async with running_gateway(database_url, tmp_path, extra=LOOPBACK) as gateway:
        yield gateway


@asynccontextmanager
async def subscribed(
    rest: RestGateway, actor: str, callback: str, query: str | None = None
) -> AsyncIterator[str]:
    body: dict[str, Any] = {"callback": callback} | ({"query": query} if query else {})
    reply = await rest.call(actor, "POST", HUB, json=body)
    assert reply.status == 201, reply.body
    assert reply.headers["Location"] == reply.body["href"]
    try:
        yield str(reply.body["id"])
    finally:
        await rest.call("admin", "DELETE", f"{HUB}/{reply.body['id']}")


async def _complete_order(rest: RestGateway, actor: str = "alice") -> str:
    order = (await rest.call(actor, "POST", ORDERS, json=order_body(SERVICE))).body
    url = f"{ORDERS}/{order['id']}"
    assert (await rest.call(actor, "PATCH", url, json={"state": "inProgress"})).status == 200
    for item_id in ("1", "2"):
        done = await rest.call(
            "noc", "PATCH", url, json={"serviceOrderItem": [{"id": item_id, "state": "completed"}]}
        )
        assert done.status == 200
    return str(order["id"])


async def _attempted(rest: RestGateway, subscription_id: str, at_least: int) -> None:
    for _ in range(500):
        deliveries = await rest.store.deliveries(subscription_id)
        if any(d.attempts >= at_least for d in deliveries):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"no delivery was attempted {at_least} times")


EXPECTED = [
    ("ServiceOrderCreateEvent", "acknowledged"),
    ("ServiceOrderStateChangeEvent", "inProgress"),
    ("ServiceOrderStateChangeEvent", "inProgress"),
    ("ServiceOrderStateChangeEvent", "completed"),
]


def _check_stream(listener: EventListener, order_ids: list[str]) -> None:
    ids = [e["eventId"] for e in listener.received]
    assert len(ids) == len(set(ids)), "an event arrived twice"
    for order_id in order_ids:
        events = listener.events_for(order_id)
        assert [(e["eventType"], e["event"]["serviceOrder"]["state"]) for e in events] == EXPECTED
        for event in events:
            conforms(SERVICE, event["eventType"], event)


async def test_every_event_arrives_once_and_in_order_though_the_listener_was_down(rest: RestGateway):
    port = reserved_port()
    listener = EventListener(refuse=2)
    async with subscribed(rest, "alice", f"http://127.0.0.1:{port}/listener") as sub:
        order_ids = [await _complete_order(rest) for _ in range(3)]
        await _attempted(rest, sub, 2)  # connection refused, and retried
        await listener.start(port)
        try:
            await listener.wait_for(12)
        finally:
            await listener.stop()
        _check_stream(listener, order_ids)
        status = (await rest.call("alice", "GET", f"{HUB}/{sub}")).body
        assert status["deliveries"] == {"pending": 0, "delivered": 12, "failed": 0}
    started = listener.events_for(order_ids[0])[1]
    assert started["previousState"] == "acknowledged"
    assert started["itemStateChange"] == [
        {"id": "1", "previousState": "acknowledged", "state": "inProgress"},
        {"id": "2", "previousState": "acknowledged", "state": "inProgress"},
    ]


async def test_owed_deliveries_survive_a_restart(database_url: str, tmp_path: Path):
    port = reserved_port()
    async with running_gateway(database_url, tmp_path, extra=LOOPBACK) as first:
        reply = await first.call("alice", "POST", HUB, json={"callback": f"http://127.0.0.1:{port}/listener"})
        sub = reply.body["id"]
        order_id = await _complete_order(first)
        await _attempted(first, sub, 1)
    listener = await EventListener().start(port)
    try:
        async with running_gateway(database_url, tmp_path, extra=LOOPBACK) as second:
            try:
                await listener.wait_for(4)
                _check_stream(listener, [order_id])
            finally:
                await second.call("admin", "DELETE", f"{HUB}/{sub}")
    finally:
        await listener.stop()


async def test_deliveries_are_given_up_after_bounded_attempts_and_shown_failed(
    database_url: str, tmp_path: Path
):
    port = reserved_port()
    async with (
        running_gateway(database_url, tmp_path, extra={**LOOPBACK, "rest.hub_max_attempts": "3"}) as rest,
        subscribed(rest, "alice", f"http://127.0.0.1:{port}/listener") as sub,
    ):
        order = (await rest.call("alice", "POST", ORDERS, json=order_body(SERVICE))).body
        for _ in range(500):
            status = (await rest.call("alice", "GET", f"{HUB}/{sub}")).body
            if status["deliveries"]["failed"]:
                break
            await asyncio.sleep(0.02)
        assert status["deliveries"] == {"pending": 0, "delivered": 0, "failed": 1}
        (failed,) = status["failedDeliveries"]
        assert failed["orderId"] == order["id"]
        assert failed["attempts"] == 3
        assert failed["lastError"]


async def test_the_query_filters_events_and_clients_get_only_their_own(rest: RestGateway):
    completed, everything, bobs, admins = EventListener(), EventListener(), EventListener(), EventListener()
    for listener in (completed, everything, bobs, admins):
        await listener.start()
    query = "eventType=ServiceOrderStateChangeEvent&event.serviceOrder.state=completed"
    try:
        async with (
            subscribed(rest, "alice", completed.url, query),
            subscribed(rest, "alice", everything.url),
            subscribed(rest, "bob", bobs.url),
            subscribed(rest, "admin", admins.url),
        ):
            alice_order = await _complete_order(rest)
            bob_order = (await rest.call("bob", "POST", ORDERS, json=order_body(SERVICE))).body["id"]
            await admins.wait_for(5)
            await everything.wait_for(4)
            await bobs.wait_for(1)
            await asyncio.sleep(0.3)  # room for anything wrongly sent
    finally:
        for listener in (completed, everything, bobs, admins):
            await listener.stop()
    assert [(e["eventType"], e["event"]["serviceOrder"]["id"]) for e in completed.received] == [
        ("ServiceOrderStateChangeEvent", alice_order)
    ]
    assert {e["event"]["serviceOrder"]["id"] for e in everything.received} == {alice_order}
    assert [e["event"]["serviceOrder"]["id"] for e in bobs.received] == [bob_order]
    assert {e["event"]["serviceOrder"]["id"] for e in admins.received} >= {alice_order, bob_order}


async def test_registration_is_validated_and_unregistering_is_owned(rest: RestGateway):
    for body in (
        {"callback": "not a url"},
        {"callback": "ftp://127.0.0.1/x"},
        {"callback": "http://127.0.0.1/x", "query": "eventType=PizzaEvent"},
        {"callback": "http://127.0.0.1/x", "query": "colour=red"},
        {"query": "eventType=ServiceOrderCreateEvent"},
    ):
        reply = await rest.call("alice", "POST", HUB, json=body)
        assert reply.status == 400, body
        assert reply.body["@type"] == "Error"
    listener = await EventListener().start()
    try:
        async with subscribed(rest, "alice", listener.url) as sub:
            assert (await rest.call("bob", "DELETE", f"{HUB}/{sub}")).status == 404
            assert (await rest.call("bob", "GET", f"{HUB}/{sub}")).status == 404
            listed = await rest.call("alice", "GET", HUB)
            assert [s["id"] for s in listed.body] == [sub]
            assert (await rest.call("alice", "DELETE", f"{HUB}/{sub}")).status == 204
            assert (await rest.call("alice", "DELETE", f"{HUB}/{sub}")).status == 404
            await rest.call("alice", "POST", ORDERS, json=order_body(SERVICE))
            await asyncio.sleep(0.5)
        assert listener.received == []
    finally:
        await listener.stop()
