"""The metrics' side of the composition root: the observers the profiles and workers are handed.

The profiles know nothing of Prometheus (adapters never import each other):
each exposes a small callback, defaulting to nothing, and this module turns
what it is told into ``GatewayMetrics`` calls.  It also says how full the
store's connection pools are, for the sampler.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from adapters.operations import GatewayMetrics
from adapters.sql import SqlaOrderStore
from core.domain.events import OrderEvent
from core.ports import Delivery


def amqp_observer(metrics: GatewayMetrics) -> Callable[[str, str, float], None]:
    def observe(operation: str, outcome: str, seconds: float) -> None:
        metrics.request("amqp", operation, outcome, seconds)

    return observe


def relay_observer(metrics: GatewayMetrics) -> Callable[[str, Sequence[OrderEvent]], None]:
    def observe(outcome: str, events: Sequence[OrderEvent]) -> None:
        metrics.relay(outcome, (event.occurred_at for event in events))

    return observe


def hub_observer(metrics: GatewayMetrics) -> Callable[[str, Delivery], None]:
    def observe(outcome: str, delivery: Delivery) -> None:
        occurred = delivery.event.occurred_at if delivery.event is not None else None
        metrics.hub(outcome, delivery.attempts, occurred)

    return observe


def store_pools(store: SqlaOrderStore) -> Callable[[], Mapping[str, tuple[int, int]]]:
    """Connections in use and the most each pool opens: the SQLAlchemy engine's (queries, hub,
    leases) and, on PostgreSQL, the asyncpg pool of the units of work."""

    def sample() -> dict[str, tuple[int, int]]:
        found: dict[str, tuple[int, int]] = {}
        pool = store.engine.pool
        if hasattr(pool, "checkedout") and hasattr(pool, "size"):
            found["sqlalchemy"] = (int(pool.checkedout()), int(pool.size()))
        native = store.native
        # the asyncpg pool is opened on first use; until then nothing is in use
        opened = getattr(native, "_pool", None) if native is not None else None
        if native is not None:
            in_use = 0 if opened is None else opened.get_size() - opened.get_idle_size()
            found["asyncpg"] = (in_use, native.size)
        return found

    return sample
