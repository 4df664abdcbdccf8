"""Hub callbacks cannot reach what only the gateway can (issue: SSRF through the hub).

At registration the gateway refuses internal addresses in every spelling; at
delivery it resolves the callback's host once, checks what it got and
connects there (a name that DNS turned to loopback since is not called);
it follows no redirect; the error it stores does not tell a closed port from
a listener that said no; and a subscription's secret signs what is sent.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.rest.dispatcher import HubDispatcher
from adapters.rest.notifications import HubPublisher, StoredQuery
from adapters.rest.poster import NOT_ACCEPTED, SIGNATURE_HEADER, signature
from adapters.rest.settings import RestSettings
from adapters.sql import SqlaOrderStore
from adapters.sql import tables as t
from core.domain.model import Kind
from core.ports import Subscription
from core.usecases import OrderManagement
from tests.builders import ALICE, order_value
from tests.integration.rest.gateway import RestGateway, reserved_port, running_gateway
from tests.integration.rest.hub_listener import Listener
from tests.integration.rest.tmf import SERVICE, order_body

HUB = SERVICE.base_path + "/hub"
PUBLIC = "93.184.216.34"
LOOPBACK = "127.0.0.0/8"


@pytest.fixture
async def sql_store(sql_store: SqlaOrderStore) -> AsyncIterator[SqlaOrderStore]:
    """The shared store, left without subscriptions and leases (the PostgreSQL database is
    shared with later tests, whose gateways would otherwise owe these subscriptions events)."""
    yield sql_store
    async with sql_store.engine.begin() as conn:
        await conn.execute(t.hub_subscriptions.delete())
        await conn.execute(t.leases.delete())


class Dns:
    """A resolver the test controls, counting lookups."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = {name: [address] for name, address in names.items()}
        self.lookups = 0

    async def __call__(self, host: str, _port: int) -> list[str]:
        self.lookups += 1
        return self.names.get(host, [])


def settings(allowed: str = "", **extra: float) -> RestSettings:
    return RestSettings(
        hub_allowed_networks=allowed,
        hub_retry_base_seconds=0.01,
        hub_retry_max_seconds=0.01,
        **extra,  # type: ignore[arg-type]
    )


async def subscribe(store: object, callback: str, secret: str | None = None) -> Subscription:
    sub = Subscription(
        str(uuid.uuid4()),
        callback,
        ALICE.client_id,
        Kind.SERVICE,
        StoredQuery(None, False).dump(),
        secret=secret,
    )
    assert await store.add_subscription(sub, 100)  # type: ignore[attr-defined]
    return sub


async def one_event_owed(store: object) -> None:
    await OrderManagement(store).create_order(ALICE, Kind.SERVICE, order_value())  # type: ignore[arg-type]
    await HubPublisher(store).publish(await store.unpublished(100))  # type: ignore[attr-defined]


async def one_round(dispatcher: HubDispatcher, store: object) -> None:
    async with dispatcher.open():
        await dispatcher.run_once()
        await dispatcher.settle()
    await store.release_lease(HubDispatcher.LEASE, dispatcher.holder)  # type: ignore[attr-defined]


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    started = await Listener().start()
    yield started
    await started.stop()


@pytest.fixture
async def guarded(database_url: str, tmp_path: Path) -> AsyncIterator[RestGateway]:
    """A gateway with the default callback rules (no network allowed beyond the public ones)."""
    async with running_gateway(database_url, tmp_path, extra={"rest.hub_allowed_networks": ""}) as gateway:
        yield gateway


@pytest.mark.parametrize(
    ("callback", "rule"),
    [
        ("http://127.0.0.1:{port}/listener", "loopback"),
        ("http://localhost:{port}/listener", "loopback"),
        ("http://0x7f000001:{port}/listener", "loopback"),
        ("http://[::1]:{port}/listener", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.1/hook", "private"),
        ("http://user:password@example.com/hook", "credentials"),
        ("http://2130706433:{port}/listener", "canonical IP"),
    ],
)
async def test_registration_refuses_internal_callbacks_naming_the_rule(guarded, listener, callback, rule):
    url = callback.format(port=listener.port)
    reply = await guarded.call("alice", "POST", HUB, json={"callback": url})
    assert reply.status == 400, reply.body
    assert rule in reply.body["message"]
    assert (await guarded.call("alice", "GET", HUB)).body == []
    await guarded.call("alice", "POST", SERVICE.collection_path, json=order_body(SERVICE))
    assert listener.received == []


async def test_a_name_that_dns_turned_to_loopback_since_registration_is_not_called(sql_store, listener):
    dns = Dns({"hooks.test": PUBLIC})
    dispatcher = HubDispatcher(sql_store, settings(), "http://gw", resolve=dns)
    callback = f"http://hooks.test:{listener.port}/listener"
    await dispatcher.policy.check(callback)  # registration: a public address
    sub = await subscribe(sql_store, callback)
    dns.names["hooks.test"] = ["127.0.0.1"]  # rebinding
    await one_event_owed(sql_store)
    await one_round(dispatcher, sql_store)
    assert listener.received == []
    (delivery,) = await sql_store.deliveries(sub.id)
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error.startswith("callback refused")
    assert "loopback" in delivery.last_error


async def test_the_connection_goes_to_the_address_checked_under_the_callbacks_name(sql_store, listener):
    dns = Dns({"hooks.test": "127.0.0.1"})
    dispatcher = HubDispatcher(sql_store, settings(LOOPBACK), "http://gw", resolve=dns)
    sub = await subscribe(sql_store, f"http://hooks.test:{listener.port}/listener")
    await one_event_owed(sql_store)
    await one_round(dispatcher, sql_store)
    (received,) = listener.received
    assert received.headers["Host"] == f"hooks.test:{listener.port}"
    assert dns.lookups == 1, "the address connected to was looked up twice"
    assert [d.status for d in await sql_store.deliveries(sub.id)] == ["delivered"]


async def test_redirects_are_not_followed(sql_store, listener):
    redirector = await Listener(location=listener.url()).start()
    try:
        dispatcher = HubDispatcher(sql_store, settings(LOOPBACK), "http://gw")
        sub = await subscribe(sql_store, redirector.url())
        await one_event_owed(sql_store)
        await one_round(dispatcher, sql_store)
    finally:
        await redirector.stop()
    assert len(redirector.received) == 1
    assert listener.received == []
    (delivery,) = await sql_store.deliveries(sub.id)
    assert (delivery.status, delivery.last_error) == ("pending", NOT_ACCEPTED)


async def test_the_stored_error_does_not_tell_a_closed_port_from_a_listener_that_said_no(sql_store):
    listeners = [await Listener(status=403).start(), await Listener(status=500).start()]
    listeners.append(await Listener(delay=2.0).start())  # answers after the timeout
    try:
        dispatcher = HubDispatcher(sql_store, settings(LOOPBACK, hub_timeout_seconds=0.5), "http://gw")
        urls = [f"http://127.0.0.1:{reserved_port()}/listener"] + [x.url() for x in listeners]
        subs = [await subscribe(sql_store, url) for url in urls]
        await one_event_owed(sql_store)
        await one_round(dispatcher, sql_store)
    finally:
        for x in listeners:
            await x.stop()
    errors = {(await sql_store.deliveries(sub.id))[0].last_error for sub in subs}
    assert errors == {NOT_ACCEPTED}
    assert not any(char.isdigit() for char in NOT_ACCEPTED.replace("2xx", ""))


async def test_deliveries_are_signed_with_the_secret_given_at_registration(database_url, tmp_path, listener):
    secret = "a secret of the listener's own"
    extra = {"rest.hub_allowed_networks": LOOPBACK}
    async with running_gateway(database_url, tmp_path, extra=extra) as rest:
        short = await rest.call("alice", "POST", HUB, json={"callback": listener.url(), "secret": "short"})
        assert short.status == 400
        reply = await rest.call("alice", "POST", HUB, json={"callback": listener.url(), "secret": secret})
        assert reply.status == 201
        assert "secret" not in reply.body
        assert "secret" not in (await rest.call("alice", "GET", f"{HUB}/{reply.body['id']}")).body
        await rest.call("alice", "POST", SERVICE.collection_path, json=order_body(SERVICE))
        await listener.wait_for(1)
        await rest.call("alice", "DELETE", f"{HUB}/{reply.body['id']}")
    (received,) = listener.received
    assert received.headers[SIGNATURE_HEADER] == signature(secret, received.body)
