"""A real gateway with the AMQP profile on a throw-away vhost, and broker users for the actors.

Shared by the AMQP integration tests and the AMQP conformance driver.  The
vhost and the users are made with ``rabbitmqctl`` and removed afterwards, so
the contract's queue and exchange names stay the real ones and nothing leaks
into other vhosts.  Their names carry the run's prefix (``tests/prefix.py``);
at the end of the session whatever is left under it is removed -- never a
vhost or user of another run.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp
import xmlschema
from aiohttp import web

from adapters.identity import LOCAL_ADMIN, Credentials
from adapters.sql import SqlaOrderStore
from core.domain.query import OrderQuery
from core.usecases import OrderManagement, Settings
from core.usecases.management import parse_switched_off
from ordergate.bootstrap import Gateway, build_app
from ordergate.catalog import load_catalog
from ordergate.settings import GatewaySettings
from tests import prefix
from tests.amqp_broker import broker_url, ctl, reset_broker

ROLES = {
    "alice": ["client"],
    "bob": ["client"],
    "noc": ["fulfiller"],
    "admin": ["admin", "client", "fulfiller"],
}
_SCHEMAS: dict[str, xmlschema.XMLSchema] = {}


# ------------------------------------------------------------------ broker side


_USED = {"broker": False}


def remove_own_leftovers() -> None:
    """The vhosts and users of this run that a test left behind (none of another run's)."""
    if not _USED["broker"]:
        return
    for line in ctl("list_vhosts").splitlines():
        if prefix.ours(line.strip()):
            ctl("delete_vhost", line.strip())
    for line in ctl("list_users").splitlines():
        user = line.split("\t")[0]
        if prefix.ours(user):
            ctl("delete_user", user)


@contextlib.contextmanager
def throwaway_vhost() -> Iterator[str]:
    """A vhost of its own (guest may use it), deleted with everything in it on exit."""
    name = prefix.name("vhost")
    _USED["broker"] = True
    ctl("add_vhost", name)
    try:
        ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        yield name
    finally:
        ctl("delete_vhost", name)


@contextlib.contextmanager
def broker_users(vhost: str, actors: Iterable[str]) -> Iterator[dict[str, str]]:
    """A broker user per actor, allowed on the vhost: actor -> AMQP URL; deleted on exit."""
    users = {actor: (prefix.name(actor), uuid.uuid4().hex) for actor in actors}
    _USED["broker"] = True
    created = []
    try:
        for user, password in users.values():
            ctl("add_user", user, password)
            created.append(user)
            ctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        yield {actor: broker_url(user, password, vhost) for actor, (user, password) in users.items()}
    finally:
        for user in created:
            ctl("delete_user", user)


def user_of(url: str) -> str:
    """The broker user in an AMQP URL."""
    return unquote(urlsplit(url).username or "")


def write_credentials(path: Path, amqp_users: dict[str, str]) -> Credentials:
    """A credentials file mapping broker users to clients ({clientId: broker user}), loaded."""
    clients = [
        {"clientId": c, "roles": ROLES.get(c, ["client"]), "amqpUser": u} for c, u in amqp_users.items()
    ]
    path.write_text(json.dumps({"clients": clients}))
    return Credentials.load(path)


# ------------------------------------------------------------------ gateway side


async def wait_ready(http_url: str, seconds: float = 20.0) -> None:
    async with aiohttp.ClientSession() as http:
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{http_url}/readyz") as response:
                    if response.status == 200:
                        return
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{http_url} did not become ready")
            await asyncio.sleep(0.1)


async def served_schema(http_url: str) -> xmlschema.XMLSchema:
    """The XSD as the gateway serves it, for the independent validator."""
    async with aiohttp.ClientSession() as http, http.get(f"{http_url}/xml/ordermanagement.xsd") as response:
        if response.status != 200:
            raise AssertionError(f"GET /xml/ordermanagement.xsd: {response.status}")
        xsd = await response.text()
    digest = hashlib.sha256(xsd.encode()).hexdigest()
    if digest not in _SCHEMAS:
        # from its URL, so that the schemas it imports are fetched beside it, as a partner's toolkit would
        url = f"{http_url}/xml/ordermanagement.xsd"
        _SCHEMAS[digest] = await asyncio.to_thread(xmlschema.XMLSchema, url)
    return _SCHEMAS[digest]


@dataclass
class RunningGateway:
    http_url: str
    amqp_url: str  # the test vhost, directly (the gateway itself may use another way in)
    schema: xmlschema.XMLSchema
    gateway: Gateway

    @property
    def orders(self) -> OrderManagement:
        return self.gateway.orders

    @property
    def store(self) -> SqlaOrderStore:
        return self.gateway.store

    async def order_count(self) -> int:
        return (await self.orders.query_orders(LOCAL_ADMIN, OrderQuery(limit=0))).total

    async def events_settled(self, seconds: float = 10.0) -> None:
        """Until the relay has published every committed event (and the broker confirmed it)."""
        async with asyncio.timeout(seconds):
            while await self.store.unpublished(1):
                if self.gateway.relay is not None:
                    self.gateway.relay.wake()
                await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def running_gateway(
    store: SqlaOrderStore,
    amqp_url: str,
    *,
    credentials: Credentials | None = None,
    via: str | None = None,
    max_body_bytes: int = 1024 * 1024,
    concurrency: int = 16,
    switched_off: str = "",
    settings: Mapping[str, Any] | None = None,
) -> AsyncIterator[RunningGateway]:
    """The whole gateway on ``store``, HTTP on a free loopback port, the AMQP profile on the
    vhost of ``amqp_url`` (reached through ``via`` when given), from empty queues."""
    await reset_broker(amqp_url)
    gateway_settings = GatewaySettings(
        database_url=store.url,
        amqp_url=via or amqp_url,
        max_body_bytes=max_body_bytes,
        amqp_concurrency=concurrency,
        switched_off=switched_off,
        **(settings or {}),
    )
    orders = OrderManagement(
        store,
        Settings(
            switched_off=parse_switched_off(switched_off),
            catalog=load_catalog(gateway_settings.catalog_path),
        ),
    )
    gateway = Gateway(gateway_settings, store, orders, credentials)
    async with serving(gateway_settings, gateway, amqp_url) as running:
        yield running


@contextlib.asynccontextmanager
async def serving(settings: GatewaySettings, gateway: Gateway, amqp_url: str) -> AsyncIterator[RunningGateway]:
    """``gateway``'s whole application on a free loopback port, once it answers as ready."""
    runner = web.AppRunner(build_app(settings, gateway))
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        http_url = f"http://{host}:{port}"
        await wait_ready(http_url)
        yield RunningGateway(http_url, amqp_url, await served_schema(http_url), gateway)
    finally:
        await runner.cleanup()
