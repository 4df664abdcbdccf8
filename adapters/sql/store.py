"""SqlaOrderStore: units of work, the order repository and the outbox on SQL.

The unit of work here runs SQLAlchemy Core statements and serves SQLite (its
type processors write dates in SQLite's own text format).  On PostgreSQL the
store hands out the asyncpg unit of work of ``adapters.sql.pgwork`` instead,
which writes the same rows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql import cancel_tasks, pgwork, report
from adapters.sql import tables as t
from adapters.sql.engine import is_sqlite, make_engine, naive_utc, utcnow
from adapters.sql.errors import INFRA, unavailable
from adapters.sql.feeds import SqlaDeliveryQueue, SqlaOutboxFeed, SqlaSubscriptions
from adapters.sql.pgwork import PgPool, PgUnitOfWork
from adapters.sql.queries import run_query
from core.document.parse import order_from_dict
from core.document.render import order_to_dict
from core.domain.cancel_tasks import CancelTaskPage, CancelTaskQuery, touched
from core.domain.errors import DuplicateKey, ResyncRequired, Unavailable
from core.domain.event_codec import event_to_dict
from core.domain.events import OrderEvent
from core.domain.model import Order
from core.domain.query import OrderQuery
from core.domain.report import ReportRow, ReportScope
from core.ports import AlreadyRecorded, QueryPage


def order_row(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "kind": order.kind.value,
        "client_id": order.client_id,
        "state": order.state.value,
        "order_type": order.order_type,
        "external_id": order.external_id,
        "priority": order.priority.name.lower() if order.priority else None,
        "order_date": naive_utc(order.order_date),
        "requested_start_date": naive_utc(order.requested_start_date),
        "requested_completion_date": naive_utc(order.requested_completion_date),
        "completion_date": naive_utc(order.completion_date),
        "version": order.version,
        "document": order_to_dict(order),
    }


class SqlaOrderRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, order: Order) -> None:
        # A failed insert spoils the transaction; that is fine: the unit of work
        # that hits a duplicate key is abandoned whole.
        try:
            await self._conn.execute(t.orders.insert(), order_row(order))
        except sa_exc.IntegrityError:
            raise DuplicateKey(f"an order with id {order.id!r} exists", order.id) from None
        await cancel_tasks.write(self._conn, touched(order))

    async def get(self, order_id: str) -> Order | None:
        result = await self._conn.execute(sa.select(t.orders.c.document).where(t.orders.c.id == order_id))
        doc = result.scalar_one_or_none()
        return None if doc is None else order_from_dict(doc)

    async def save(self, order: Order, read_version: int) -> None:
        values = {k: v for k, v in order_row(order).items() if k != "id"}
        result = await self._conn.execute(
            t.orders.update().where(t.orders.c.id == order.id, t.orders.c.version == read_version), values
        )
        if result.rowcount != 1:
            raise ResyncRequired(f"order {order.id!r} changed since it was read")
        await cancel_tasks.write(self._conn, touched(order))

    async def remove(self, order: Order, read_version: int) -> None:
        result = await self._conn.execute(
            t.orders.delete().where(t.orders.c.id == order.id, t.orders.c.version == read_version)
        )
        if result.rowcount != 1:
            raise ResyncRequired(f"order {order.id!r} changed since it was read")

    async def query(self, query: OrderQuery, client_id: str | None) -> QueryPage:
        return (await run_query(self._conn, query, client_id)).page(query.as_documents)

    async def cancel_tasks(
        self, query: CancelTaskQuery, client_id: str | None, order_ids: frozenset[str]
    ) -> CancelTaskPage:
        return await cancel_tasks.listing(self._conn, query, client_id, order_ids)


class SqlaOutbox:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def append(self, events: Sequence[OrderEvent]) -> None:
        if not events:
            return
        now = utcnow()
        rows = [
            {
                "event_id": e.event_id,
                "order_id": e.order_id,
                "event_type": e.type.value,
                "payload": event_to_dict(e),
                "created_at": now,
            }
            for e in events
        ]
        await self._conn.execute(t.outbox.insert(), rows)


class SqlaRequestLog:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def recall(self, key: str) -> dict[str, Any] | None:
        result = await self._conn.execute(
            sa.select(t.processed_requests.c.result).where(t.processed_requests.c.key == key)
        )
        value = result.scalar_one_or_none()
        return None if value is None else dict(value)

    async def remember(self, key: str, result: dict[str, Any]) -> None:
        try:
            await self._conn.execute(
                t.processed_requests.insert().values(key=key, result=result, created_at=utcnow())
            )
        except sa_exc.IntegrityError:
            raise AlreadyRecorded(key) from None


class SqlaUnitOfWork:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> Self:
        try:
            # The transaction begins with the first statement (autobegin): one
            # trip less through SQLAlchemy's async bridge than an explicit begin.
            self._conn = await self._engine.connect()
        except Exception as e:
            if unavailable(e):
                raise Unavailable(f"database unavailable: {e}") from e
            raise
        self.orders = SqlaOrderRepository(self._conn)
        self.outbox = SqlaOutbox(self._conn)
        self.requests = SqlaRequestLog(self._conn)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._conn is not None
        with contextlib.suppress(*INFRA):
            await self._conn.close()  # rolls back anything not committed
        if unavailable(exc):
            raise Unavailable(f"database unavailable: {exc}") from exc

    async def commit(self) -> None:
        assert self._conn is not None
        try:
            await self._conn.commit()
        except sa_exc.IntegrityError as e:
            raise DuplicateKey(f"duplicate key: {e.orig}") from e
        except Exception as e:
            if unavailable(e):
                raise Unavailable(f"database unavailable: {e}") from e
            raise


class SqlaOrderStore(SqlaOutboxFeed, SqlaSubscriptions, SqlaDeliveryQueue):
    """Everything the core and the profiles persist, on one engine.

    Calling the store opens a unit of work (it is the UnitOfWorkFactory).  On
    PostgreSQL units of work run on their own asyncpg pool of ``pool_size``
    connections (``native=False`` keeps them on SQLAlchemy Core, as on SQLite);
    everything else (queries, the outbox feed, the hub's queues, leases) runs on
    the SQLAlchemy engine, whose pool opens connections only as they are needed.
    """

    def __init__(self, url: str, *, pool_size: int = 20, native: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        self.sqlite = is_sqlite(url)
        self.native = None if self.sqlite or not native else PgPool(url, pool_size)

    def __call__(self) -> SqlaUnitOfWork | PgUnitOfWork:
        if self.native is not None:
            return PgUnitOfWork(self.native, self.engine)
        return SqlaUnitOfWork(self.engine)

    # The relay's outbox feed runs on the asyncpg pool too, where there is one.

    async def unpublished(self, limit: int) -> list[OrderEvent]:
        if self.native is not None:
            return await pgwork.unpublished(self.native, limit)
        return await super().unpublished(limit)

    async def remove_published(self, seqs: Sequence[int]) -> None:
        if self.native is not None:
            return await pgwork.remove_published(self.native, seqs)
        return await super().remove_published(seqs)

    async def provisioning_figures(self, scope: ReportScope) -> list[ReportRow]:
        """The provisioning report, computed in the database (``adapters.sql.report``)."""
        return await report.provisioning_figures(self.engine, scope)

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
        except Exception:
            return False
        return True

    async def close(self) -> None:
        if self.native is not None:
            await self.native.close()
        await self.engine.dispose()
