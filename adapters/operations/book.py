"""Figures of the database, read when Prometheus scrapes: the order book, jeopardy, the outbox, the hub.

They are the host's (the database's) whatever the number of workers, so they
are not instruments every worker writes: the process answering a scrape
reads them and adds them to its answer, once.  They are read at most every
``ttl`` seconds per process (scrapes from several Prometheus servers, or a
dashboard polling, cost one round of queries), each query a ``GROUP BY`` or
an aggregate on indexed columns:

* orders by kind and state: the index on (kind, state, ...) (an index-only scan);
* open orders in jeopardy: open states through the same index, then the
  expected completion date (in the document) or else the requested one
  (a column) before now -- the jeopardy rule of DESIGN §7;
* the outbox's depth and the age of its oldest event (it holds only what is
  still owed, so it is small when the relay keeps up);
* hub deliveries pending (``ix_hub_deliveries_pending``).

When the database does not answer, the last figures read are given with
``ordergate_order_book_up 0``, or none at all before a first read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

OPEN_STATES = (
    "acknowledged",
    "inProgress",
    "pending",
    "held",
    "assessingCancellation",
    "pendingCancellation",
)
QUERY_SECONDS = 5.0

_BY_KIND_AND_STATE = sa.text("SELECT kind, state, count(*) FROM orders GROUP BY kind, state")
_OUTBOX = sa.text("SELECT count(*), min(created_at) FROM outbox")
_HUB_PENDING = sa.text("SELECT count(*) FROM hub_deliveries WHERE status = 'pending'")
# the expected completion date lives in the document; the requested one has a column
_DUE = {
    "postgresql": "coalesce((document->>'expectedCompletionDate')::timestamptz AT TIME ZONE 'UTC',"
    " requested_completion_date)",
    "sqlite": "coalesce(datetime(json_extract(document, '$.expectedCompletionDate')),"
    " datetime(requested_completion_date))",
}


def _jeopardy(dialect: str) -> sa.TextClause:
    due = _DUE.get(dialect, _DUE["postgresql"])
    now = ":now" if dialect != "sqlite" else "datetime(:now)"
    return sa.text(
        f"SELECT kind, count(*) FROM orders WHERE state IN :open AND {due} < {now} GROUP BY kind"
    ).bindparams(sa.bindparam("open", expanding=True))


@dataclass(frozen=True)
class BookFigures:
    """One reading of the database's figures."""

    orders: Sequence[tuple[str, str, int]] = ()  # kind, state, count
    jeopardy: Sequence[tuple[str, int]] = ()  # kind, open orders past their due date
    outbox_depth: int = 0
    outbox_oldest_seconds: float = 0.0
    hub_pending: int = 0
    read_at: float = field(default_factory=time.monotonic)


async def read_figures(engine: AsyncEngine) -> BookFigures:
    """Every figure, in one short read-only round on one connection."""
    now = datetime.now(UTC).replace(tzinfo=None)  # the columns hold naive UTC
    async with engine.connect() as conn:
        orders = [(str(k), str(s), int(n)) for k, s, n in await conn.execute(_BY_KIND_AND_STATE)]
        jeopardy_sql = _jeopardy(engine.dialect.name)
        late = await conn.execute(jeopardy_sql, {"open": list(OPEN_STATES), "now": now})
        jeopardy = [(str(k), int(n)) for k, n in late]
        depth, oldest = (await conn.execute(_OUTBOX)).one()
        pending = (await conn.execute(_HUB_PENDING)).scalar_one()
    age = 0.0 if oldest is None else max(0.0, (now - _naive(oldest)).total_seconds())
    return BookFigures(orders, jeopardy, int(depth), age, int(pending))


def _naive(value: object) -> datetime:
    """SQLite hands a text column back as text."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.fromisoformat(str(value)).replace(tzinfo=None)


class OrderBookCollector(Collector):
    """The database's figures as Prometheus gauges, read at most every ``ttl`` seconds."""

    def __init__(self, engine: AsyncEngine, ttl: float = 5.0) -> None:
        self._engine = engine
        self._ttl = ttl
        self._figures: BookFigures | None = None
        self._up = False
        self._reading: asyncio.Lock | None = None

    async def refresh(self) -> BookFigures | None:
        """Fresh figures (or those read less than ``ttl`` ago); the last ones if the database fails."""
        if self._reading is None:
            self._reading = asyncio.Lock()
        async with self._reading:  # concurrent scrapes share one reading
            if (
                self._figures is not None
                and self._up
                and time.monotonic() - self._figures.read_at < self._ttl
            ):
                return self._figures
            try:
                async with asyncio.timeout(QUERY_SECONDS):
                    self._figures = await read_figures(self._engine)
                self._up = True
            except Exception as error:  # the outage watch tells it; a scrape still answers
                log.debug("order book figures not read: %s", error)
                self._up = False
        return self._figures

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            "ordergate_order_book_up", "1 when the database's figures were just read", self._up
        )
        f = self._figures
        if f is None:
            return
        orders = GaugeMetricFamily(
            "ordergate_orders", "Orders held, by kind and state", labels=["kind", "state"]
        )
        for kind, state, count in f.orders:
            orders.add_metric([kind, state], count)
        yield orders
        late = GaugeMetricFamily(
            "ordergate_orders_in_jeopardy",
            "Open orders past their expected (else requested) completion date, by kind",
            labels=["kind"],
        )
        for kind, count in f.jeopardy:
            late.add_metric([kind], count)
        yield late
        yield GaugeMetricFamily("ordergate_outbox_events", "Events in the outbox, still owed", f.outbox_depth)
        yield GaugeMetricFamily(
            "ordergate_outbox_oldest_event_age_seconds",
            "Age of the oldest event still in the outbox (0 when it is empty)",
            f.outbox_oldest_seconds,
        )
        yield GaugeMetricFamily(
            "ordergate_hub_pending_deliveries", "Hub deliveries still owed", f.hub_pending
        )
