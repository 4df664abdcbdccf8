"""``serve --workers 2`` under load: a worker killed (SIGKILL) comes back and no acknowledged request
is lost; a reload (SIGHUP) replaces every worker without failing a request."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from bench.rest import service_order
from tests.amqp_broker import Requester, broker_url, send_all
from tests.amqp_gateway import served_schema, throwaway_vhost
from tests.integration.amqp.test_process_kill import free_port
from tests.integration.amqp.test_workers import until, workers_of
from tests.integration.startup.process import Served

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]

ORDERS = "/tmf-api/serviceOrdering/v4/serviceOrder"
CLIENTS = 4  # HTTP requests in flight at once
AMQP_REQUESTS = 200


@dataclass
class Load:
    """HTTP creates, a new connection each (so every one goes through the accept queue)."""

    url: str
    created: int = 0
    failed: list[str] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as http:
            await asyncio.gather(*(self._client(http, i) for i in range(CLIENTS)))

    async def _client(self, http: aiohttp.ClientSession, i: int) -> None:
        while not self.stop.is_set():
            try:
                async with http.post(self.url + ORDERS, json=service_order(i)) as response:
                    await response.read()
                    if response.status == 201:
                        self.created += 1
                    else:
                        self.failed.append(f"HTTP {response.status}")
            except aiohttp.ClientError as e:
                self.failed.append(type(e).__name__)


async def orders_in(database: str) -> int:
    conn = await asyncpg.connect(database.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM orders"))
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def two_workers(database: str, amqp_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    port = free_port()
    settings = {"ORDERGATE_DATABASE_URL": database, "ORDERGATE_AMQP_URL": amqp_url}
    served = Served(tmp_path, ORDERGATE_PORT=str(port), ORDERGATE_WORKERS="2", **settings)
    try:
        await until(lambda: served.text().count("answering requests on ordergate.requests") == 2, 120)
        yield served, f"http://127.0.0.1:{port}"
    finally:
        assert await served.stop() == 0, served.text()


async def under_load(served: Served, url: str, amqp_url: str, event) -> tuple[Load, Requester, list[str]]:  # type: ignore[no-untyped-def]
    """Load running, AMQP requests sent, then ``event``; the load stops once two workers serve again."""
    load = Load(url)
    running = asyncio.create_task(load.run())
    requester = await Requester(amqp_url, await served_schema(url)).open()
    keys = await send_all(requester, AMQP_REQUESTS)
    await until(lambda: load.created >= 20)
    await event()
    await asyncio.sleep(2.0)  # load on the new workers too
    load.stop.set()
    await running
    for key in keys:
        await requester.wait(key, seconds=120)
    await asyncio.sleep(1.0)  # room for a late duplicate
    return load, requester, keys


async def test_a_killed_worker_comes_back_and_no_acknowledged_request_is_lost(ops_database, tmp_path):
    with throwaway_vhost() as vhost:
        amqp_url = broker_url("guest", "guest", vhost)
        async with two_workers(ops_database, amqp_url, tmp_path) as (served, url):
            before = workers_of(served.process)
            assert len(before) == 2

            async def kill() -> None:
                os.kill(min(before), signal.SIGKILL)
                await until(
                    lambda: len(workers_of(served.process)) == 2 and workers_of(served.process) != before
                )

            initial = await orders_in(ops_database)
            load, requester, keys = await under_load(served, url, amqp_url, kill)
            await requester.close()
            assert [len(requester.replies[k]) for k in keys] == [1] * len(keys), "one reply per request"
            # a request in flight on the killed worker may fail: it was never acknowledged (it may
            # have been committed though, its answer lost with the worker)
            assert len(load.failed) <= CLIENTS, load.failed
            stored = await orders_in(ops_database) - initial
            assert load.created + len(keys) <= stored <= load.created + len(keys) + len(load.failed)


async def test_a_reload_replaces_every_worker_without_failing_a_request(ops_database, tmp_path):
    with throwaway_vhost() as vhost:
        amqp_url = broker_url("guest", "guest", vhost)
        async with two_workers(ops_database, amqp_url, tmp_path) as (served, url):
            before = workers_of(served.process)

            async def reload() -> None:
                served.process.send_signal(signal.SIGHUP)
                await until(
                    lambda: len(workers_of(served.process)) == 2 and not workers_of(served.process) & before,
                    120,
                )

            initial = await orders_in(ops_database)
            load, requester, keys = await under_load(served, url, amqp_url, reload)
            await requester.close()
            assert load.failed == []
            assert [len(requester.replies[k]) for k in keys] == [1] * len(keys), "one reply per request"
            assert await orders_in(ops_database) - initial == load.created + len(keys)
            assert served.text().count("answering requests on ordergate.requests") == 4
