"""Settling a delivery: its outgoing messages and its acknowledgement in one AMQP transaction.

A reply published with a confirm and then an ack leaves a window in which the
connection can drop after the reply left but before the ack arrived: the
request comes back and is answered twice.  In a transaction (``tx.select``)
the broker applies the publishes and the ack together at ``tx.commit`` or not
at all, so each request gets exactly one reply.  Commits of concurrent
deliveries are grouped: whatever was settled while a commit was in flight
goes out in the next one.

Everything happens on the channel the request was delivered on (delivery
tags belong to it): if that channel is gone, the settlement fails and the
broker redelivers the request, to be answered from the request log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import aiormq
import aiormq.abc

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One message to publish on the default exchange (replies, dead letters)."""

    routing_key: str
    body: bytes
    properties: aiormq.spec.Basic.Properties


@dataclass
class _Settlement:
    delivery_tag: int
    outgoing: Sequence[Outgoing]
    requeue: bool
    done: asyncio.Future[None]


class TransactionalSettler:
    """Settles the deliveries of one channel, in grouped transactions."""

    def __init__(self, channel: aiormq.abc.AbstractChannel, timeout: float) -> None:
        self._channel = channel
        self._timeout = timeout
        self._selected = False
        self._pending: list[_Settlement] = []
        self._flusher: asyncio.Task[None] | None = None

    @property
    def channel(self) -> aiormq.abc.AbstractChannel:
        return self._channel

    async def settle(
        self, delivery_tag: int, outgoing: Sequence[Outgoing] = (), requeue: bool = False
    ) -> None:
        """Publish ``outgoing`` and ack the delivery (or requeue it), atomically; raises if not done."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append(_Settlement(delivery_tag, outgoing, requeue, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="amqp-settle")
        await asyncio.shield(done)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await asyncio.wait_for(self._commit(batch), self._timeout)
            except BaseException as error:
                await self._abandon(error)
                for s in batch:
                    if not s.done.done():
                        s.done.set_exception(error if isinstance(error, Exception) else ConnectionError())
                if isinstance(error, asyncio.CancelledError):
                    raise
                continue
            for s in batch:
                if not s.done.done():
                    s.done.set_result(None)

    async def _commit(self, batch: Sequence[_Settlement]) -> None:
        channel = self._channel
        if not self._selected:
            await channel.tx_select()
            self._selected = True
        # The frames only need to be queued in order (wait=False): the broker answers
        # the commit after everything before it on the channel, and applies it all or nothing.
        for s in batch:
            for message in s.outgoing:
                await channel.basic_publish(  # type: ignore[call-arg]  # wait: the implementation has it
                    message.body,
                    exchange="",
                    routing_key=message.routing_key,
                    properties=message.properties,
                    wait=False,
                )
            if s.requeue:
                await channel.basic_nack(s.delivery_tag, requeue=True, wait=False)
            else:
                await channel.basic_ack(s.delivery_tag, wait=False)
        await channel.tx_commit()

    async def _abandon(self, error: BaseException) -> None:
        """A half-written transaction must not ride along with the next commit: close the channel,
        which rolls it back and returns its unacknowledged deliveries to the queue."""
        if self._channel.is_closed:
            return
        log.warning("settling on %r failed (%r); closing the channel", self._channel, error)
        with contextlib.suppress(Exception):
            await self._channel.close()
