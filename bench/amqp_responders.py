"""The two responders ``ordergate bench amqp`` measures, each run as a process of its own.

* ``gateway``: the AMQP profile on PostgreSQL as deployed -- the request
  listener (transactional reply and ack) and the outbox relay publishing every
  event to the events exchange with publisher confirms.
* ``echo``: the least a responder can do on the same broker: a raw aio-pika
  consumer that publishes each request body back to ``reply_to`` and acks it.
* ``raw``: the durable work by hand (``bench.amqp_raw``): the order and its
  event row in one transaction, reply and ack after the commit, the event
  published with a confirm.

Each prints ``ready`` once it consumes and stops when its standard input closes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from adapters.amqp import AmqpProfile, AmqpSettings, running
from adapters.sql import SqlaOrderStore
from bench.serve import run_on
from core.usecases import OrderManagement
from core.usecases.relay import OutboxRelay


async def _until_stdin_closes() -> None:
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def serve_gateway(args: argparse.Namespace) -> None:
    store = SqlaOrderStore(args.database_url, pool_size=args.pool)
    settings = AmqpSettings(
        url=args.amqp_url,
        requests_queue=args.queue,
        dead_letter_queue=f"{args.queue}.dlq",
        events_exchange=args.exchange,
        prefetch=args.prefetch,
        concurrency=args.concurrency,
    )
    profile = AmqpProfile(settings, OrderManagement(store), None)
    try:
        async with running(profile):
            await profile.started()
            relay = OutboxRelay(store, [profile.publisher])
            # --without-relay (a diagnosis): the events stay in the outbox
            relaying = asyncio.create_task(relay.run_forever() if args.relay else asyncio.Event().wait())
            print("ready", flush=True)
            await _until_stdin_closes()
            relaying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relaying
    finally:
        await store.close()


async def serve_echo(args: argparse.Namespace) -> None:
    connection = await aio_pika.connect_robust(args.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=False)
        await channel.set_qos(prefetch_count=args.prefetch)
        queue = await channel.declare_queue(args.queue, durable=True)

        async def echo(message: AbstractIncomingMessage) -> None:
            reply = aio_pika.Message(
                message.body,
                correlation_id=message.correlation_id or message.message_id,
                content_type=message.content_type,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            )
            await channel.default_exchange.publish(reply, message.reply_to or "")
            await message.ack()

        await queue.consume(echo)
        print("ready", flush=True)
        await _until_stdin_closes()
    finally:
        await connection.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.amqp_responders")
    p.add_argument("role", choices=["gateway", "echo", "raw"])
    p.add_argument("--amqp-url", required=True)
    p.add_argument("--queue", required=True)
    p.add_argument("--exchange", default="")
    p.add_argument("--database-url", default="")
    p.add_argument("--prefetch", type=int, default=AmqpSettings.prefetch)
    p.add_argument("--concurrency", type=int, default=AmqpSettings.concurrency)
    p.add_argument("--pool", type=int, default=20)
    p.add_argument("--without-relay", dest="relay", action="store_false")
    p.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    args = p.parse_args(argv)
    if args.role == "raw":
        from bench.amqp_raw import serve_raw

        main = serve_raw(args, _until_stdin_closes)
    else:
        main = serve_gateway(args) if args.role == "gateway" else serve_echo(args)
    run_on(args.loop, main)
    return 0


if __name__ == "__main__":
    sys.exit(main())
