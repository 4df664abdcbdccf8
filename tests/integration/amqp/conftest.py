"""A vhost of the session's own on the running RabbitMQ, broker users, and gateways on it.

The vhost (and the users) are created with ``rabbitmqctl`` and deleted at
the end, so the contract's queue and exchange names stay the real ones and
nothing leaks into other vhosts.  Each test starts from empty queues.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import xmlschema

from adapters.identity import Credentials
from adapters.sql import SqlaOrderStore
from core.domain.query import OrderQuery
from core.usecases import OrderManagement
from ordergate.bootstrap import Gateway, build_app
from ordergate.settings import GatewaySettings
from tests.integration.amqp.broker import EventWatcher, Requester, broker_url, ctl, reset_broker

_SCHEMAS: dict[str, xmlschema.XMLSchema] = {}


@pytest.fixture(scope="session")
def broker_vhost() -> Iterator[str]:
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is needed to give the tests a vhost of their own")
    name = f"ordergate-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    ctl("add_vhost", name)
    try:
        ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        yield name
    finally:
        ctl("delete_vhost", name)


@pytest.fixture(scope="session")
def amqp_url(broker_vhost: str) -> str:
    return broker_url("guest", "guest", broker_vhost)


@pytest.fixture(scope="session")
def broker_users(broker_vhost: str) -> Iterator[dict[str, str]]:
    """Broker users for the actors alice and bob (clients) and noc (fulfiller): actor -> AMQP URL."""
    users = {
        actor: (f"og-{actor}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex) for actor in ("alice", "bob", "noc")
    }
    created = []
    try:
        for user, password in users.values():
            ctl("add_user", user, password)
            created.append(user)
            ctl("set_permissions", "-p", broker_vhost, user, ".*", ".*", ".*")
        yield {actor: broker_url(user, password, broker_vhost) for actor, (user, password) in users.items()}
    finally:
        for user in created:
            ctl("delete_user", user)


def user_of(url: str) -> str:
    """The broker user in an AMQP URL."""
    from urllib.parse import unquote, urlsplit

    return unquote(urlsplit(url).username or "")


def write_credentials(path: Path, amqp_users: dict[str, str]) -> Credentials:
    """A credentials file mapping broker users to clients: {clientId: broker user}."""
    roles = {"alice": ["client"], "bob": ["client"], "noc": ["fulfiller"], "admin": ["admin"]}
    clients = [
        {"clientId": c, "roles": roles.get(c, ["client"]), "amqpUser": u} for c, u in amqp_users.items()
    ]
    path.write_text(json.dumps({"clients": clients}))
    return Credentials.load(path)


@dataclass
class RunningGateway:
    http_url: str
    amqp_url: str
    schema: xmlschema.XMLSchema
    orders: OrderManagement
    store: SqlaOrderStore

    async def order_count(self) -> int:
        from adapters.identity import LOCAL_ADMIN

        return (await self.orders.query_orders(LOCAL_ADMIN, OrderQuery(limit=0))).total


async def wait_ready(http_url: str, seconds: float = 20.0) -> None:
    async with aiohttp.ClientSession() as http:
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            try:
                async with http.get(f"{http_url}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{http_url} did not become ready")
            await asyncio.sleep(0.1)


async def served_schema(http_url: str) -> xmlschema.XMLSchema:
    """The XSD as the gateway serves it, for the independent validator."""
    async with aiohttp.ClientSession() as http, http.get(f"{http_url}/xml/ordermanagement.xsd") as response:
        assert response.status == 200
        xsd = await response.text()
    digest = hashlib.sha256(xsd.encode()).hexdigest()
    if digest not in _SCHEMAS:
        _SCHEMAS[digest] = xmlschema.XMLSchema(xsd)
    return _SCHEMAS[digest]


StartGateway = Callable[..., Awaitable[RunningGateway]]


@pytest.fixture
async def start_gateway(amqp_url: str, aiohttp_server) -> StartGateway:  # type: ignore[no-untyped-def]
    """Start a gateway (HTTP on a free port, the AMQP profile on the test vhost) on a store."""
    session_url = amqp_url

    async def start(
        store: SqlaOrderStore,
        *,
        credentials: Credentials | None = None,
        max_body_bytes: int = 1024 * 1024,
        concurrency: int = 16,
        amqp_url: str = amqp_url,
    ) -> RunningGateway:
        """``amqp_url`` may lead to the test vhost another way (through a proxy)."""
        await reset_broker(amqp_url)
        settings = GatewaySettings(
            database_url=store.url,
            amqp_url=amqp_url,
            max_body_bytes=max_body_bytes,
            amqp_concurrency=concurrency,
        )
        orders = OrderManagement(store)
        server = await aiohttp_server(build_app(settings, Gateway(settings, store, orders, credentials)))
        http_url = str(server.make_url("")).rstrip("/")
        await wait_ready(http_url)
        return RunningGateway(http_url, session_url, await served_schema(http_url), orders, store)

    return start


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
