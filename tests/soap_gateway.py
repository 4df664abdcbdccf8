"""A real gateway on a free loopback port, and zeep clients built from its served WSDL.

Shared by the SOAP integration tests and the SOAP conformance driver.  zeep
is synchronous: every call goes through ``asyncio.to_thread`` so the
gateway, on the test's event loop, keeps serving meanwhile.  Events are
observed through the outbox: a collecting publisher rides on the gateway's
own relay.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
import zeep
from aiohttp import web
from zeep.transports import Transport
from zeep.wsdl import Document

from adapters.identity import hash_key
from adapters.sql import tables as t
from core.domain.events import OrderEvent
from ordergate.bootstrap import Gateway, build_app, build_gateway
from ordergate.settings import GatewaySettings

ROLES = {
    "alice": ["client"],
    "bob": ["client"],
    "noc": ["fulfiller"],
    "admin": ["admin", "client", "fulfiller"],
}


def key_of(actor: str) -> str:
    return f"{actor}-soap-key"


def write_credentials(path: Path) -> Path:
    clients = [{"clientId": a, "roles": r, "keySha256": hash_key(key_of(a))} for a, r in ROLES.items()]
    path.write_text(json.dumps({"clients": clients}))
    return path


@dataclass
class CollectingPublisher:
    """Keeps every event the relay publishes (at least once: duplicates are dropped)."""

    events: list[OrderEvent] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)

    async def publish(self, events: Sequence[OrderEvent]) -> None:
        for event in events:
            if event.event_id not in self._seen:
                self._seen.add(event.event_id)
                self.events.append(event)


def plain_transport(authorization: str | None = None) -> Transport:
    """zeep's transport straight to loopback: no proxy or netrc from the environment."""
    session = requests.Session()
    session.trust_env = False
    if authorization:
        session.headers["Authorization"] = authorization
    return Transport(session=session, timeout=10, operation_timeout=60)


@dataclass
class SoapGateway:
    endpoint: str
    gateway: Gateway
    publisher: CollectingPublisher
    _document: Document | None = None
    _clients: dict[str, zeep.Client] = field(default_factory=dict)

    @property
    def wsdl_url(self) -> str:
        return f"{self.endpoint}?wsdl"

    async def client(self, actor: str | None, authorization: str | None = None) -> zeep.Client:
        """A zeep client for ``actor`` (its Bearer key), or with a raw Authorization header."""
        if authorization is None and actor is not None:
            authorization = f"Bearer {key_of(actor)}"
        slot = authorization or ""
        if slot not in self._clients:
            transport = plain_transport(authorization)
            if self._document is None:
                self._document = await asyncio.to_thread(
                    Document, self.wsdl_url, transport, settings=zeep.Settings(strict=True)
                )
            self._clients[slot] = zeep.Client(
                self._document, transport=transport, settings=zeep.Settings(strict=True)
            )
        return self._clients[slot]

    async def call(self, actor: str, operation: str, **kwargs: Any) -> Any:
        """One operation through zeep, off the loop; zeep.exceptions.Fault on a fault."""
        client = await self.client(actor)
        return await asyncio.to_thread(getattr(client.service, operation), **kwargs)

    async def settled_events(self) -> list[OrderEvent]:
        """Every event committed so far, once the relay has published them all."""
        async with asyncio.timeout(10):
            while await self.gateway.store.unpublished(1):
                if self.gateway.relay is not None:
                    self.gateway.relay.wake()
                await asyncio.sleep(0.02)
        return list(self.publisher.events)


async def _empty(gateway: Gateway) -> None:
    async with gateway.store.engine.begin() as conn:
        for table in reversed(t.metadata.sorted_tables):
            await conn.execute(sa.delete(table))


@contextlib.asynccontextmanager
async def running_gateway(
    database_url: str, workdir: Path, *, credentials: bool = True, fresh: bool = True, **settings: Any
) -> AsyncIterator[SoapGateway]:
    """The whole gateway app (store, relay, every profile) serving on 127.0.0.1, port chosen by the OS.

    ``fresh``: empty a PostgreSQL database first (the SQLite fixtures are new files already).
    """
    creds = str(write_credentials(workdir / "credentials.json")) if credentials else None
    config = GatewaySettings(database_url=database_url, credentials_path=creds, **settings)
    gateway = build_gateway(config)
    publisher = CollectingPublisher()
    gateway.publishers.append(publisher)
    runner = web.AppRunner(build_app(config, gateway))
    await runner.setup()
    try:
        if fresh and not gateway.store.sqlite:
            await _empty(gateway)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield SoapGateway(f"http://{host}:{port}/soap/OrderManagement", gateway, publisher)
    finally:
        await runner.cleanup()
