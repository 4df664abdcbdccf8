"""docs/amqp.md's first messages, sent to a running gateway as the document shows them.

The document's credentials file is the gateway's (its broker users made for the test: the
documented ``acme`` is a broker user of this run); each request goes out with the documented
properties from a connection of its ``user_id``, to the documented ``reply_to`` queue, and its
reply must be the documented one, properties and body (``tests/doc_examples.py`` says what may
differ).  A queue bound to every event takes the events; a documented event must be the next one
with its routing key.  Every documented body is checked against the XSD the gateway serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping
from datetime import UTC
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage
from lxml import etree

from adapters.identity import Credentials
from tests import doc_examples as ex
from tests.amqp_broker import EVENTS
from tests.amqp_gateway import user_of

pytestmark = pytest.mark.rabbitmq

DOC = ex.DOCS / "amqp.md"
REQUEST = frozenset({"request-properties", "request-body", "reply-properties", "reply-body"})
EVENT = frozenset({"event-properties", "event-body"})
SETUP = frozenset({""})
# what a request may set: each is sent as documented
SENT = {
    "exchange",
    "routing_key",
    "message_id",
    "correlation_id",
    "reply_to",
    "user_id",
    "content_type",
    "delivery_mode",
    "type",
    "app_id",
    "headers",
}


def received(message: AbstractIncomingMessage) -> dict[str, Any]:
    """Every property the message carries, as text, and where it was delivered from."""
    out: dict[str, Any] = {"exchange": message.exchange or "", "routing_key": message.routing_key or ""}
    for name in ("message_id", "correlation_id", "reply_to", "user_id", "app_id", "type", "content_type"):
        value = getattr(message, name)
        if value:
            out[name] = str(value)
    if message.delivery_mode:
        out["delivery_mode"] = str(int(message.delivery_mode))
    if message.expiration:
        out["expiration"] = str(message.expiration)
    if message.timestamp is not None:
        out["timestamp"] = message.timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if message.headers:
        out["headers"] = {
            k: v.decode() if isinstance(v, bytes) else str(v) for k, v in message.headers.items()
        }
    return out


class Partner:
    """The document's requesters: a connection per broker user, the reply queues its requests
    name, and a queue bound to every event (all exclusive to this test)."""

    def __init__(self, urls: Mapping[str, str], events_url: str) -> None:
        self._urls = urls
        self._events_url = events_url
        self._channels: dict[str, aio_pika.abc.AbstractChannel] = {}
        self._replies: dict[str, asyncio.Queue[AbstractIncomingMessage]] = defaultdict(asyncio.Queue)
        self._events: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()

    async def start(self, stack: contextlib.AsyncExitStack) -> Partner:
        self._stack = stack
        connection = await aio_pika.connect(self._events_url)
        stack.push_async_callback(connection.close)
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(EVENTS, "#")
        await queue.consume(self._events.put, no_ack=True)
        return self

    async def _channel(self, user: str, reply_to: str) -> aio_pika.abc.AbstractChannel:
        if user not in self._channels:
            if user not in self._urls:
                raise AssertionError(f"user_id {user!r} is no broker user of the document's credentials")
            connection = await aio_pika.connect(self._urls[user])
            self._stack.push_async_callback(connection.close)
            self._channels[user] = await connection.channel()
        channel = self._channels[user]
        if reply_to not in self._replies:
            queue = await channel.declare_queue(reply_to, exclusive=True)
            await queue.consume(self._replies[reply_to].put, no_ack=True)
        return channel

    async def request(self, documented: Mapping[str, Any], body: str, where: str) -> AbstractIncomingMessage:
        unknown = documented.keys() - SENT
        if unknown:
            raise AssertionError(f"{where}: the test does not send {sorted(unknown)}")
        user, reply_to = documented["user_id"], documented["reply_to"]
        channel = await self._channel(user, reply_to)
        message = aio_pika.Message(
            body.encode(),
            message_id=documented.get("message_id"),
            correlation_id=documented.get("correlation_id"),
            reply_to=reply_to,
            user_id=user_of(self._urls[user]),
            content_type=documented.get("content_type"),
            delivery_mode=int(documented.get("delivery_mode", "1")),
            type=documented.get("type"),
            app_id=documented.get("app_id"),
            headers=dict(documented.get("headers", {})),
        )
        exchange = documented.get("exchange", "")
        target = channel.default_exchange if exchange == "" else await channel.get_exchange(exchange)
        await target.publish(message, documented["routing_key"])
        return await asyncio.wait_for(self._replies[reply_to].get(), 15)

    async def event(self, routing_key: str, where: str) -> AbstractIncomingMessage:
        """The next event published with ``routing_key`` (earlier ones of other keys passed over)."""
        try:
            async with asyncio.timeout(15):
                while True:
                    message = await self._events.get()
                    if message.routing_key == routing_key:
                        return message
        except TimeoutError:
            raise AssertionError(f"{where}: no {routing_key} event came") from None


@contextlib.asynccontextmanager
async def partner(urls: Mapping[str, str], events_url: str) -> AsyncIterator[Partner]:
    async with contextlib.AsyncExitStack() as stack:
        yield await Partner(urls, events_url).start(stack)


def check_body(schema: Any, documented: ex.Example, real: bytes, values: ex.Values) -> str:
    """Both valid against the served XSD, and the real one as documented; its root's name."""
    ex.validate(schema, documented.text, documented.where)
    root = ex.compare_xml(documented.text, real, values, documented.where)
    ex.validate(schema, root, documented.where + ", as sent by the gateway")
    return etree.QName(root).localname


def test_the_document_shows_a_create_a_get_a_state_change_an_exception_and_an_event():
    steps = ex.read(DOC)
    ex.shapes(steps, [REQUEST, EVENT, SETUP])
    replies = [ex.parse_xml(s["reply-body"].text) for s in steps if s.shape() == REQUEST]
    names = {etree.QName(r).localname for r in replies}
    assert {"createOrderByValueResponse", "getOrderByKeyResponse", "startOrderByKeyResponse"} <= names
    assert any(n.endswith("Exception") for n in names), names
    assert any(s.shape() == EVENT for s in steps)


async def test_the_documented_messages_are_answered_as_documented(
    sqlite_store, start_gateway, actor_urls, amqp_url, tmp_path: Path
):
    steps = ex.read(DOC)
    (setup,) = [s for s in steps if s.shape() == SETUP]
    # the document's broker users are this run's: acme a client, noc a fulfiller
    urls = {"acme": actor_urls["alice"], "noc": actor_urls["noc"]}
    credentials = json.loads(setup[""].text)
    for client in credentials["clients"]:
        client["amqpUser"] = user_of(urls[client["amqpUser"]])
    (tmp_path / "credentials.json").write_text(json.dumps(credentials))
    gateway = await start_gateway(sqlite_store, credentials=Credentials.load(tmp_path / "credentials.json"))
    values = ex.Values()
    async with partner(urls, amqp_url) as acme:
        for step in steps:
            if step.shape() == REQUEST:
                sent = step["request-body"]
                documented_reply = ex.parse_xml(step["reply-body"].text)
                ex.validate_request(gateway.schema, sent.text, documented_reply, sent.where)
                reply = await acme.request(
                    ex.properties(step["request-properties"]), values.put(sent.text), sent.where
                )
                check_body(gateway.schema, step["reply-body"], reply.body, values)
                documented = step["reply-properties"]
                ex.compare_properties(ex.properties(documented), received(reply), values, documented.where)
            elif step.shape() == EVENT:
                documented = step["event-properties"]
                expected = ex.properties(documented)
                event = await acme.event(expected["routing_key"], documented.where)
                check_body(gateway.schema, step["event-body"], event.body, values)
                ex.compare_properties(expected, received(event), values, documented.where)
