"""A hub listener on loopback that records what reached it and answers as told.

Unlike ``gateway.EventListener`` it keeps each request's headers and raw
body (for the Host header and the signature), and can answer slowly, with
any status, or with a redirect.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.integration.rest.translate import event_subjects


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class Listener:
    status: int = 201
    delay: float = 0.0
    location: str | None = None  # answer 307 to here
    received: list[Received] = field(default_factory=list)
    answered: int = 0  # requests answered (after the delay)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    port: int = 0

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/listener"

    async def _receive(self, request: web.Request) -> web.Response:
        self.received.append(Received(dict(request.headers), await request.read()))
        self.arrived.set()
        await asyncio.sleep(self.delay)
        self.answered += 1
        if self.location:
            return web.Response(status=307, headers={"Location": self.location})
        return web.Response(status=self.status)

    async def start(self) -> Listener:
        app = web.Application()
        app.router.add_post("/listener", self._receive)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def events_for(self, order_id: str) -> list[dict[str, Any]]:
        """The events about the order: the order's own, and its cancel tasks' (which name it)."""
        return [r.event for r in self.received if order_id in event_subjects(r.event)]

    async def wait_for(self, count: int, within: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(self.received) < count and loop.time() < deadline:
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), deadline - loop.time())
