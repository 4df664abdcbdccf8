"""The hub dispatcher: POSTs owed deliveries to their callbacks.

One worker across all gateway processes holds the ``hub-dispatcher`` lease.
Each round takes, per subscription, its oldest pending delivery (so a
subscriber gets its events in outbox order, hence in order per order), POSTs
the TMF event envelope, and records the outcome durably: delivered; or a
retry after ``base * 2^attempts`` seconds (capped); or, after
``max_attempts``, ``failed`` (visible at ``GET {base}/hub/{id}``), after
which the subscription's next event goes out.  Everything lives in the
store, so retries survive restarts; a crash between a successful POST and
its bookkeeping repeats the POST (listeners dedupe on ``eventId``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import UTC, datetime, timedelta

import aiohttp

from adapters.rest.notifications import envelope
from adapters.rest.settings import RestSettings
from core.ports import Delivery, DeliveryQueue

log = logging.getLogger(__name__)


class HubDispatcher:
    LEASE = "hub-dispatcher"

    def __init__(
        self, queue: DeliveryQueue, settings: RestSettings, base_url: str, *, batch: int = 50
    ) -> None:
        self._queue = queue
        self._settings = settings
        self._base_url = base_url
        self._batch = batch
        self.holder = f"hub-{uuid.uuid4()}"
        self._wake = asyncio.Event()
        self._stopping = False
        self._session: aiohttp.ClientSession | None = None

    def wake(self) -> None:
        """Hint that deliveries were just owed (saves waiting for the next poll)."""
        self._wake.set()

    def delay(self, attempts: int) -> float:
        s = self._settings
        return float(min(s.hub_retry_base_seconds * 2**attempts, s.hub_retry_max_seconds))

    async def _post(self, delivery: Delivery) -> str | None:
        """None when the listener accepted the event, else why not."""
        assert self._session is not None
        body = envelope(delivery.event, self._base_url)
        timeout = aiohttp.ClientTimeout(total=self._settings.hub_timeout_seconds)
        try:
            async with self._session.post(
                delivery.subscription.callback, json=body, timeout=timeout
            ) as reply:
                await reply.read()
                return None if 200 <= reply.status < 300 else f"listener answered {reply.status}"
        except (aiohttp.ClientError, TimeoutError, ValueError) as e:
            return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__

    async def _deliver(self, delivery: Delivery) -> None:
        error = await self._post(delivery)
        if error is None:
            await self._queue.delivered(delivery.id)
        elif delivery.attempts + 1 >= self._settings.hub_max_attempts:
            log.warning(
                "hub: giving up on event %s for %s: %s",
                delivery.event.event_id,
                delivery.subscription.id,
                error,
            )
            await self._queue.give_up(delivery.id, error)
        else:
            at = datetime.now(UTC) + timedelta(seconds=self.delay(delivery.attempts))
            await self._queue.retry_later(delivery.id, at, error)

    async def run_once(self) -> int:
        """Deliver one round if this worker holds the lease; returns how many were attempted."""
        if not await self._queue.acquire_lease(self.LEASE, self.holder, self._settings.hub_lease_seconds):
            return 0
        due = await self._queue.due(datetime.now(UTC), self._batch)
        await asyncio.gather(*(self._deliver(d) for d in due))
        return len(due)

    async def run_forever(self) -> None:
        async with aiohttp.ClientSession() as session:
            self._session = session
            try:
                await self._loop()
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._queue.release_lease(self.LEASE, self.holder))

    def stop(self) -> None:
        """Ask ``run_forever`` to return after the round under way (see ``OutboxRelay.stop``)."""
        self._stopping = True
        self._wake.set()

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                attempted = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("hub dispatcher: round failed; retrying")
                attempted = 0
            if attempted or self._stopping:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._settings.hub_poll_seconds)
