"""The hub dispatcher: POSTs owed deliveries to their callbacks, each subscription on its own.

One worker across all gateway processes holds the ``hub-dispatcher`` lease.
Every subscription has at most one delivery in flight (its oldest pending
one, so a subscriber gets its events in outbox order, hence in order per
order), and the dispatcher never waits for a round of POSTs to finish: a
delivery that is done makes room for that subscription's next one at once,
and a slow or dead listener holds up only its own subscription.  Up to
``hub_max_in_flight`` deliveries are out at once, at most
``hub_max_in_flight_per_client`` of one client's (whose subscriptions could
otherwise, all slow at once, take every slot).

A failed attempt backs off the subscription (``base * 2^failures`` seconds,
capped), not only the delivery: whichever event is at its head waits.  A
delivery is given up (``failed``) after ``hub_max_attempts`` attempts and the
next one goes out; after ``hub_failures_before_suspension`` failed attempts
in a row the subscription is suspended, nothing more is owed to it, and
``GET {base}/hub/{id}`` says why.  Everything lives in the store, so retries
survive restarts; a crash between a successful POST and its bookkeeping
repeats the POST (listeners dedupe on ``eventId``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

from adapters.rest.callbacks import CallbackPolicy, Resolve, system_resolve
from adapters.rest.notifications import envelope
from adapters.rest.poster import HubPoster, encode
from adapters.rest.settings import RestSettings
from core.ports import Delivery, DeliveryQueue, FailedAttempt

log = logging.getLogger(__name__)

EVENT_GONE = "delivery failed: the event is no longer held"
# told of each attempt: its outcome (delivered, retry, failed, suspended) and the delivery (metrics)
HubObserver = Callable[[str, Delivery], None]


def _unobserved(_outcome: str, _delivery: Delivery) -> None:
    pass


class HubDispatcher:
    LEASE = "hub-dispatcher"

    def __init__(
        self,
        queue: DeliveryQueue,
        settings: RestSettings,
        base_url: str,
        *,
        resolve: Resolve = system_resolve,
        observe: HubObserver = _unobserved,
    ) -> None:
        self._queue = queue
        self._settings = settings
        self._base_url = base_url
        self.policy = CallbackPolicy(settings.hub_allowed_networks, resolve, settings.hub_timeout_seconds)
        self.holder = f"hub-{uuid.uuid4()}"
        self._wake = asyncio.Event()
        self._stopping = False
        self._renew_at = 0.0
        self._poster: HubPoster | None = None
        self._in_flight: dict[str, asyncio.Task[None]] = {}  # subscription id -> its delivery
        self._clients: Counter[str] = Counter()  # deliveries in flight per client
        self.observe = observe  # the composition root may hand it in after set-up

    def wake(self) -> None:
        """Hint that deliveries were just owed (saves waiting for the next poll)."""
        self._wake.set()

    def delay(self, failures: int) -> float:
        """Seconds before a subscription with this many failed attempts in a row is tried again."""
        s = self._settings
        return float(min(s.hub_retry_base_seconds * 2 ** min(failures, 62), s.hub_retry_max_seconds))

    def outcome(self, delivery: Delivery, error: str) -> FailedAttempt:
        """What a failed attempt means for the delivery and its subscription."""
        s = self._settings
        failures = delivery.subscription.failures + 1
        suspend = None
        if failures >= s.hub_failures_before_suspension:
            suspend = f"suspended after {failures} failed delivery attempts in a row; last: {error}"
        return FailedAttempt(
            error=error,
            retry_at=datetime.now(UTC) + timedelta(seconds=self.delay(failures - 1)),
            give_up=delivery.event is None or delivery.attempts + 1 >= s.hub_max_attempts,
            suspend=suspend,
        )

    async def _attempt(self, delivery: Delivery) -> None:
        assert self._poster is not None
        if delivery.event is None:
            error: str | None = EVENT_GONE
        else:
            body = encode(envelope(delivery.event, self._base_url))
            sub = delivery.subscription
            error = await self._poster.post(sub.callback, body, sub.secret)
        if error is None:
            await self._queue.delivered(delivery)
            self.observe("delivered", delivery)
            return
        outcome = self.outcome(delivery, error)
        self.observe("suspended" if outcome.suspend else "failed" if outcome.give_up else "retry", delivery)
        if outcome.suspend or outcome.give_up:
            log.warning(
                "hub: %s event %s for subscription %s: %s",
                "suspending after" if outcome.suspend else "giving up on",
                delivery.event_id,
                delivery.subscription.id,
                error,
            )
        await self._queue.attempt_failed(delivery, outcome)

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            await self._attempt(delivery)
        except asyncio.CancelledError:
            raise
        except Exception:  # the delivery stays pending: it is tried again
            log.exception("hub: delivery %s could not be recorded", delivery.id)
        finally:
            self._in_flight.pop(delivery.subscription.id, None)
            client = delivery.subscription.client_id
            self._clients[client] -= 1
            if self._clients[client] <= 0:
                del self._clients[client]
            self._wake.set()

    async def _hold_lease(self) -> bool:
        if time.monotonic() < self._renew_at:
            return True
        started = time.monotonic()
        lease = self._settings.hub_lease_seconds
        if not await self._queue.acquire_lease(self.LEASE, self.holder, lease):
            self._renew_at = 0.0
            return False
        self._renew_at = started + lease / 3
        return True

    async def run_once(self) -> int:
        """Start the deliveries that are due, if this worker holds the lease; returns how many."""
        s = self._settings
        room = s.hub_max_in_flight - len(self._in_flight)
        if room <= 0 or not await self._hold_lease():
            return 0
        full = {c for c, n in self._clients.items() if n >= s.hub_max_in_flight_per_client}
        due = await self._queue.due(datetime.now(UTC), room, set(self._in_flight), full)
        started = 0
        for delivery in due:
            client = delivery.subscription.client_id
            if self._clients[client] >= s.hub_max_in_flight_per_client:
                continue  # its turn comes when one of its deliveries is done
            self._clients[client] += 1
            task = asyncio.create_task(self._deliver(delivery), name=f"hub-delivery-{delivery.id}")
            self._in_flight[delivery.subscription.id] = task
            started += 1
        return started

    async def settle(self) -> None:
        """Wait for the deliveries in flight (tests, and stopping)."""
        while self._in_flight:
            await asyncio.wait(list(self._in_flight.values()))

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[HubDispatcher]:
        """The HTTP session deliveries go through; ``run_forever`` opens it itself."""
        s = self._settings
        async with HubPoster(self.policy, s.hub_timeout_seconds, s.hub_max_in_flight) as poster:
            self._poster = poster
            try:
                yield self
            finally:
                for task in self._in_flight.values():
                    task.cancel()
                await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
                self._poster = None

    async def run_forever(self) -> None:
        async with self.open():
            try:
                await self._loop()
                await self.settle()  # a delivery lasts at most the timeout
            finally:
                self._renew_at = 0.0
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._queue.release_lease(self.LEASE, self.holder))

    def stop(self) -> None:
        """Ask ``run_forever`` to return once the deliveries in flight are done (see
        ``OutboxRelay.stop``)."""
        self._stopping = True
        self._wake.set()

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                started = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("hub dispatcher: round failed; retrying")
                started = 0
            if started or self._stopping:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._settings.hub_poll_seconds)
