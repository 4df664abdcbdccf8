"""``ordergate serve`` with two worker processes: both answer, a killed one is replaced, SIGTERM stops all."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import aiohttp
import pytest

from adapters.identity import LOCAL_ADMIN
from adapters.sql.migrate import MIGRATIONS as MIGRATIONS_DIR
from core.domain.query import OrderQuery
from core.usecases import OrderManagement
from tests.amqp_broker import Requester, send_all
from tests.amqp_gateway import served_schema, wait_ready
from tests.integration.amqp.test_process_kill import forget_leases, free_port, fresh_gateway, serve, stop

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres]

MIGRATIONS = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("0*.py"))


def workers_of(supervisor: subprocess.Popen[bytes]) -> set[int]:
    found = subprocess.run(["pgrep", "-P", str(supervisor.pid)], capture_output=True, text=True)
    return {int(pid) for pid in found.stdout.split()}


def alive(pid: int) -> bool:
    """Running: a process that exited but is not reaped yet (a zombie) is not."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


async def until(condition, seconds: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def answer_all(requester: Requester, count: int) -> list[str]:
    keys = await send_all(requester, count)
    for key in keys:
        await requester.wait(key, seconds=60)
    return keys


@pytest.mark.parametrize("sql_store", ["postgres"], indirect=True)
async def test_two_workers_share_the_queue_and_the_port_and_a_dead_one_is_replaced(
    sql_store, amqp_url, tmp_path
):
    env, http_url, log = await fresh_gateway(sql_store, amqp_url, tmp_path, ORDERGATE_WORKERS="2")
    supervisor = serve(env, log)
    requester = None
    try:
        await wait_ready(http_url, seconds=60)
        await until(lambda: log.read_text().count("answering requests on ordergate.requests") == 2)
        first = workers_of(supervisor)
        assert len(first) == 2
        requester = await Requester(amqp_url, await served_schema(http_url)).open()
        keys = await answer_all(requester, 200)

        os.kill(min(first), signal.SIGKILL)
        await until(lambda: len(workers_of(supervisor)) == 2 and workers_of(supervisor) != first)
        await until(lambda: log.read_text().count("answering requests on ordergate.requests") == 3)
        keys += await answer_all(requester, 100)
        async with aiohttp.ClientSession() as http:  # both workers answer HTTP on the one port
            for _ in range(10):
                async with http.get(f"{http_url}/healthz") as response:
                    assert response.status == 200

        await asyncio.sleep(1.0)  # room for a late duplicate
        assert [len(requester.replies[k]) for k in keys] == [1] * len(keys), "exactly one reply per request"
        total = (await OrderManagement(sql_store).query_orders(LOCAL_ADMIN, OrderQuery(limit=0))).total
        assert total == len(keys)

        workers = workers_of(supervisor)
        supervisor.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(supervisor.wait, 40) == 0
        assert not any(alive(pid) for pid in workers), "a worker outlived the supervisor"
    finally:
        if requester is not None:
            await requester.close()
        await stop(supervisor)
        await forget_leases(sql_store)


def test_serve_refuses_a_worker_count_below_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERGATE_")}
    env |= {"ORDERGATE_WORKERS": "0", "ORDERGATE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"}
    done = subprocess.run(
        [sys.executable, "-m", "ordergate.cli", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert b"ORDERGATE_WORKERS must be at least 1" in done.stderr


def serve_with(args: list[str], env: dict[str, str], log) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ordergate.cli", "serve", *args],
            env=env,
            cwd=log.parent,
            stdout=out,
            stderr=out,
        )


async def test_workers_asked_for_on_the_command_line_share_the_port_and_end_with_their_supervisor(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERGATE_")}
    log = tmp_path / "gateway.log"
    supervisor = serve_with(["--workers", "2", "--port", str(port)], env, log)
    try:
        await wait_ready(f"http://127.0.0.1:{port}", seconds=60)
        # the supervisor migrated once: each migration ran one time
        await until(lambda: log.read_text().count("Running upgrade") == len(MIGRATIONS))
        await asyncio.sleep(3.0)  # a worker that could not bind would have exited by now
        workers = workers_of(supervisor)
        assert len(workers) == 2, log.read_text()
        assert "exited with" not in log.read_text()
        assert log.read_text().count("Running upgrade") == len(MIGRATIONS), "a worker migrated too"
        supervisor.kill()  # no chance to stop them: the kernel tells the workers
        await asyncio.to_thread(supervisor.wait, 10)
        await until(lambda: not any(alive(pid) for pid in workers), seconds=30)
    finally:
        await stop(supervisor)
