"""AmqpEventPublisher: the outbox relay's channel to the ``ordergate.events`` topic exchange.

``publish`` returns only once the broker confirmed the event (publisher
confirms), so the relay marks an event sent only then; anything else raises
and the relay publishes it again later.  Consumers dedupe on the message id,
which is the event id.
"""

from __future__ import annotations

import asyncio
import logging

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractRobustConnection

from adapters.amqp.config import AmqpSettings
from adapters.amqp.connection import is_connected, robust_connection
from adapters.amqp.headers import event_headers
from adapters.xml import EVENT_ELEMENTS, document, event_xml
from core.domain.errors import Unavailable
from core.domain.events import OrderEvent

log = logging.getLogger(__name__)


def routing_key(event: OrderEvent) -> str:
    return f"{event.kind}.{EVENT_ELEMENTS[event.type]}"


def event_message(event: OrderEvent) -> aio_pika.Message:
    name = EVENT_ELEMENTS[event.type]
    return aio_pika.Message(
        body=document(event_xml(event)),
        content_type="application/xml",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=event.event_id,
        timestamp=event.occurred_at,
        type=name,
        app_id="ordergate",
        headers=event_headers(event, name),  # type: ignore[arg-type]
    )


class AmqpEventPublisher:
    def __init__(self, settings: AmqpSettings) -> None:
        self._settings = settings
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None
        self.declared = asyncio.Event()

    def is_ready(self) -> bool:
        return self._exchange is not None and is_connected(self._connection)

    async def start(self) -> None:
        """Connect (waiting for the broker as long as it takes) and declare the exchange."""
        self._connection = robust_connection(self._settings, "events")
        await self._connection.connect()
        channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await channel.declare_exchange(
            self._settings.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        self.declared.set()
        log.info("publishing events to %s", self._settings.events_exchange)

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def publish(self, event: OrderEvent) -> None:
        if self._exchange is None or not self.is_ready():
            raise Unavailable("the broker is not connected: events wait in the outbox")
        # Not mandatory: an event nobody has bound a queue for is confirmed and dropped
        # by the broker, which is what a topic with no subscriber means.
        await asyncio.wait_for(
            self._exchange.publish(event_message(event), routing_key(event), mandatory=False),
            self._settings.publish_timeout_seconds,
        )
