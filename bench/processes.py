"""``ordergate bench processes``: ``serve --workers 2`` under load while a worker is killed, stalled or
the whole host reloaded -- what failed, how soon the workers were back, and whether anything that
was acknowledged was lost.

Each run starts ``ordergate serve`` with two workers on a fresh PostgreSQL
database and a vhost of its own, keeps ``--clients`` HTTP clients creating
orders (a new connection each, so every create goes through the accept
queue; a client gives up after 5 s), publishes ``--amqp-requests`` AMQP
creates, then:

* ``kill``: SIGKILL to one worker;
* ``stall``: SIGSTOP to one worker for 12 s (its event loop stops), then SIGCONT;
* ``reload``: SIGHUP to ``serve``;
* ``restart``: SIGTERM to ``serve`` and a new one started (what a host without a reload does).

``--code DIR`` runs ``serve`` from another checkout (``git archive REV | tar
-x -C DIR``), so two versions compare under the same load: that is how
``docs/architecture.md`` compares gunicorn with the supervisor it replaced.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aio_pika
import aiohttp
import asyncpg

from bench.amqp import request_body
from bench.curve import _free_port, _vhost
from bench.rest import service_order
from bench.scratch import DEFAULT_PG_SERVER, asyncpg_dsn, scratch_postgres

EVENTS = ("kill", "stall", "reload", "restart")
ORDERS = "/tmf-api/serviceOrdering/v4/serviceOrder"
STALL_SECONDS = 12.0


@dataclass
class Run:
    event: str
    http_created: int = 0
    http_failed: int = 0
    errors: list[str] = field(default_factory=list)
    workers_back_seconds: float = 0.0
    amqp_sent: int = 0
    amqp_answered_once: int = 0
    stored: int = 0  # orders in the database: at least every acknowledged create


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="ordergate bench processes", description=__doc__.split("\n\n")[0])
    p.add_argument("--events", default="kill,stall,reload", help=f"comma-separated: {', '.join(EVENTS)}")
    p.add_argument("--runs", type=int, default=1, help="runs of each event (default 1)")
    p.add_argument("--clients", type=int, default=8, help="HTTP clients creating orders (default 8)")
    p.add_argument("--amqp-requests", type=int, default=300, help="AMQP creates published (default 300)")
    p.add_argument("--code", type=Path, help="run serve from this checkout instead")
    p.add_argument("--pg-url", default=DEFAULT_PG_SERVER, help="PostgreSQL server to create the database on")
    p.add_argument(
        "--amqp-url", default="amqp://guest:guest@127.0.0.1/", help="the broker (its vhost is ignored)"
    )
    p.add_argument("--json", type=Path, help="write the runs here")
    args = p.parse_args(argv)
    args.events = [e.strip() for e in args.events.split(",") if e.strip()]
    if not set(args.events) <= set(EVENTS) or min(args.runs, args.clients, args.amqp_requests) < 1:
        p.error(f"--events among {', '.join(EVENTS)}; --runs, --clients, --amqp-requests at least 1")
    return args


def children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (its workers), from /proc."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError):
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid and fields[0] != "Z":
                    found.add(int(entry))
    return found


class Gateway:
    """``ordergate serve --workers 2``, started (and started again) with one environment."""

    def __init__(self, database: str, amqp: str, code: Path | None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ORDERGATE_", "PROMETHEUS_"))}
        env |= {"ORDERGATE_DATABASE_URL": database, "ORDERGATE_AMQP_URL": amqp, "ORDERGATE_WORKERS": "2"}
        env |= {"ORDERGATE_PORT": str(self.port), "ORDERGATE_LOG_LEVEL": "warning"}
        if code is not None:  # first on the path: the checkout's package, not the installed one
            env["PYTHONPATH"] = str(code.resolve())
        self._env, self._cwd = env, str(code.resolve()) if code is not None else None
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ordergate.cli",
            "serve",
            env=self._env,
            cwd=self._cwd,  # python -m puts the working directory first on the path
            stdout=asyncio.subprocess.DEVNULL,
        )

    @property
    def workers(self) -> set[int]:
        return children(self.process.pid) if self.process is not None else set()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), 90)


async def until(condition, seconds: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        await asyncio.sleep(0.1)


async def ready(gateway: Gateway) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(gateway.url + "/readyz") as response:
                    if response.status == 200 and len(gateway.workers) == 2:
                        await asyncio.sleep(2.0)  # both consume and serve
                        return
            await asyncio.sleep(0.2)
    raise RuntimeError("the gateway never became ready")


async def http_load(url: str, clients: int, run: Run, stop: asyncio.Event) -> None:
    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(force_close=True), timeout=timeout
    ) as http:

        async def client(i: int) -> None:
            while not stop.is_set():
                try:
                    async with http.post(url + ORDERS, json=service_order(i)) as response:
                        await response.read()
                        ok = response.status == 201
                        run.http_created += ok
                        if not ok:
                            run.errors.append(f"HTTP {response.status}")
                except (aiohttp.ClientError, TimeoutError) as error:
                    run.errors.append(type(error).__name__)
                run.http_failed = len(run.errors)

        await asyncio.gather(*(client(i) for i in range(clients)))


@contextlib.asynccontextmanager
async def amqp_requests(url: str, count: int) -> AsyncIterator[Counter[str]]:
    """``count`` creates published at once; the replies counted by request as they come."""
    replies: Counter[str] = Counter()
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True)

        async def replied(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            replies[message.correlation_id or ""] += 1

        await queue.consume(replied, no_ack=True)
        for i in range(count):
            message = aio_pika.Message(
                request_body(i), message_id=uuid.uuid4().hex, reply_to=queue.name, delivery_mode=2
            )
            await channel.default_exchange.publish(message, "ordergate.requests")
        yield replies
    finally:
        await connection.close()


async def event(gateway: Gateway, name: str) -> float:
    """Does ``name`` to the gateway; seconds until two workers serve again (none of the old ones
    after a reload or restart)."""
    before, started = gateway.workers, time.monotonic()
    assert gateway.process is not None
    if name == "kill":
        os.kill(min(before), signal.SIGKILL)
    elif name == "stall":
        os.kill(min(before), signal.SIGSTOP)
        await asyncio.sleep(STALL_SECONDS)
        os.kill(min(before), signal.SIGCONT)
        return 0.0
    elif name == "reload":
        gateway.process.send_signal(signal.SIGHUP)
    else:
        await gateway.stop()
        await gateway.start()
    fresh = (lambda now: now != before) if name == "kill" else (lambda now: not now & before)
    await until(lambda: len(gateway.workers) == 2 and fresh(gateway.workers))
    return time.monotonic() - started


async def one_run(args: argparse.Namespace, name: str, amqp: str) -> Run:
    run = Run(name, amqp_sent=args.amqp_requests)
    async with scratch_postgres(args.pg_url, "processes") as database:
        gateway = Gateway(database, amqp, args.code)
        await gateway.start()
        try:
            await ready(gateway)
            stop = asyncio.Event()
            load = asyncio.create_task(http_load(gateway.url, args.clients, run, stop))
            async with amqp_requests(amqp, args.amqp_requests) as replies:
                await asyncio.sleep(2.0)
                run.workers_back_seconds = round(await event(gateway, name), 2)
                await asyncio.sleep(4.0)
                stop.set()
                await load
                await until(lambda: len(replies) >= args.amqp_requests, 180)
                await asyncio.sleep(1.0)  # room for a duplicate
                run.amqp_answered_once = sum(1 for n in replies.values() if n == 1)
        finally:
            await gateway.stop()
        conn = await asyncpg.connect(asyncpg_dsn(database))
        try:
            run.stored = int(await conn.fetchval("SELECT count(*) FROM orders"))
        finally:
            await conn.close()
    return run


async def runs(args: argparse.Namespace) -> list[Run]:
    done = []
    with _vhost(args.amqp_url) as amqp:
        if amqp is None:
            raise SystemExit("ordergate bench processes: rabbitmqctl is needed for a vhost of its own")
        for name in args.events:
            for _ in range(args.runs):
                await _empty_queues(amqp)
                run = await one_run(args, name, amqp)
                print(line(run), flush=True)
                done.append(run)
    return done


async def _empty_queues(amqp: str) -> None:
    """A run's requests left unanswered must not reach the next run's gateway."""
    connection = await aio_pika.connect(amqp)
    try:
        for queue in ("ordergate.requests", "ordergate.requests.dlq"):
            with contextlib.suppress(aio_pika.exceptions.AMQPError):
                channel = await connection.channel()  # a failed delete closes its channel
                await channel.queue_delete(queue)
    finally:
        await connection.close()


def line(run: Run) -> str:
    errors = ",".join(sorted(set(run.errors))) or "-"
    lost = "none" if run.stored >= run.http_created + run.amqp_answered_once else "SOME"
    return (
        f"{run.event:<8} {run.http_created:>8} {run.http_failed:>7} {run.workers_back_seconds:>8.2f} "
        f"{run.amqp_answered_once:>5}/{run.amqp_sent:<5} {lost:>5}  {errors}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    print(
        f"ordergate bench processes: 2 workers, {args.clients} HTTP clients, {args.amqp_requests} AMQP creates"
    )
    print("event    created  failed  back s  AMQP once    lost  HTTP errors")
    done = asyncio.run(runs(args))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in done], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
