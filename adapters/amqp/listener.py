"""AmqpRequestListener: consumes ``ordergate.requests`` and settles every request exactly once.

Per delivery: the dispatcher turns the request into its reply (the core call
commits its result in the request log with the change); then the reply and
the acknowledgement are committed together in one AMQP transaction.  The
broker holds the request until then, so a crash or a lost connection at any
point brings it back, and the request log answers it without running it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime

import aiormq
import aiormq.abc
import aiormq.exceptions
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection

from adapters.amqp.config import AmqpSettings
from adapters.amqp.connection import declare_dead_letter_queue, is_connected, robust_connection
from adapters.amqp.dispatch import IncomingRequest, Reply, RequestDispatcher, Unanswerable
from adapters.amqp.headers import dead_letter_headers, reply_headers
from adapters.amqp.query_replies import ReplyMessage
from adapters.amqp.settle import Outgoing, TransactionalSettler
from core.domain.errors import Unavailable
from core.usecases.correlation import REQUEST_ID

log = logging.getLogger(__name__)

PERSISTENT = 2


class Backoff:
    """One pause for every request while the database is down, doubling while it stays down."""

    def __init__(self, first: float, most: float) -> None:
        self._first, self._most = first, most
        self._delay = 0.0
        self._until = 0.0

    def failed(self) -> None:
        now = time.monotonic()
        if now >= self._until:  # the last pause is over and it failed again
            self._delay = self._first if not self._delay else min(self._most, self._delay * 2)
            self._until = now + self._delay

    @property
    def delay(self) -> float:
        """The pause in force (the next one is at least as long)."""
        return self._delay

    def succeeded(self) -> None:
        self._delay = 0.0
        self._until = 0.0

    async def pause(self) -> None:
        remaining = self._until - time.monotonic()
        if remaining > 0:
            await asyncio.sleep(remaining)


def expires_at(message: AbstractIncomingMessage, received: float) -> float | None:
    """When the request's ``expiration`` (the broker's per-message TTL) runs out, on the wall
    clock: from its ``timestamp`` when the requester set one, else from ``received``."""
    ttl = message.expiration  # the client library gives it in seconds
    if not isinstance(ttl, int | float) or isinstance(ttl, bool):
        return None
    sent = message.timestamp.timestamp() if isinstance(message.timestamp, datetime) else received
    return sent + float(ttl)


def _request(message: AbstractIncomingMessage) -> IncomingRequest:
    return IncomingRequest(
        body=message.body,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        reply_to=message.reply_to,
        user_id=message.user_id,
        headers=dict(message.headers or {}),
    )


def _gone(message: AbstractIncomingMessage) -> bool:
    try:
        return message.channel.is_closed
    except aiormq.exceptions.ChannelInvalidStateError:
        return True


def reply_message(request: IncomingRequest, reply: Reply, message: ReplyMessage) -> Outgoing:
    name = message.name
    properties = aiormq.spec.Basic.Properties(
        content_type="application/xml",
        headers=reply_headers(reply.message_type, name, request.sender_id),  # type: ignore[arg-type]
        delivery_mode=PERSISTENT,
        correlation_id=request.correlation_id or request.message_id,
        message_id=uuid.uuid4().hex,
        timestamp=datetime.now(UTC),
        message_type=name,
        app_id="ordergate",
    )
    return Outgoing(request.reply_to or "", message.body, properties)


def dead_letter(message: AbstractIncomingMessage, queue: str, reason: str) -> Outgoing:
    properties = aiormq.spec.Basic.Properties(
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        headers=dead_letter_headers(message.headers, reason, message.user_id),
        delivery_mode=PERSISTENT,
        correlation_id=message.correlation_id,
        reply_to=message.reply_to,
        message_id=message.message_id,
        timestamp=datetime.now(UTC),
        message_type=message.type,
        app_id=message.app_id,
    )
    return Outgoing(queue, message.body, properties)


class AmqpRequestListener:
    def __init__(self, settings: AmqpSettings, dispatcher: RequestDispatcher) -> None:
        self._settings = settings
        # the queue names and reply limits are the listener's settings
        self._dispatcher = dispatcher.configured(settings)
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._backoff = Backoff(settings.backoff_first_seconds, settings.backoff_max_seconds)
        self._settlers: weakref.WeakKeyDictionary[aiormq.abc.AbstractChannel, TransactionalSettler] = (
            weakref.WeakKeyDictionary()
        )
        self._in_flight: set[asyncio.Task[None]] = set()
        self._connection: AbstractRobustConnection | None = None
        self._queue: AbstractQueue | None = None
        self._consumer_tag: str | None = None
        self.consuming = asyncio.Event()

    def is_ready(self) -> bool:
        return self.consuming.is_set() and is_connected(self._connection)

    async def start(self) -> None:
        """Connect (waiting for the broker as long as it takes), declare the queues, consume."""
        s = self._settings
        self._connection = robust_connection(s, "requests")
        await self._connection.connect()
        # no publisher confirms: replies are settled in transactions instead (see settle.py)
        channel = await self._connection.channel(publisher_confirms=False)
        await channel.set_qos(prefetch_count=s.prefetch)
        if (warning := await declare_dead_letter_queue(self._connection, s)) is not None:
            log.warning("%s", warning)
        self._queue = await channel.declare_queue(s.requests_queue, durable=True, arguments=s.queue_arguments)
        self._consumer_tag = await self._queue.consume(self._on_message)
        self.consuming.set()
        log.info(
            "answering requests on %s (prefetch %d, concurrency %d)",
            s.requests_queue,
            s.prefetch,
            s.concurrency,
        )

    async def stop(self) -> None:
        """Stop taking requests, let those in flight finish for a while, then disconnect."""
        self.consuming.clear()
        if self._queue is not None and self._consumer_tag is not None and is_connected(self._connection):
            # bounded: a robust queue waits for the broker to come back before it cancels
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._queue.cancel(self._consumer_tag), self._settings.drain_seconds)
        if self._in_flight:
            _, late = await asyncio.wait(set(self._in_flight), timeout=self._settings.drain_seconds)
            for task in late:  # unacknowledged: the broker hands them out again
                task.cancel()
        if self._connection is not None:
            await self._connection.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        # The client library cancels a channel's consumer callbacks when the channel
        # closes; the request is worked off in a task of the listener's own instead,
        # so a lost connection never interrupts a database transaction half-way.  The
        # callback does not wait for it: the prefetch bounds what is in flight.
        work = asyncio.create_task(self._work_off(message), name=f"amqp-request-{message.message_id}")
        self._in_flight.add(work)
        work.add_done_callback(self._in_flight.discard)

    async def _work_off(self, message: AbstractIncomingMessage) -> None:
        # the task's own context: every log line about this request names it
        REQUEST_ID.set(message.correlation_id or message.message_id)
        try:
            await self._handle(message)
        except Exception:  # never let one message take the consumer down
            log.exception("request %s could not be handled; the broker will redeliver it", message.message_id)

    async def _handle(self, message: AbstractIncomingMessage) -> None:
        received = time.time()
        request = _request(message)
        try:
            # The concurrency bounds requests being executed; settling one (the broker's
            # round trip for its transaction) leaves its slot to the next.
            async with self._slots:
                await self._backoff.pause()  # one that began while it waited for its slot
                if _gone(message):
                    return  # its channel closed while it waited: the broker hands it out again
                reply = await self._dispatcher.answer(request)
        except Unavailable as error:
            self._backoff.failed()
            await self._backoff.pause()
            deadline = expires_at(message, received)
            if deadline is None or time.time() + self._backoff.delay < deadline:
                log.warning("request %s goes back to the queue: %s", request.message_id, error)
                await self._settle(message, (), requeue=True)
                return
            # Back in the queue it would expire before its next try, unanswered: the
            # requester learns instead that nothing was done.
            log.warning("request %s expired while the database was unavailable", request.message_id)
            try:
                expired = self._dispatcher.unavailable(request, error)
            except Unanswerable as unanswerable:
                await self._dead_letter(message, unanswerable)
                return
            await self._settle(message, [reply_message(request, expired, m) for m in expired.messages])
            return
        except Unanswerable as error:
            await self._dead_letter(message, error)
            return
        self._backoff.succeeded()
        await self._settle(message, [reply_message(request, reply, m) for m in reply.messages])

    async def _dead_letter(self, message: AbstractIncomingMessage, error: Unanswerable) -> None:
        log.warning("request %s dead-lettered: %s", message.message_id, error.reason)
        await self._settle(message, [dead_letter(message, self._settings.dead_letter_queue, error.reason)])

    async def _settle(
        self, message: AbstractIncomingMessage, outgoing: Sequence[Outgoing], requeue: bool = False
    ) -> None:
        try:
            channel = message.channel  # raises once the channel it came on is gone
            settler = self._settlers.get(channel)
            if settler is None:
                settler = self._settlers[channel] = TransactionalSettler(
                    channel, self._settings.publish_timeout_seconds
                )
            assert message.delivery_tag is not None
            await settler.settle(message.delivery_tag, outgoing, requeue)
        except Exception as error:
            log.info(
                "request %s not settled (%r): the broker will deliver it again", message.message_id, error
            )
