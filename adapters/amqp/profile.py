"""The XML-over-AMQP profile as one unit: request listener, event publisher, readiness.

It also says what it is (``describe``: the broker without its password, the
queue and exchange names), what it finished and cut short when it stops,
and, for ``ordergate check``, whether the broker lets the gateway declare
what it uses (``declare``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aio_pika

from adapters.amqp.config import AmqpSettings
from adapters.amqp.connection import connect_once, declare_dead_letter_queue, safe_url
from adapters.amqp.dispatch import RequestDispatcher, RequestObserver
from adapters.amqp.events import AmqpEventPublisher
from adapters.amqp.listener import AmqpRequestListener
from adapters.identity import Credentials
from adapters.xml import XmlOrderOperations
from core.usecases import OrderManagement

log = logging.getLogger(__name__)


class AmqpProfile:
    def __init__(
        self,
        settings: AmqpSettings,
        orders: OrderManagement,
        credentials: Credentials | None,
        observe: RequestObserver | None = None,
    ) -> None:
        dispatcher = RequestDispatcher(XmlOrderOperations(orders), credentials, settings.max_message_bytes)
        if observe is not None:  # told of every request (metrics)
            dispatcher.observe = observe
        self.settings = settings
        self.listener = AmqpRequestListener(settings, dispatcher)
        self.publisher = AmqpEventPublisher(settings)

    @property
    def in_flight(self) -> int:
        """Requests taken from the queue and not yet settled (metrics)."""
        return len(self.listener._in_flight)

    def describe(self) -> str:
        s = self.settings
        return (
            f"AMQP {safe_url(s.url)}: requests on {s.requests_queue} (dead letters {s.dead_letter_queue}),"
            f" events to {s.events_exchange}; {s.queue_type} queues, prefetch {s.prefetch},"
            f" concurrency {s.concurrency}"
        )

    async def ready(self) -> bool:
        """Connected to the broker, consuming requests and able to publish events."""
        return self.listener.is_ready() and self.publisher.is_ready()

    async def started(self) -> None:
        """Until the first connection is made: requests consumed, the events exchange declared."""
        await self.listener.consuming.wait()
        await self.publisher.declared.wait()

    async def serve(self, _app: object = None) -> AsyncIterator[None]:
        """Runs the profile while the application runs (an aiohttp ``cleanup_ctx``).

        Connecting happens in the background: the gateway starts even while the
        broker is down, reports not ready, and connects as soon as it can.
        """
        starts = [
            asyncio.create_task(self.listener.start(), name="amqp-listener-start"),
            asyncio.create_task(self.publisher.start(), name="amqp-publisher-start"),
        ]
        for task in starts:
            task.add_done_callback(_log_failure)
        yield
        for task in starts:
            task.cancel()
        await asyncio.gather(*starts, return_exceptions=True)
        in_flight = set(self.listener._in_flight)  # the listener's own tasks, one per request
        await self.listener.stop()
        await self.publisher.stop()
        cut = sum(1 for task in in_flight if task.cancelled())
        log.info(
            "AMQP stopped: %d requests in flight finished, %d cut short (back to the queue, answered later)",
            len(in_flight) - cut,
            cut,
        )


async def declare(settings: AmqpSettings, connect_seconds: float = 10.0) -> str:
    """Connect once and declare what the profile uses, as ``serve`` would; what was declared."""
    connection = await connect_once(settings.url, connect_seconds)
    try:
        warning = await declare_dead_letter_queue(connection, settings)
        channel = await connection.channel()
        await channel.declare_queue(settings.requests_queue, durable=True, arguments=settings.queue_arguments)
        await channel.declare_exchange(settings.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    finally:
        await connection.close()
    declared = (
        f"queues {settings.requests_queue}, {settings.dead_letter_queue}; exchange {settings.events_exchange}"
    )
    return declared if warning is None else f"{declared} ({warning})"


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the AMQP profile could not start", exc_info=task.exception())


@contextlib.asynccontextmanager
async def running(profile: AmqpProfile) -> AsyncIterator[AmqpProfile]:
    """The profile outside an aiohttp application (benchmarks, tools)."""
    service = profile.serve()
    await anext(service)
    try:
        yield profile
    finally:
        with contextlib.suppress(StopAsyncIteration):
            await anext(service)
