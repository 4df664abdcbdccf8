"""The raw durable AMQP baseline of ``ordergate bench amqp``: aio-pika and asyncpg by hand.

It does the durable work the gateway's AMQP profile must do for a create,
and nothing else: for each request (durable queue, manual acks) it writes the
order and its creation event in one transaction (``bench.raw_orders``: the
same rows the core writes, one statement, one round trip), then, after the
commit, publishes a persistent reply to ``reply_to`` and acks the request,
and publishes the event to a topic exchange on a channel with publisher
confirms, waiting for the broker's confirm.  No XML is parsed or validated
(the order number is read from the body with a regular expression), no
domain model runs, the reply and the event are built from fixed text.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aio_pika
import asyncpg
from aio_pika.abc import AbstractIncomingMessage

from bench.raw_orders import create_raw_one_statement, order_value

NS = "urn:ordergate:xml:om:v1"
_NUMBER = re.compile(rb"<externalId>bench-(\d+)</externalId>")


def _reply(order_id: str, body: bytes) -> bytes:
    """The created order's key and its value as the request gave it (no rendering)."""
    value = body.split(b"<serviceOrderValue>", 1)[-1].rsplit(b"</serviceOrderValue>", 1)[0]
    return (
        (
            f'<?xml version="1.0" encoding="UTF-8"?><createOrderByValueResponse xmlns="{NS}">'
            f"<serviceOrderValue><id>{order_id}</id>"
        ).encode()
        + value
        + b"</serviceOrderValue></createOrderByValueResponse>"
    )


def _event(order_id: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><orderCreateEvent xmlns="{NS}">'
        f"<orderKey><primaryKey>{order_id}</primaryKey><type>serviceOrder</type></orderKey>"
        "<state>open.not_running.not_started</state></orderCreateEvent>"
    ).encode()


async def serve_raw(args: Any, until_stopped: Any) -> None:
    """Consume ``args.queue`` until ``until_stopped()`` returns; one order per request."""
    pool = await asyncpg.create_pool(
        args.database_url.replace("postgresql+asyncpg://", "postgresql://"),
        min_size=args.pool,
        max_size=args.pool,
    )
    connection = await aio_pika.connect_robust(args.amqp_url)
    try:
        replies = await connection.channel(publisher_confirms=False)
        await replies.set_qos(prefetch_count=args.prefetch)
        confirmed = await connection.channel(publisher_confirms=True)
        events = await confirmed.declare_exchange(args.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await replies.declare_queue(args.queue, durable=True)

        async def create(message: AbstractIncomingMessage) -> None:
            found = _NUMBER.search(message.body)
            value = order_value(int(found.group(1)) if found else 0)
            order_id = await create_raw_one_statement(pool, "bench-raw", value)  # committed
            reply = aio_pika.Message(
                _reply(order_id, message.body),
                correlation_id=message.correlation_id or message.message_id,
                content_type="application/xml",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                headers={"OSS_MESSAGE_TYPE": "RESPONSE"},
            )
            await replies.default_exchange.publish(reply, message.reply_to or "")
            await message.ack()
            event = aio_pika.Message(_event(order_id), delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            await events.publish(event, "serviceOrder.orderCreateEvent")  # returns on the confirm

        await queue.consume(create)
        print("ready", flush=True)
        await until_stopped()
    finally:
        await connection.close()
        await pool.close()
        await asyncio.sleep(0)
