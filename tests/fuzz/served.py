"""The real gateway for the fuzzers, and the order book a refused request must leave as it was.

``ThreadedGateway`` serves the whole application (every profile, the relay,
the hub dispatcher) on a loopback port from a thread of its own, with its
own event loop: schemathesis sends its requests with blocking calls.  What
the gateway would change by itself meanwhile is kept out of the way: the
jeopardy watch runs once a day.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from aiohttp import web

from adapters.sql import SqlaOrderStore
from adapters.sql import tables as t
from ordergate.bootstrap import GATEWAY, build_app
from ordergate.settings import GatewaySettings
from tests.integration.rest.gateway import free_socket

T = TypeVar("T")


@dataclass(frozen=True)
class Book:
    """What a request could change: every order with its version, every hub subscription."""

    orders: dict[str, int]
    subscriptions: frozenset[str]

    def changes_since(self, before: Book) -> list[str]:
        """What differs from ``before``, in words (empty: nothing)."""
        found = []
        for order_id in sorted(before.orders.keys() | self.orders.keys()):
            was, now = before.orders.get(order_id), self.orders.get(order_id)
            if was != now:
                found.append(f"order {order_id!r}: version {was} -> {now}")
        if before.subscriptions != self.subscriptions:
            added = sorted(self.subscriptions - before.subscriptions)
            removed = sorted(before.subscriptions - self.subscriptions)
            found.append(f"hub subscriptions added {added}, removed {removed}")
        return found


async def read_book(store: SqlaOrderStore) -> Book:
    async with store.engine.connect() as conn:
        orders = (await conn.execute(sa.select(t.orders.c.id, t.orders.c.version))).all()
        subscriptions = (await conn.execute(sa.select(t.hub_subscriptions.c.id))).scalars().all()
    return Book({row.id: row.version for row in orders}, frozenset(subscriptions))


def quiet_settings(database_url: str, **settings: Any) -> GatewaySettings:
    """The gateway's settings for fuzzing: nothing changes an order but the requests sent."""
    return GatewaySettings(database_url=database_url, jeopardy_interval_seconds=86400, **settings)


class ThreadedGateway:
    """The real application on a loopback port, in a thread of its own."""

    def __init__(self, database_url: str, **settings: Any) -> None:
        self._database_url = database_url
        self._settings = settings
        self._loop = asyncio.new_event_loop()
        self._ready: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._serve, name="fuzzed-gateway", daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            sock = free_socket()
            settings = quiet_settings(self._database_url, port=sock.getsockname()[1], **self._settings)
            self._runner = web.AppRunner(build_app(settings))
            self._loop.run_until_complete(self._runner.setup())
            self._loop.run_until_complete(web.SockSite(self._runner, sock).start())
            self._ready.put(f"http://127.0.0.1:{sock.getsockname()[1]}")
        except Exception as e:  # surface start-up failures in the test, not in a dead thread
            self._ready.put(e)
            return
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        sock.close()
        self._loop.close()

    def __enter__(self) -> ThreadedGateway:
        self._thread.start()
        ready = self._ready.get(timeout=60)
        if isinstance(ready, Exception):
            raise ready
        self.url = str(ready)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)

    def run(self, work: Coroutine[Any, Any, T], seconds: float = 30.0) -> T:
        """Run a coroutine on the gateway's loop (its store lives there) and wait for it."""
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(seconds)

    def book(self) -> Book:
        assert self._runner is not None
        return self.run(read_book(self._runner.app[GATEWAY].store))
