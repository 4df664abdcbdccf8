"""A gateway process killed (SIGKILL) mid-stream and started again: every request answered once."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.identity import LOCAL_ADMIN
from adapters.sql import SqlaOrderStore
from adapters.sql import tables as t
from core.domain.query import OrderQuery
from core.usecases import OrderManagement
from tests.amqp_broker import Requester, reset_broker, send_all
from tests.amqp_gateway import served_schema, wait_ready

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gateway_env(database_url: str, amqp_url: str, port: int, **settings: str) -> dict[str, str]:
    """The environment of an ``ordergate serve`` on loopback ``port``: none of the caller's
    ORDERGATE_ settings, these instead (``settings``: more, e.g. ORDERGATE_WORKERS)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERGATE_")}
    return env | {
        "ORDERGATE_DATABASE_URL": database_url,
        "ORDERGATE_AMQP_URL": amqp_url,
        "ORDERGATE_HOST": "127.0.0.1",
        "ORDERGATE_PORT": str(port),
        **settings,
    }


async def fresh_gateway(
    sql_store: SqlaOrderStore, amqp_url: str, tmp_path: Path, **settings: str
) -> tuple[dict[str, str], str, Path]:
    """An empty broker, and the environment, URL and log file of a gateway still to ``serve``."""
    await reset_broker(amqp_url)
    port = free_port()
    return (
        gateway_env(sql_store.url, amqp_url, port, **settings),
        f"http://127.0.0.1:{port}",
        tmp_path / "gateway.log",
    )


def serve(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ordergate.cli", "serve"], env=env, cwd=log.parent, stdout=out, stderr=out
        )


async def forget_leases(store: SqlaOrderStore) -> None:
    """Leases a killed process held (relay, hub dispatcher) would stay taken until they expire,
    in a database later tests share: a test that kills a gateway hands them back."""
    async with store.engine.begin() as conn:
        await conn.execute(t.leases.delete())


async def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 20)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)


@pytest.mark.parametrize("sql_store", ["postgres"], indirect=True)
async def test_a_gateway_killed_mid_stream_answers_every_request_once_after_restart(
    sql_store, amqp_url, tmp_path
):
    env, http_url, log = await fresh_gateway(sql_store, amqp_url, tmp_path, ORDERGATE_AMQP_CONCURRENCY="8")
    processes = [serve(env, log)]
    requester = None
    try:
        await wait_ready(http_url, seconds=60)
        requester = await Requester(amqp_url, await served_schema(http_url)).open()
        count = 300
        keys = await send_all(requester, count)
        await requester.answered(40)
        processes[0].send_signal(signal.SIGKILL)
        await asyncio.to_thread(processes[0].wait)
        answered_before = sum(1 for k in keys if requester.replies[k])
        assert answered_before < count, "the kill came mid-stream"

        processes.append(serve(env, log))
        for key in keys:
            await requester.wait(key, seconds=90)
        await asyncio.sleep(1.0)  # room for any late duplicate to show up
        assert [len(requester.replies[k]) for k in keys] == [1] * count, "exactly one reply per request"
        order_ids = {requester.replies[k][0].text("om:serviceOrderValue/om:key/om:primaryKey") for k in keys}
        assert len(order_ids) == count
        total = (await OrderManagement(sql_store).query_orders(LOCAL_ADMIN, OrderQuery(limit=0))).total
        assert total == count, "no request was executed twice"
    finally:
        if requester is not None:
            await requester.close()
        for process in processes:
            await stop(process)
        await forget_leases(sql_store)
