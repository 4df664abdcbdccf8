"""Gauges of one process's own state, sampled: database connections in use, AMQP requests in flight.

Sampling, rather than a hook at every checkout or delivery, keeps the
profiles and the store free of metrics code; a gauge a second or two old is
what a scrape every 15 s can use anyway.  Each worker samples itself, and
the scrape adds up the live workers (``livesum``).  The process answering a
scrape samples itself first, so a single process is never stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping

from adapters.operations.metrics import GatewayMetrics

log = logging.getLogger(__name__)

# pool name -> (connections in use, most it may open)
Pools = Callable[[], Mapping[str, tuple[int, int]]]
InFlight = Callable[[], int]


class ProcessSampler:
    def __init__(
        self,
        metrics: GatewayMetrics,
        pools: Pools,
        amqp_in_flight: InFlight | None = None,
        seconds: float = 2.0,
    ) -> None:
        self._metrics = metrics
        self._pools = pools
        self._amqp = amqp_in_flight
        self._seconds = seconds

    def sample(self) -> None:
        try:
            for name, (in_use, most) in self._pools().items():
                self._metrics.pool_in_use.labels(name).set(in_use)
                self._metrics.pool_size.labels(name).set(most)
            if self._amqp is not None:
                self._metrics.amqp_in_flight.set(self._amqp())
        except Exception:  # a pool closing under the sampler: the next sample will do
            log.debug("process gauges not sampled", exc_info=True)

    async def run(self, _app: object = None) -> AsyncIterator[None]:
        """An aiohttp ``cleanup_ctx``: samples while the application runs."""
        task = asyncio.create_task(self._loop(), name="metrics-sampler")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _loop(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self._seconds)
