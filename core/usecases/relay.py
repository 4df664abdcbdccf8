"""The outbox relay: publishes committed events, at least once, in order.

Only the relay holding the lease publishes, so with several gateway processes
on one database the events of an order still leave in outbox order.  Events
go out in batches: each publisher is handed the whole batch, all publishers
at once (a slow one, the hub's fan-out say, does not hold the others' events
back), and the batch leaves the outbox only after every publisher accepted
all of it; a failure or a crash in between means the batch is published
again (consumers dedupe on event id).

A batch is bounded in size and in time.  While it is out the relay renews
its lease, so no other relay takes the same events over from a holder that
is merely slow; a batch still out after ``batch_seconds`` is abandoned (its
publishing cancelled, nothing removed) and the next one is half as large, so
a batch that cannot finish in time shrinks until one does (and grows back
only after batches that took under a quarter of the time).  A relay that
cannot renew stops publishing before its lease can run out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence

from core.domain.events import OrderEvent
from core.ports import EventPublisher, OutboxFeed

log = logging.getLogger(__name__)

# told what became of each batch: "published", "failed" or "late" (metrics)
RelayObserver = Callable[[str, Sequence[OrderEvent]], None]


def _unobserved(_outcome: str, _events: Sequence[OrderEvent]) -> None:
    pass


class LeaseLost(Exception):
    """The relay could not show it still holds the lease: it stopped publishing."""


class OutboxRelay:
    LEASE = "outbox-relay"

    def __init__(
        self,
        feed: OutboxFeed,
        publishers: Sequence[EventPublisher],
        *,
        batch: int = 100,
        lease_seconds: float = 15.0,
        batch_seconds: float = 10.0,
        idle_seconds: float = 0.2,
        linger_seconds: float = 0.02,
        holder: str | None = None,
        observe: RelayObserver = _unobserved,
    ) -> None:
        self._feed = feed
        self._publishers = list(publishers)
        self._batch = batch
        self._size = batch  # the next batch's size: halved after one ran out of time
        self._lease = lease_seconds
        self._batch_seconds = batch_seconds
        self._idle = idle_seconds
        self._linger = min(linger_seconds, idle_seconds)
        self.holder = holder or f"relay-{uuid.uuid4()}"
        self._wake = asyncio.Event()
        self._renew_at = 0.0  # monotonic time from which the lease is renewed
        self._held_until = 0.0  # monotonic time until which the lease is surely held
        self._full = False  # the last batch was as large as asked: more are waiting
        self._stopping = False
        self._observe = observe

    def wake(self) -> None:
        """Hint that new events were committed (saves waiting for the next poll)."""
        self._wake.set()

    def stop(self) -> None:
        """Ask ``run_forever`` to return after the batch under way (cancelling it could cut a
        transaction short, and SQLite keeps the write lock of a cut transaction)."""
        self._stopping = True
        self._wake.set()

    async def _renew(self) -> bool:
        """Take or renew the lease.  Renewed once a third of it has run, not more often:
        under load that saved a write transaction per batch."""
        if time.monotonic() < self._renew_at:
            return True
        started = time.monotonic()
        if not await self._feed.acquire_lease(self.LEASE, self.holder, self._lease):
            self._renew_at = self._held_until = 0.0
            return False
        self._renew_at = started + self._lease / 3
        self._held_until = started + self._lease
        return True

    async def _keep_lease(self) -> None:
        """While a batch is out: renew the lease; raise LeaseLost when it is someone else's,
        or when renewals keep failing and it could run out (a third of it to spare)."""
        while True:
            await asyncio.sleep(max(0.0, self._renew_at - time.monotonic()))
            try:
                renewed = await self._renew()
            except Exception:
                log.warning("outbox relay: lease not renewed; trying again", exc_info=True)
                renewed = time.monotonic() < self._held_until - self._lease / 3
                await asyncio.sleep(min(1.0, self._lease / 10))
            if not renewed:
                raise LeaseLost(self.holder)

    async def _publish_all(self, events: Sequence[OrderEvent]) -> None:
        results = await asyncio.gather(*(p.publish(events) for p in self._publishers), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _publish_in_time(self, events: Sequence[OrderEvent]) -> bool:
        """Publish the batch while holding the lease; False when it ran out of time.

        Publishing cut short is awaited to its end, so a publisher's transaction is rolled
        back before the relay goes on (unlike a cancel at shutdown, see ``stop``)."""
        work = asyncio.ensure_future(self._publish_all(events))
        guard = asyncio.ensure_future(self._keep_lease())
        try:
            done, _ = await asyncio.wait(
                {work, guard}, timeout=self._batch_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in (work, guard):
                task.cancel()
            await asyncio.wait({work, guard})
        if work in done:
            work.result()  # a publisher's failure
            return True
        if guard in done:
            guard.result()  # LeaseLost
        return False

    async def run_once(self) -> int:
        """Publish one batch if this relay holds the lease; returns how many were published."""
        if not await self._renew():
            return 0
        requested = self._size
        events = await self._feed.unpublished(requested)
        self._full = len(events) >= requested
        if not events:
            return 0
        started = time.monotonic()
        try:
            in_time = await self._publish_in_time(events)
        except LeaseLost:
            log.warning(
                "outbox relay %s: lease lost while publishing; the holder publishes again", self.holder
            )
            return 0
        except Exception:
            self._observe("failed", events)
            raise
        if not in_time:
            self._observe("late", events)
            self._size = max(1, requested // 2)
            log.warning(
                "outbox relay: a batch of %d events took over %.1f s; trying again with %d",
                len(events),
                self._batch_seconds,
                self._size,
            )
            return 0
        if time.monotonic() - started < self._batch_seconds / 4:
            # twice as many would still leave room: grow back towards the full batch
            self._size = min(self._batch, requested * 2)
        await self._feed.remove_published([e.seq for e in events if e.seq is not None])
        self._observe("published", events)
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
                if published and self._full:
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
            self._renew_at = self._held_until = 0.0
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
