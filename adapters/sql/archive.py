"""The archive of closed orders: ``ordergate archive --closed-before DATE``.

Closed orders are the operator's record and are never pruned; an operator
whose order book has grown past what its daily queries need moves the old
ones to ``orders_archive`` (same columns and query indexes, plus
``archived_at``), where REST still reads them with ``?archived=true``.

An order qualifies when its state is closed and it closed before the date:
the time of the last entry of its history (a closed order changes no more,
so its last entry is its closing), or its order date when it has none.
Orders go in small batches, each one transaction that copies the rows into
the archive and deletes them from the book, so either both happen or
neither.  On PostgreSQL a batch locks its rows (``FOR UPDATE SKIP LOCKED``):
two archivers never take the same order, and an order a running gateway is
changing (removing, say) is skipped by this run.  A gateway that then
changes an order the archive took finds it gone, as if removed: the change
is refused as for an unknown order.  Batches advance through the order date
index, so a run reads every candidate once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql import tables as t
from adapters.sql.engine import naive_utc, utcnow
from core.domain.states import State

CLOSED = tuple(s.value for s in State if s.is_closed)
_ROW = [c.name for c in t.orders.columns]


def _closed_at(conn: AsyncConnection) -> sa.ColumnElement[Any]:
    """When an order closed: its history's last entry, else its order date (UTC)."""
    doc = t.orders.c.document
    if conn.dialect.name == "postgresql":
        path = sa.literal(["history", "-1", "at"], ARRAY(sa.Text))
        last = doc.op("#>>", return_type=sa.Text)(path)
        stamp = sa.cast(last, sa.DateTime(timezone=True))
        return sa.func.coalesce(stamp, sa.func.timezone("UTC", t.orders.c.order_date))
    extracted = sa.func.json_extract(doc, "$.history[#-1].at")
    return sa.func.coalesce(extracted, sa.func.strftime("%Y-%m-%dT%H:%M:%SZ", t.orders.c.order_date))


def _before(conn: AsyncConnection, moment: datetime) -> Any:
    """The cut-off as the closing time compares (SQLite compares the ISO text)."""
    if conn.dialect.name == "postgresql":
        return moment
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ArchiveRun:
    """What one run moved, and where it got to in the order date index."""

    moved: int = 0
    batches: int = 0
    position: tuple[datetime, str] | None = None


async def archive_batch(
    engine: AsyncEngine, closed_before: datetime, limit: int, position: tuple[datetime, str] | None
) -> tuple[int, tuple[datetime, str] | None]:
    """Move up to ``limit`` orders closed before ``closed_before`` (after ``position`` in the
    order date index), in one transaction; how many, and the position of the last one."""
    o = t.orders
    async with engine.begin() as conn:
        chosen = (
            sa.select(o.c.id, o.c.order_date)
            .where(o.c.order_date < naive_utc(closed_before), o.c.state.in_(CLOSED))
            .where(_closed_at(conn) < _before(conn, closed_before))
            .order_by(o.c.order_date, o.c.id)
            .limit(limit)
        )
        if position is not None:
            chosen = chosen.where(sa.tuple_(o.c.order_date, o.c.id) > sa.tuple_(*position))
        if conn.dialect.name == "postgresql":
            chosen = chosen.with_for_update(skip_locked=True)
        rows = (await conn.execute(chosen)).all()
        if not rows:
            return 0, None
        ids = [r.id for r in rows]
        copied = sa.select(*(o.c[name] for name in _ROW), sa.literal(utcnow(), sa.DateTime()))
        await conn.execute(
            t.orders_archive.insert().from_select([*_ROW, "archived_at"], copied.where(o.c.id.in_(ids)))
        )
        await conn.execute(o.delete().where(o.c.id.in_(ids)))
    return len(rows), (rows[-1].order_date, rows[-1].id)


async def archive_closed(
    engine: AsyncEngine, closed_before: datetime, batch: int = 500, pause: float = 0.0
) -> ArchiveRun:
    """Every order closed before ``closed_before`` moved to the archive, ``batch`` at a time."""
    import asyncio

    run = ArchiveRun()
    while True:
        moved, last = await archive_batch(engine, closed_before, batch, run.position)
        run.moved += moved
        run.batches += 1 if moved else 0
        if moved < batch or last is None:
            return run
        run.position = last
        if pause:
            await asyncio.sleep(pause)  # room for the gateway's own writes
