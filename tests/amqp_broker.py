"""Test-side broker tools: rabbitmqctl, a requester, an event watcher, the dead-letter queue.

Everything the gateway sends is checked here against the XSD the gateway
serves, by an independent validator (xmlschema); a message that does not
validate fails the test that received it.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import aio_pika
import xmlschema
from aio_pika.abc import AbstractIncomingMessage
from lxml import etree

NS = "urn:ordergate:xml:om:v1"
NSMAP = {"om": NS}
REQUESTS = "ordergate.requests"
DLQ = "ordergate.requests.dlq"
EVENTS = "ordergate.events"


# ------------------------------------------------------------------ rabbitmqctl


def ctl(*args: str) -> str:
    result = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {result.stdout}{result.stderr}")
    return result.stdout


def broker_url(user: str, password: str, vhost: str) -> str:
    return f"amqp://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1/{quote(vhost, safe='')}"


def close_gateway_connections(vhost: str) -> int:
    """Drop every connection the gateway holds in the vhost (as a broker restart would)."""
    closed = 0
    for line in ctl("list_connections", "pid", "vhost", "client_properties").splitlines():
        pid, _, rest = line.partition("\t")
        conn_vhost, _, properties = rest.partition("\t")
        if conn_vhost == vhost and '"connection_name","ordergate ' in properties:
            ctl("close_connection", pid, "connection dropped by a test")
            closed += 1
    return closed


async def reset_broker(url: str) -> None:
    """Remove what an earlier test's gateway declared, with any message left in it."""
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        for queue in (REQUESTS, DLQ):
            await channel.queue_delete(queue)
        await channel.exchange_delete(EVENTS)
    finally:
        await connection.close()


# ------------------------------------------------------------------ messages


def request_body(operation: str, inner: str = "") -> bytes:
    return f'<{operation}Request xmlns="{NS}">{inner}</{operation}Request>'.encode()


def text(el: etree._Element, path: str) -> str | None:
    return el.findtext(path, namespaces=NSMAP)


@dataclass(frozen=True)
class Received:
    """A message from the gateway, validated and parsed."""

    body: bytes
    headers: Mapping[str, Any]
    correlation_id: str | None
    routing_key: str | None
    message_id: str | None
    root: etree._Element

    @property
    def name(self) -> str:
        return etree.QName(self.root).localname

    def find(self, path: str) -> etree._Element | None:
        return self.root.find(path, NSMAP)

    def text(self, path: str) -> str | None:
        return text(self.root, path)


def received(message: AbstractIncomingMessage, schema: xmlschema.XMLSchema) -> Received:
    schema.validate(message.body.decode())  # raises on any deviation from the served XSD
    return Received(
        message.body,
        dict(message.headers or {}),
        message.correlation_id,
        message.routing_key,
        message.message_id,
        etree.fromstring(message.body),
    )


# ------------------------------------------------------------------ requester


DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"


async def _own_queue(channel: aio_pika.abc.AbstractChannel, durable: bool) -> aio_pika.abc.AbstractQueue:
    """An exclusive server-named queue, or a durable one of its own name (it outlives the broker)."""
    if durable:
        return await channel.declare_queue(f"test.{uuid.uuid4().hex}", durable=True)
    return await channel.declare_queue(exclusive=True)


class _Deliveries:
    """In durable mode a consumer acknowledges each message after noting it, so one in flight
    when the connection drops comes again instead of being lost (an automatic ack would lose
    it), and a redelivered copy of one already noted is dropped."""

    def __init__(
        self, durable: bool, schema: xmlschema.XMLSchema, invalid: list[str], arrived: asyncio.Condition
    ) -> None:
        self._durable = durable
        self._seen: set[str] = set()
        self._schema, self._invalid, self._arrived = schema, invalid, arrived

    @property
    def no_ack(self) -> bool:
        return not self._durable

    def fresh(self, message: AbstractIncomingMessage) -> bool:
        return not (self._durable and message.redelivered and message.message_id in self._seen)

    async def noted(self, message: AbstractIncomingMessage) -> None:
        if self._durable:
            self._seen.add(message.message_id or "")
            await message.ack()

    async def take(
        self, message: AbstractIncomingMessage, label: str | None, keep: Callable[[Received], None]
    ) -> None:
        """Validate the message and ``keep`` it (waking the waiters), or note it as invalid."""
        if self.fresh(message):
            try:
                item = received(message, self._schema)
            except Exception as error:
                self._invalid.append(f"{label}: {error}")
            else:
                async with self._arrived:
                    keep(item)
                    self._arrived.notify_all()
        await self.noted(message)


class Requester:
    """Sends requests to ``ordergate.requests`` and collects the replies by correlation id."""

    def __init__(
        self, url: str, schema: xmlschema.XMLSchema, *, durable: bool = False, direct: bool = False
    ) -> None:
        """``durable``: a robust connection and a durable reply queue, to outlive a broker restart;
        ``direct``: no reply queue, RabbitMQ's direct reply-to (requests go on the same channel)."""
        self._url = url
        self._schema = schema
        self._durable = durable
        self._direct = direct and not durable
        self.replies: dict[str, list[Received]] = defaultdict(list)
        self.invalid: list[str] = []
        self._arrived = asyncio.Condition()
        self._deliveries = _Deliveries(durable, schema, self.invalid, self._arrived)

    async def open(self) -> Requester:
        self._connection = await (aio_pika.connect_robust if self._durable else aio_pika.connect)(self._url)
        self.channel = await self._connection.channel()
        if self._direct:  # the pseudo-queue is consumed without acks, and never declared
            self.reply_queue = await self.channel.get_queue(DIRECT_REPLY_TO, ensure=False)
        else:
            self.reply_queue = await _own_queue(self.channel, self._durable)
        await self.reply_queue.consume(self._on_reply, no_ack=self._deliveries.no_ack)
        return self

    async def close(self) -> None:
        if self._durable:
            await self.reply_queue.delete(if_unused=False, if_empty=False)
        await self._connection.close()

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        keep = self.replies[message.correlation_id or ""].append
        await self._deliveries.take(message, message.correlation_id, keep)

    async def send(
        self,
        body: bytes,
        *,
        message_id: str | None = None,
        correlation_id: str | None = None,
        reply: bool = True,
        headers: Mapping[str, Any] | None = None,
        user_id: str | None = None,
        channel: aio_pika.abc.AbstractChannel | None = None,
        expiration: float | None = None,
    ) -> str:
        """Publish one request; returns the id its replies will carry.

        ``expiration``: seconds the request may wait (the broker's per-message TTL)."""
        message_id = message_id or uuid.uuid4().hex
        message = aio_pika.Message(
            body,
            expiration=expiration,
            timestamp=datetime.now(UTC) if expiration is not None else None,
            message_id=message_id,
            correlation_id=correlation_id,
            reply_to=self.reply_queue.name if reply else None,
            headers=dict(headers or {}),
            user_id=user_id,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            content_type="application/xml",
        )
        await (channel or self.channel).default_exchange.publish(message, REQUESTS)
        return correlation_id or message_id

    async def wait(self, key: str, count: int = 1, seconds: float = 15.0) -> list[Received]:
        return await self.wait_until(key, lambda replies: len(replies) >= count, seconds)

    async def wait_until(
        self, key: str, done: Callable[[list[Received]], bool], seconds: float = 15.0
    ) -> list[Received]:
        """The replies to one request, once ``done`` says they are all there."""
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: done(self.replies[key])), seconds)
        assert not self.invalid, self.invalid
        return self.replies[key]

    async def answered(self, count: int, seconds: float = 60.0) -> None:
        """Until ``count`` requests have had a reply."""
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: sum(1 for r in self.replies.values() if r) >= count), seconds
            )

    async def call(self, operation: str, inner: str = "", **options: Any) -> Received:
        return await self.call_raw(request_body(operation, inner), **options)

    async def call_raw(self, body: bytes, **options: Any) -> Received:
        key = await self.send(body, **options)
        (reply,) = await self.wait(key)
        return reply


async def send_all(requester: Requester, count: int) -> list[str]:
    """Publish ``count`` distinct create requests at once; their message ids."""
    keys = [uuid.uuid4().hex for _ in range(count)]
    body = request_body("createOrderByValue", SERVICE_VALUE)
    await asyncio.gather(*(requester.send(body, message_id=k) for k in keys))
    return keys


# ------------------------------------------------------------------ events


class EventWatcher:
    """A queue of its own bound to ``ordergate.events``: every event, in arrival order."""

    def __init__(self, url: str, schema: xmlschema.XMLSchema, *, durable: bool = False) -> None:
        self._url = url
        self._schema = schema
        self._durable = durable
        self.events: list[Received] = []
        self.invalid: list[str] = []
        self._arrived = asyncio.Condition()
        self._deliveries = _Deliveries(durable, schema, self.invalid, self._arrived)

    async def open(self) -> EventWatcher:
        self._connection = await (aio_pika.connect_robust if self._durable else aio_pika.connect)(self._url)
        channel = await self._connection.channel()
        exchange = await channel.declare_exchange(EVENTS, aio_pika.ExchangeType.TOPIC, durable=True)
        self._queue = await _own_queue(channel, self._durable)
        await self._queue.bind(exchange, "#")
        await self._queue.consume(self._on_event, no_ack=self._deliveries.no_ack)
        return self

    async def close(self) -> None:
        if self._durable:
            await self._queue.delete(if_unused=False, if_empty=False)
        await self._connection.close()

    async def _on_event(self, message: AbstractIncomingMessage) -> None:
        await self._deliveries.take(message, message.routing_key, self.events.append)

    def of(self, order_id: str) -> list[Received]:
        return [e for e in self.events if e.text("om:key/om:primaryKey") == order_id]

    async def wait_for(
        self, count: int, order_id: str | None = None, seconds: float = 15.0
    ) -> list[Received]:
        def enough() -> bool:
            return len(self.events if order_id is None else self.of(order_id)) >= count

        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(enough), seconds)
        assert not self.invalid, self.invalid
        return self.events if order_id is None else self.of(order_id)


@dataclass(frozen=True)
class DeadLetter:
    body: bytes
    headers: Mapping[str, Any]
    message_id: str | None

    @property
    def reason(self) -> str:
        return str(self.headers.get("x-ordergate-reason"))


async def take_dead_letters(url: str, count: int, seconds: float = 15.0) -> list[DeadLetter]:
    """The next ``count`` messages of the dead-letter queue (taken off it), or what came by the timeout."""
    taken: list[DeadLetter] = []
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        queue = await channel.get_queue(DLQ)  # as the gateway declared it (bounded)
        deadline = asyncio.get_running_loop().time() + seconds
        while len(taken) < count and asyncio.get_running_loop().time() < deadline:
            message = await queue.get(no_ack=True, fail=False)
            if message is None:
                await asyncio.sleep(0.05)
                continue
            taken.append(DeadLetter(message.body, dict(message.headers or {}), message.message_id))
    finally:
        await connection.close()
    return taken


SERVICE_VALUE = """
<serviceOrderValue>
  <externalId>ext-1</externalId>
  <priority>4</priority>
  <items>
    <item><id>1</id><action>add</action>
      <entity><specification><id>fibre-1g</id></specification>
        <characteristic><name>speed</name><value>1G</value></characteristic></entity></item>
    <item><id>2</id><action>add</action><entity><specification><id>router</id></specification></entity>
      <relationship><type>dependsOn</type><itemId>1</itemId></relationship></item>
  </items>
</serviceOrderValue>"""


def service_key(order_id: str) -> str:
    return f"<key><type>serviceOrder</type><primaryKey>{order_id}</primaryKey></key>"
