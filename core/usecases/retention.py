"""Retention: what grows with traffic, not with the order book, is pruned to a bound.

The request log, finished hub deliveries, suspended subscriptions and the event
payloads the hub held for them would otherwise grow with every request and
every event forever.  One pruner across all gateway processes holds the
``retention`` lease; each round deletes, target by target, in small batches
(one short transaction each, a pause between them) until nothing older than
its retention is left.  Deleting is idempotent, so a round cut short, or run
twice by two holders around a lease hand-over, does no harm.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.ports import RetentionStore

log = logging.getLogger(__name__)

DAY = 86400.0


@dataclass(frozen=True)
class RetentionSettings:
    """How long each kind of row is kept, and how pruning paces itself.

    ``request_log_seconds``: a request's result answers its redelivery.  A request is
    redelivered when the broker lost its acknowledgement (the connection went between
    the commit and the ack), as soon as a gateway consumes again; the request queue
    sets no message TTL, so what bounds the wait is how long the AMQP profile can be
    without any consumer, and how long a client may resend a request under the same
    message id.  A week covers a long outage; a redelivery older than this runs again.
    """

    request_log_seconds: float = 7 * DAY
    delivered_seconds: float = 1 * DAY  # delivered deliveries: only counted, then dropped
    failed_seconds: float = 7 * DAY  # given up: the owner sees them this long
    suspended_subscription_seconds: float = 7 * DAY  # then the subscription goes, with its backlog
    hub_event_seconds: float = 600.0  # an event payload no pending delivery needs any more
    batch: int = 500  # rows per delete
    pause_seconds: float = 0.05  # between deletes, for the gateway's own writes
    interval_seconds: float = 60.0  # between rounds
    lease_seconds: float = 120.0

    def __post_init__(self) -> None:
        if self.batch < 1 or min(self.interval_seconds, self.lease_seconds) <= 0:
            raise ValueError("retention batch, interval and lease must be positive")
        if self.request_log_seconds < 3600:
            raise ValueError("the request log is kept at least an hour (see request_log_seconds)")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class RetentionPruner:
    LEASE = "retention"

    def __init__(
        self,
        store: RetentionStore,
        settings: RetentionSettings | None = None,
        *,
        clock: Callable[[], datetime] = _utcnow,
        holder: str | None = None,
    ) -> None:
        self._store = store
        self.settings = settings or RetentionSettings()
        self._now = clock
        self.holder = holder or f"retention-{uuid.uuid4()}"
        self._wake = asyncio.Event()
        self._stopping = False

    def _targets(self) -> list[tuple[str, Callable[[int], Awaitable[int]]]]:
        s, store, now = self.settings, self._store, self._now()

        def age(seconds: float) -> datetime:
            return now - timedelta(seconds=seconds)

        return [
            ("request log", lambda n: store.prune_request_log(age(s.request_log_seconds), n)),
            ("delivered", lambda n: store.prune_deliveries("delivered", age(s.delivered_seconds), n)),
            ("failed", lambda n: store.prune_deliveries("failed", age(s.failed_seconds), n)),
            (
                "suspended subscriptions",
                lambda n: store.prune_suspended_subscriptions(age(s.suspended_subscription_seconds), n),
            ),
            ("hub events", lambda n: store.prune_hub_events(age(s.hub_event_seconds), n)),
        ]

    async def run_once(self) -> dict[str, int]:
        """One round, if this pruner holds the lease: how many rows each target lost."""
        s = self.settings
        pruned: dict[str, int] = {}
        for name, prune in self._targets():
            total = 0
            while not self._stopping:
                if not await self._store.acquire_lease(self.LEASE, self.holder, s.lease_seconds):
                    return pruned
                deleted = await prune(s.batch)
                total += deleted
                if deleted < s.batch:
                    break
                await asyncio.sleep(s.pause_seconds)
            pruned[name] = total
        if any(pruned.values()):
            log.info("retention: pruned %s", ", ".join(f"{n} {k}" for k, n in pruned.items() if n))
        return pruned

    def stop(self) -> None:
        """Ask ``run_forever`` to return after the delete under way."""
        self._stopping = True
        self._wake.set()

    async def run_forever(self) -> None:
        try:
            while not self._stopping:
                self._wake.clear()  # before the round: a stop asked during it is not lost
                try:
                    await self.run_once()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("retention: round failed; trying again next round")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.settings.interval_seconds)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._store.release_lease(self.LEASE, self.holder))
