"""Operations: the gateway's own figures for the people who run it (DESIGN §8).

``GET /metrics`` (Prometheus): requests by profile, operation and outcome
with their latency, the order book, jeopardy, the outbox, the relay and the
hub, AMQP and the database pools; host-wide under several workers
(``metrics``).  Like every adapter it imports no other adapter: the
profiles report through observer callbacks the composition root hands them
(``GatewayMetrics.request``, ``.relay``, ``.hub``; ``http.note`` for SOAP),
and the database figures are read with SQL of its own (``book``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.operations.book import OrderBookCollector
from adapters.operations.http import RequestMetrics, metrics_handler, note
from adapters.operations.metrics import GatewayMetrics
from adapters.operations.sampler import InFlight, Pools, ProcessSampler

__all__ = ["GatewayMetrics", "Operations", "RequestMetrics", "note", "setup_operations"]

METRICS_PATH = "/metrics"


@dataclass
class Operations:
    """What the operations adapter serves from: the instruments, the database's figures, the sampler."""

    metrics: GatewayMetrics
    book: OrderBookCollector
    sampler: ProcessSampler

    async def refresh(self) -> None:
        """Before a scrape (or a dashboard's look): this process sampled, the database's figures read."""
        self.sampler.sample()
        await self.book.refresh()


def setup_operations(
    app: web.Application,
    metrics: GatewayMetrics,
    engine: AsyncEngine,
    pools: Pools,
    amqp_in_flight: InFlight | None = None,
) -> Operations:
    """Serve ``GET /metrics`` on ``app`` and sample this process while it runs.  The request
    middleware (``RequestMetrics``) is the composition root's to put on the root application."""
    operations = Operations(
        metrics, OrderBookCollector(engine), ProcessSampler(metrics, pools, amqp_in_flight)
    )
    refresh: Callable[[], Awaitable[None]] = operations.refresh
    app.router.add_get(METRICS_PATH, metrics_handler(metrics, refresh, operations.book))
    app.cleanup_ctx.append(operations.sampler.run)
    return operations
