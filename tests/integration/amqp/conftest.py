"""A vhost of the session's own on the running RabbitMQ, broker users, and gateways on it (see
``tests/amqp_gateway.py``).  Each gateway starts from empty queues."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from adapters.sql import SqlaOrderStore
from tests.amqp_broker import EventWatcher, Requester, broker_url
from tests.amqp_gateway import RunningGateway, broker_users, running_gateway, throwaway_vhost


@pytest.fixture(scope="session")
def broker_vhost() -> Iterator[str]:
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is needed to give the tests a vhost of their own")
    with throwaway_vhost() as name:
        yield name


@pytest.fixture(scope="session")
def amqp_url(broker_vhost: str) -> str:
    return broker_url("guest", "guest", broker_vhost)


@pytest.fixture(scope="session")
def actor_urls(broker_vhost: str) -> Iterator[dict[str, str]]:
    """Broker users for alice and bob (clients) and noc (fulfiller): actor -> AMQP URL."""
    with broker_users(broker_vhost, ("alice", "bob", "noc")) as urls:
        yield urls


StartGateway = Callable[..., Awaitable[RunningGateway]]


@pytest.fixture
async def start_gateway(amqp_url: str) -> AsyncIterator[StartGateway]:
    """Start a gateway on a store (options: see ``running_gateway``); stopped after the test."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(store: SqlaOrderStore, **options: object) -> RunningGateway:
            return await stack.enter_async_context(running_gateway(store, amqp_url, **options))  # type: ignore[arg-type]

        yield start


@pytest.fixture
async def sqlite_store(sqlite_url: str) -> AsyncIterator[SqlaOrderStore]:
    store = SqlaOrderStore(sqlite_url)
    yield store
    await store.close()


@pytest.fixture
async def gateway(sql_store: SqlaOrderStore, start_gateway: StartGateway) -> RunningGateway:
    return await start_gateway(sql_store)


@pytest.fixture
async def requester(gateway: RunningGateway) -> AsyncIterator[Requester]:
    client = await Requester(gateway.amqp_url, gateway.schema).open()
    yield client
    await client.close()
    assert not client.invalid, client.invalid


@pytest.fixture
async def events(gateway: RunningGateway) -> AsyncIterator[EventWatcher]:
    watcher = await EventWatcher(gateway.amqp_url, gateway.schema).open()
    yield watcher
    await watcher.close()
    assert not watcher.invalid, watcher.invalid
