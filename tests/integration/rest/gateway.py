"""The gateway serving its REST profile on a free loopback port, and a loopback hub listener.

``running_gateway`` writes a credentials file with one API key per scenario
actor (client ids made unique per gateway unless asked otherwise, so tests
sharing the PostgreSQL database never see each other's orders), builds the
real application with ``build_app`` and serves it on a socket bound to port 0.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from adapters.identity import hash_key
from ordergate.bootstrap import GATEWAY, build_app
from ordergate.settings import GatewaySettings
from tests.integration.rest.translate import event_subjects

ROLES = {
    "alice": ["client"],
    "bob": ["client"],
    "noc": ["fulfiller"],
    "admin": ["admin", "client", "fulfiller"],
}
# quick hub retries so delivery tests take a second, not minutes
FAST_HUB = {
    "rest.hub_retry_base_seconds": "0.05",
    "rest.hub_retry_max_seconds": "0.2",
    "rest.hub_poll_seconds": "0.05",
    "rest.hub_allowed_networks": "127.0.0.0/8",  # the tests' listeners are on loopback
}


@dataclass
class Reply:
    status: int
    headers: Mapping[str, str]
    body: Any


@dataclass
class RestGateway:
    url: str
    keys: dict[str, str]
    client_ids: dict[str, str]
    session: aiohttp.ClientSession
    app: web.Application

    def auth(self, actor: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[actor]}"}

    async def call(self, actor: str, method: str, path: str, **kwargs: Any) -> Reply:
        headers = {**self.auth(actor), **kwargs.pop("headers", {})}
        async with self.session.request(method, self.url + path, headers=headers, **kwargs) as r:
            raw = await r.read()
            body = json.loads(raw) if raw else None
            return Reply(r.status, r.headers, body)

    @property
    def store(self) -> Any:
        return self.app[GATEWAY].store


def write_credentials(path: Path, unique: bool) -> tuple[dict[str, str], dict[str, str]]:
    suffix = f"-{uuid.uuid4().hex[:8]}" if unique else ""
    keys = {actor: secrets.token_urlsafe(16) for actor in ROLES}
    ids = {actor: actor + suffix for actor in ROLES}
    clients = [
        {"clientId": ids[a], "roles": roles, "keySha256": hash_key(keys[a])} for a, roles in ROLES.items()
    ]
    path.write_text(json.dumps({"clients": clients}))
    return keys, ids


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@asynccontextmanager
async def running_gateway(
    database_url: str,
    tmp_path: Path,
    *,
    unique_clients: bool = True,
    max_body_bytes: int = 1024 * 1024,
    extra: Mapping[str, str] | None = None,
    switched_off: str = "",
    catalog_path: str | None = None,
    public_url: str | None = None,
) -> AsyncIterator[RestGateway]:
    credentials = tmp_path / f"credentials-{uuid.uuid4().hex[:6]}.json"
    keys, ids = write_credentials(credentials, unique_clients)
    sock = free_socket()
    port = sock.getsockname()[1]
    settings = GatewaySettings(
        database_url=database_url,
        port=port,
        credentials_path=str(credentials),
        max_body_bytes=max_body_bytes,
        extra={**FAST_HUB, **(extra or {})},
        switched_off=switched_off,
        catalog_path=catalog_path,
        public_url=public_url,
    )
    app = build_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        async with aiohttp.ClientSession() as session:
            yield RestGateway(f"http://127.0.0.1:{port}", keys, ids, session, app)
    finally:
        await runner.cleanup()
        sock.close()


@dataclass
class EventListener:
    """A hub callback on loopback: records every event POSTed to it, answering 201.

    ``refuse`` answers that many requests with 503 first (a listener that is
    up but failing); ``start(port)`` can bind a port that refused connections
    until then (a listener that was down).
    """

    refuse: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/listener"

    async def _receive(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self.refuse > 0:
            self.refuse -= 1
            return web.Response(status=503)
        self.received.append(await request.json())
        return web.Response(status=201)

    async def start(self, port: int = 0) -> EventListener:
        app = web.Application()
        app.router.add_post("/listener", self._receive)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, reuse_address=True)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def events_for(self, order_id: str) -> list[dict[str, Any]]:
        return [e for e in self.received if order_id in event_subjects(e)]

    async def wait_for(
        self, count: int, order_id: str | None = None, within: float = 10.0
    ) -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            got = self.received if order_id is None else self.events_for(order_id)
            if len(got) >= count or loop.time() > deadline:
                return list(got)
            await asyncio.sleep(0.02)


def reserved_port() -> int:
    """A loopback port nobody listens on (yet): connections to it are refused."""
    with free_socket() as sock:
        return int(sock.getsockname()[1])
