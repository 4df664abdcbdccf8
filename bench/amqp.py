"""``ordergate bench amqp``: createOrderByValueRequest through RabbitMQ against PostgreSQL.

A load client keeps a fixed number of requests in flight (default 64): each
worker publishes a persistent ``createOrderByValueRequest`` to a durable
request queue and waits for its reply.  In the same run the same messages go
to two baselines on the same broker: the raw durable responder
(``bench.amqp_raw``: aio-pika and asyncpg by hand, the order and its event
row in one transaction, reply and ack after the commit, the event published
with a confirm), which does the durable work the gateway must and nothing
else -- the target compares with it -- and a raw aio-pika echo responder
(durable queue, persistent messages, manual acks), the least any responder
does, whose ratio is printed as a second line.  Client and responders run as
separate processes; one responder runs at a time, and they take ``--slices``
turns, each warmed up first, so a burst of load from a neighbour on a shared
machine falls on both alike.  ``--processes N`` runs N processes of each
responder on its queue (competing consumers, as several gateway processes on
one database and broker are deployed): both sides get the same number.  The database and the queues are created for the run
(under names of its own, beside any gateway on the broker) and removed at its end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator

import aio_pika
import asyncpg
from aio_pika.abc import AbstractIncomingMessage

from adapters.amqp import AmqpSettings
from bench.cpu import CpuMeter, pids_named
from bench.measure import PEAKS, Figures, Operation, Runner, machine_line, slice_sizes, table, verdict
from bench.scratch import DEFAULT_PG_SERVER, asyncpg_dsn, scratch_postgres

TARGET = 0.60  # of the raw durable baseline
GATEWAY = AmqpSettings(url="")  # the profile's defaults
NS = "urn:ordergate:xml:om:v1"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="ordergate bench amqp", description=__doc__.split("\n\n")[0])
    p.add_argument("--orders", type=int, default=2000, help="measured requests per responder (default 2000)")
    p.add_argument("--slices", type=int, default=4, help="turns the responders take (default 4)")
    p.add_argument("--concurrency", type=int, default=64, help="requests in flight (default 64)")
    p.add_argument("--amqp-url", default="amqp://guest:guest@127.0.0.1/", help="the broker")
    p.add_argument("--pg-url", default=DEFAULT_PG_SERVER, help="PostgreSQL server to create the database on")
    p.add_argument("--prefetch", type=int, default=32, help="echo responder's prefetch (default 32)")
    p.add_argument(
        "--gateway-prefetch",
        type=int,
        default=GATEWAY.prefetch,
        help=f"gateway's prefetch (default {GATEWAY.prefetch}, as deployed)",
    )
    p.add_argument(
        "--gateway-concurrency",
        type=int,
        default=GATEWAY.concurrency,
        help=f"gateway's concurrency (default {GATEWAY.concurrency}, as deployed)",
    )
    p.add_argument(
        "--pool", type=int, default=20, help="gateway's and raw baseline's database pool (default 20)"
    )
    p.add_argument(
        "--loop", choices=["asyncio", "uvloop"], default="asyncio", help="the responders' event loop"
    )
    p.add_argument(
        "--without-relay",
        action="store_true",
        help="diagnosis: the gateway runs no outbox relay (its events stay in the outbox), "
        "to show what publishing them costs; no verdict on the target",
    )
    p.add_argument(
        "--processes",
        type=int,
        default=1,
        help="processes of each responder, echo and gateway alike (default 1)",
    )
    args = p.parse_args(argv)
    if (
        min(
            args.orders,
            args.slices,
            args.concurrency,
            args.prefetch,
            args.gateway_prefetch,
            args.gateway_concurrency,
            args.processes,
        )
        < 1
    ):
        p.error("counts, slices, concurrency, prefetch and processes must be at least 1")
    return args


def request_body(i: int) -> bytes:
    """The benchmark's order (two items, the second depending on the first), as XML."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><createOrderByValueRequest xmlns="{NS}">'
        f"<serviceOrderValue><externalId>bench-{i}</externalId><priority>3</priority>"
        "<description>Fibre access with a managed router</description>"
        "<relatedParties><relatedParty><id>cust-42</id><role>customer</role><name>Acme Ltd</name>"
        "</relatedParty></relatedParties><items>"
        "<item><id>1</id><action>add</action><entity><specification><id>fibre-access</id>"
        "<name>Fibre access</name></specification><characteristic><name>bandwidth</name><value>1G</value>"
        "</characteristic><characteristic><name>vlan</name><value>100</value></characteristic></entity></item>"
        "<item><id>2</id><action>add</action><entity><specification><id>managed-router</id>"
        "<name>Managed router</name></specification><characteristic><name>model</name><value>X200</value>"
        "</characteristic></entity><relationship><type>dependsOn</type><itemId>1</itemId></relationship>"
        "</item></items></serviceOrderValue></createOrderByValueRequest>"
    ).encode()


class LoadClient:
    """Publishes requests and matches replies to them by correlation id."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._waiting: dict[str, asyncio.Future[AbstractIncomingMessage]] = {}

    async def open(self) -> LoadClient:
        self._connection = await aio_pika.connect(self._url)
        self._channel = await self._connection.channel(publisher_confirms=False)
        self._replies = await self._channel.declare_queue(exclusive=True)
        await self._replies.consume(self._on_reply, no_ack=True)
        return self

    async def close(self) -> None:
        await self._connection.close()

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        waiting = self._waiting.pop(message.correlation_id or "", None)
        if waiting is not None and not waiting.done():
            waiting.set_result(message)

    async def request(self, queue: str, body: bytes) -> AbstractIncomingMessage:
        message_id = uuid.uuid4().hex
        reply = self._waiting[message_id] = asyncio.get_running_loop().create_future()
        message = aio_pika.Message(
            body,
            message_id=message_id,
            reply_to=self._replies.name,
            content_type="application/xml",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        await self._channel.default_exchange.publish(message, queue)
        return await asyncio.wait_for(reply, 60)

    async def delete(self, queues: list[str], exchange: str) -> None:
        for queue in queues:
            await self._channel.queue_delete(queue)
        await self._channel.exchange_delete(exchange)


@contextlib.asynccontextmanager
async def responders(count: int, role: str, *options: str) -> AsyncIterator[list[int]]:
    """``count`` processes of one responder on its queue, all ready to consume (their pids);
    stopped on exit."""
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(responder(role, *options)) for _ in range(count)]


@contextlib.asynccontextmanager
async def responder(role: str, *options: str) -> AsyncIterator[int]:
    """A responder process (``bench.amqp_responders``), ready to consume (its pid); stopped on exit."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.amqp_responders", role, *options,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        if line.strip() != b"ready":
            raise RuntimeError(f"the {role} responder did not start (exit {await process.wait()})")
        yield process.pid
    finally:
        PEAKS.note(f"{role} responder", process.pid)
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


class Requests:
    """The two operations measured: one request to the echo responder, one to the gateway."""

    def __init__(self, client: LoadClient, echoes: str, requests: str, raws: str) -> None:
        self.client = client
        self.echoes, self.requests, self.raws = echoes, requests, raws
        self.sent_to_gateway = 0
        self.sent_to_raw = 0
        self.reply_bytes = 0

    async def echo(self, i: int) -> None:
        body = request_body(i)
        if (await self.client.request(self.echoes, body)).body != body:
            raise RuntimeError("the echo responder answered something else")

    async def raw(self, i: int) -> None:
        self.sent_to_raw += 1
        reply = await self.client.request(self.raws, request_body(i))
        if (reply.headers or {}).get("OSS_MESSAGE_TYPE") != "RESPONSE":
            raise RuntimeError(f"the raw responder answered {reply.body[:300]!r}")

    async def create(self, i: int) -> None:
        self.sent_to_gateway += 1
        reply = await self.client.request(self.requests, request_body(i))
        kind = (reply.headers or {}).get("OSS_MESSAGE_TYPE")
        if kind != "RESPONSE":
            raise RuntimeError(f"the gateway answered {kind}: {reply.body[:300]!r}")
        self.reply_bytes = len(reply.body)


async def _orders_in(database: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(database))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM orders"))
    finally:
        await conn.close()


SHARED = {"broker": ("beam.smp",), "database": ("postgres",)}  # server processes by command name


async def _measured(
    runner: Runner, figures: Figures, operation: Operation, size: int, meter: CpuMeter, responders: list[int]
) -> None:
    """One slice, with the CPU the responders, the broker and the database spend on it."""
    groups = {"responder": responders, **{k: pids_named(*names) for k, names in SHARED.items()}}
    meter.start({**groups, "load client": [os.getpid()]})
    await runner.add_slice(figures, operation, size)
    meter.stop()


async def run(args: argparse.Namespace) -> tuple[list[Figures], Requests, dict[str, CpuMeter]]:
    """The responders take turns, one at a time, each warmed up before its measured slice."""
    tag = f"ordergate.bench-{uuid.uuid4().hex[:8]}"
    client = await LoadClient(args.amqp_url).open()
    ops = Requests(client, f"{tag}.echo", f"{tag}.requests", f"{tag}.raw")
    runner = Runner(args.orders, args.concurrency)
    echo = Figures("rabbitmq", "raw aio-pika echo", 0, 0.0)
    raw = Figures("postgres", "raw durable (by hand)", 0, 0.0)
    created = Figures("postgres", "createOrderByValue", 0, 0.0, baseline=raw)
    common = ("--amqp-url", args.amqp_url, "--loop", args.loop)
    echo_options = (*common, "--prefetch", str(args.prefetch), "--queue", ops.echoes)
    meters = {"echo": CpuMeter(), "raw": CpuMeter(), "gateway": CpuMeter()}
    try:
        async with scratch_postgres(args.pg_url, "amqp") as database:
            raw_options = (
                *common, "--queue", ops.raws, "--exchange", f"{tag}.raw-events", "--database-url", database,
                "--prefetch", str(args.gateway_prefetch), "--pool", str(args.pool),
            )  # fmt: skip
            gateway = (
                *common, "--queue", ops.requests, "--exchange", f"{tag}.events", "--database-url", database,
                "--prefetch", str(args.gateway_prefetch), "--concurrency", str(args.gateway_concurrency),
                "--pool", str(args.pool), *(["--without-relay"] if args.without_relay else []),
            )  # fmt: skip
            turns = [
                ("echo", echo_options, ops.echo, echo),
                ("raw", raw_options, ops.raw, raw),
                ("gateway", gateway, ops.create, created),
            ]
            for size in slice_sizes(args.orders, args.slices):
                for role, options, operation, figures in turns:
                    async with responders(args.processes, role, *options) as pids:
                        await runner.warm(operation, size)
                        await _measured(runner, figures, operation, size, meters[role], pids)
            stored = await _orders_in(database)
            if stored != ops.sent_to_gateway + ops.sent_to_raw:
                raise RuntimeError(
                    f"{stored} orders stored for {ops.sent_to_gateway + ops.sent_to_raw} requests"
                )
    finally:
        with contextlib.suppress(Exception):
            await client.delete([ops.requests, f"{ops.requests}.dlq", ops.echoes, ops.raws], f"{tag}.events")
            await client.delete([], f"{tag}.raw-events")
        await client.close()
    return [echo, raw, created], ops, meters


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    rows, ops, meters = asyncio.run(run(args))
    print(
        f"ordergate bench amqp: concurrency {args.concurrency}, echo prefetch {args.prefetch}, "
        f"gateway prefetch {args.gateway_prefetch} and concurrency {args.gateway_concurrency}, pool {args.pool}, "
        f"{args.processes} process{'es' if args.processes > 1 else ''} of each responder on {args.loop}, "
        f"{args.slices} slices in turns; "
        f"request {len(request_body(0))} bytes, gateway reply {ops.reply_bytes} bytes; {machine_line()}"
    )
    print(table(rows))
    echo, _, created = rows
    to_echo = created.rate / echo.rate if echo.rate else 0.0
    if args.without_relay:
        ratio = created.ratio or 0.0
        print(
            f"gateway createOrderByValue without its outbox relay: {ratio:.0%} of the raw durable baseline"
            " (diagnosis only)"
        )
    else:
        print(verdict(created, TARGET, "gateway createOrderByValue"))
    print(f"gateway createOrderByValue: {to_echo:.0%} of the raw aio-pika echo")
    print("CPU per request, ms (from /proc, on this host):")
    for (name, meter), figures in zip(meters.items(), rows, strict=True):
        shares = ", ".join(
            f"{k} {1000 * v / figures.count:.2f}" for k, v in meter.seconds.items() if figures.count
        )
        print(f"  {name}: {shares}")
    print("\n".join(PEAKS.lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
