"""The dead-letter queue is bounded: a flood of unanswerable requests keeps only the newest.

A queue an earlier version declared without bounds is used as it is, with a
warning saying how to bound it; a queue of the other type is still refused.
"""

from __future__ import annotations

import aio_pika
import aiormq.exceptions
import pytest

from adapters.amqp.config import AmqpSettings
from adapters.amqp.profile import declare
from tests.amqp_broker import DLQ, NS, REQUESTS, Requester, reset_broker, take_dead_letters

pytestmark = pytest.mark.rabbitmq

UNANSWERABLE = f'<createOrderByValueRequest xmlns="{NS}"/>'.encode()  # sent without reply_to


async def test_the_dead_letter_queue_keeps_the_newest_requests_up_to_its_bound(sqlite_store, start_gateway):
    gateway = await start_gateway(sqlite_store, settings={"amqp_dead_letter_max_messages": 3})
    client = await Requester(gateway.amqp_url, gateway.schema).open()
    try:
        sent = [await client.send(UNANSWERABLE, reply=False) for _ in range(5)]
        dead = await take_dead_letters(gateway.amqp_url, 5, seconds=3)
    finally:
        await client.close()
    assert [d.message_id for d in dead] == sent[2:]
    assert all("no reply_to" in d.reason for d in dead)


async def test_an_unbounded_dead_letter_queue_of_an_earlier_version_is_used_with_a_warning(amqp_url):
    await reset_broker(amqp_url)
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        await channel.declare_queue(DLQ, durable=True)  # as an earlier version declared it
        declared = await declare(AmqpSettings(url=amqp_url))
        assert "was declared without the bounds this version gives it" in declared
        assert "delete it and restart to bound it" in declared
        await channel.queue_delete(DLQ)
        await channel.declare_queue(DLQ, durable=True, arguments={"x-queue-type": "quorum"})
        with pytest.raises(aiormq.exceptions.ChannelPreconditionFailed, match="x-queue-type"):
            await declare(AmqpSettings(url=amqp_url))
        await channel.queue_delete(DLQ)
        assert "warning" not in (declared := await declare(AmqpSettings(url=amqp_url))), declared
        assert "declared without" not in declared
    finally:
        channel = await connection.channel()
        for queue in (REQUESTS, DLQ):
            await channel.queue_delete(queue)
        await connection.close()
