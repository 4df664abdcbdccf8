"""The XML-over-AMQP profile as one unit: request listener, event publisher, readiness."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from adapters.amqp.config import AmqpSettings
from adapters.amqp.dispatch import RequestDispatcher
from adapters.amqp.events import AmqpEventPublisher
from adapters.amqp.listener import AmqpRequestListener
from adapters.identity import Credentials
from adapters.xml import XmlOrderOperations
from core.usecases import OrderManagement

log = logging.getLogger(__name__)


class AmqpProfile:
    def __init__(
        self, settings: AmqpSettings, orders: OrderManagement, credentials: Credentials | None
    ) -> None:
        dispatcher = RequestDispatcher(XmlOrderOperations(orders), credentials, settings.max_message_bytes)
        self.listener = AmqpRequestListener(settings, dispatcher)
        self.publisher = AmqpEventPublisher(settings)

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
        await self.listener.stop()
        await self.publisher.stop()


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
