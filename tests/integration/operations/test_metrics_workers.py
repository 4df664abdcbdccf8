"""Under ``--workers`` a scrape of any worker gives the host's figures: two workers' counts add up,
and a killed worker's live gauges stop counting while its counters stay."""

from __future__ import annotations

import asyncio
import os
import signal

import aiohttp
import pytest

from bench.rest import service_order
from tests.integration.amqp.test_process_kill import free_port
from tests.integration.amqp.test_workers import until, workers_of
from tests.integration.operations.scrape import scrape
from tests.integration.startup.process import Served

pytestmark = [pytest.mark.postgres]

ORDERS = "/tmf-api/serviceOrdering/v4/serviceOrder"
CREATES = 30
POOL = 20  # each worker's asyncpg pool (the store's default)


async def create_orders(url: str, count: int) -> None:
    for i in range(count):
        # a connection each: the kernel spreads them over the workers
        async with aiohttp.ClientSession() as http, http.post(url + ORDERS, json=service_order(i)) as r:
            assert r.status == 201, await r.text()


async def test_two_workers_counts_add_up_and_a_dead_workers_gauges_go(ops_database, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    served = Served(
        tmp_path, ORDERGATE_DATABASE_URL=ops_database, ORDERGATE_PORT=str(port), ORDERGATE_WORKERS="2"
    )
    try:
        await served.wait_for("worker 2 of 2")
        await served.wait_for("worker 1 of 2")
        await create_orders(url, CREATES)
        log = served.text()
        assert "[worker 1, request" in log, "both workers served"
        assert "[worker 2, request" in log, "both workers served"
        for _ in range(4):  # whichever worker answers, the figures are the host's
            found = await scrape(url)
            assert (
                found.value("ordergate_requests_total", profile="rest", operation=f"POST {ORDERS}") == CREATES
            )
            assert found.value("ordergate_orders", kind="serviceOrder") == CREATES
        assert found.value("ordergate_database_connections_max", pool="asyncpg") == 2 * POOL

        first = workers_of(served.process)
        os.kill(min(first), signal.SIGKILL)
        await until(lambda: len(workers_of(served.process)) == 2 and workers_of(served.process) != first)
        await until(lambda: served.text().count(" serving (worker ") == 3)
        await asyncio.sleep(3.0)  # the new worker has sampled itself by now
        for _ in range(4):
            found = await scrape(url)
            pools = found.value("ordergate_database_connections_max", pool="asyncpg")
            assert pools == 2 * POOL, "the dead worker's pool must not count"
            counted = (await scrape(url)).value("ordergate_requests_total", operation=f"POST {ORDERS}")
            assert counted == CREATES, "a replaced worker's counts stay in the host's totals"
    finally:
        assert await served.stop() == 0, served.text()
