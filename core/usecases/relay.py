"""The outbox relay: publishes committed events, at least once, in order.

Only the relay holding the lease publishes, so with several gateway processes
on one database the events of an order still leave in outbox order.  Events
go out in batches: each publisher is handed the whole batch (a broker channel
has it in flight at once instead of waiting for each confirm in turn), and
the batch leaves the outbox only after every publisher accepted all of it;
a failure or a crash in between means the batch is published again
(consumers dedupe on event id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence

from core.ports import EventPublisher, OutboxFeed

log = logging.getLogger(__name__)


class OutboxRelay:
    LEASE = "outbox-relay"

    def __init__(
        self,
        feed: OutboxFeed,
        publishers: Sequence[EventPublisher],
        *,
        batch: int = 100,
        lease_seconds: float = 15.0,
        idle_seconds: float = 0.2,
        linger_seconds: float = 0.02,
        holder: str | None = None,
    ) -> None:
        self._feed = feed
        self._publishers = list(publishers)
        self._batch = batch
        self._lease = lease_seconds
        self._idle = idle_seconds
        self._linger = min(linger_seconds, idle_seconds)
        self.holder = holder or f"relay-{uuid.uuid4()}"
        self._wake = asyncio.Event()
        self._renew_at = 0.0  # monotonic time from which the lease is renewed before a batch
        self._stopping = False

    def wake(self) -> None:
        """Hint that new events were committed (saves waiting for the next poll)."""
        self._wake.set()

    def stop(self) -> None:
        """Ask ``run_forever`` to return after the batch under way (cancelling it could cut a
        transaction short, and SQLite keeps the write lock of a cut transaction)."""
        self._stopping = True
        self._wake.set()

    async def run_once(self) -> int:
        """Publish one batch if this relay holds the lease; returns how many were published.

        The lease is renewed once a third of it has run, not before every batch:
        under load that saved a write transaction per batch, and the lease still
        has two thirds of its time to run when a renewal is skipped."""
        if time.monotonic() >= self._renew_at:
            if not await self._feed.acquire_lease(self.LEASE, self.holder, self._lease):
                self._renew_at = 0.0
                return 0
            self._renew_at = time.monotonic() + self._lease / 3
        events = await self._feed.unpublished(self._batch)
        if not events:
            return 0
        for publisher in self._publishers:
            await publisher.publish(events)
        await self._feed.remove_published([e.seq for e in events if e.seq is not None])
        return len(events)

    async def drain(self) -> int:
        """Publish until nothing is left (or the lease is elsewhere)."""
        total = 0
        while (n := await self.run_once()) > 0:
            total += n
        return total

    async def run_forever(self) -> None:
        backoff = self._idle
        try:
            while not self._stopping:
                try:
                    published = await self.run_once()
                    backoff = self._idle
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("outbox relay: publishing failed; retrying")
                    published = 0
                    backoff = min(backoff * 2, 5.0)
                if self._stopping:
                    continue
                if published >= self._batch:
                    continue
                if published:
                    # A part batch: more are being committed.  Waiting a moment lets the next
                    # batch fill, instead of two statements to the database for every event.
                    await asyncio.sleep(self._linger)
                    continue
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), backoff)
        finally:
            self._renew_at = 0.0
            try:
                await asyncio.shield(self._feed.release_lease(self.LEASE, self.holder))
            except Exception:  # the lease simply expires
                log.debug("outbox relay: lease not released", exc_info=True)


async def stop_worker(
    task: asyncio.Task[None], stop: Callable[[], None], grace_seconds: float = 10.0
) -> None:
    """Stop a polling worker (relay, hub dispatcher): ask it to finish its round, cancel it if it
    has not within the grace period."""
    stop()
    try:
        await asyncio.wait_for(asyncio.shield(task), grace_seconds)
    except TimeoutError:
        task.cancel()
        await asyncio.wait({task}, timeout=grace_seconds)  # its clean-up may need the database too
