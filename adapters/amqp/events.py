"""AmqpEventPublisher: the outbox relay's channel to the ``ordergate.events`` topic exchange.

``publish`` puts a whole batch of events in flight on the confirming channel
and returns only once the broker confirmed every one (publisher confirms), so
the relay lets them leave the outbox only then; anything else raises and the relay
publishes the batch again later.  One channel keeps them in order.  Consumers
dedupe on the message id, which is the event id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import AbstractExchange, AbstractRobustChannel, AbstractRobustConnection

from adapters.amqp.config import AmqpSettings
from adapters.amqp.connection import is_connected, robust_connection
from adapters.amqp.headers import event_headers
from adapters.xml import EVENT_ELEMENTS, document, event_xml
from core.domain.errors import Unavailable
from core.domain.events import OrderEvent

log = logging.getLogger(__name__)


def routing_key(event: OrderEvent) -> str:
    return f"{event.kind}.{EVENT_ELEMENTS[event.type]}"


PERSISTENT = 2


def _settled(confirm: asyncio.Future[object]) -> None:
    """Fetch the outcome of a confirm nobody awaited once another one failed (no warning)."""
    if not confirm.cancelled():
        confirm.exception()


def event_properties(event: OrderEvent) -> aiormq.spec.Basic.Properties:
    name = EVENT_ELEMENTS[event.type]
    return aiormq.spec.Basic.Properties(
        content_type="application/xml",
        delivery_mode=PERSISTENT,
        message_id=event.event_id,
        timestamp=event.occurred_at,
        message_type=name,
        app_id="ordergate",
        headers=event_headers(event, name),  # type: ignore[arg-type]
    )


class AmqpEventPublisher:
    def __init__(self, settings: AmqpSettings) -> None:
        self._settings = settings
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None
        self._exchange: AbstractExchange | None = None
        self.declared = asyncio.Event()

    def is_ready(self) -> bool:
        return self._exchange is not None and is_connected(self._connection)

    async def start(self) -> None:
        """Connect (waiting for the broker as long as it takes) and declare the exchange."""
        self._connection = robust_connection(self._settings, "events")
        await self._connection.connect()
        self._channel = channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await channel.declare_exchange(
            self._settings.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        self.declared.set()
        log.info("publishing events to %s", self._settings.events_exchange)

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def publish(self, events: Sequence[OrderEvent]) -> None:
        if self._channel is None or not self.is_ready():
            raise Unavailable("the broker is not connected: events wait in the outbox")
        channel = await self._channel.get_underlay_channel()
        # Every message is rendered before any is sent: an event that cannot be
        # rendered fails the batch with nothing of it published.
        messages = [(document(event_xml(e)), routing_key(e), event_properties(e)) for e in events]
        # One task a message, created in order: each puts its frames on the channel
        # before the next one runs, then waits for its confirm, all at once.
        # Not mandatory: an event nobody has bound a queue for is confirmed and
        # dropped by the broker, which is what a topic with no subscriber means.
        confirms = [
            asyncio.ensure_future(
                channel.basic_publish(  # type: ignore[call-arg]  # wait: the implementation has it
                    body,
                    exchange=self._settings.events_exchange,
                    routing_key=key,
                    properties=properties,
                    wait=False,
                )
            )
            for body, key, properties in messages
        ]
        all_confirmed = asyncio.gather(*confirms)
        futures: list[asyncio.Future[Any]] = [*confirms, all_confirmed]
        for future in futures:
            future.add_done_callback(_settled)
        try:
            done = await asyncio.wait_for(all_confirmed, self._settings.publish_timeout_seconds)
        finally:
            for confirm in confirms:
                confirm.cancel()  # those still waiting, when one failed or time ran out
        for confirmation in done:
            if not isinstance(confirmation, aiormq.spec.Basic.Ack):
                raise Unavailable(f"the broker did not take an event: {confirmation!r}")
