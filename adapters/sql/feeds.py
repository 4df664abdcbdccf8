"""Leases and the outbox feed for the relay; the hub's durable queues (``hubqueue``)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql import tables as t
from adapters.sql.hubqueue import SqlaDeliveryQueue, SqlaSubscriptions
from core.domain.event_codec import event_from_dict
from core.domain.events import OrderEvent

__all__ = ["SqlaDeliveryQueue", "SqlaLeases", "SqlaOutboxFeed", "SqlaSubscriptions"]


class _Engine:
    engine: AsyncEngine


class SqlaLeases(_Engine):
    async def acquire_lease(self, name: str, holder: str, seconds: float) -> bool:
        now = time.time()
        async with self.engine.begin() as conn:
            result = await conn.execute(
                t.leases.update()
                .where(t.leases.c.name == name)
                .where(sa.or_(t.leases.c.holder == holder, t.leases.c.expires_at < now))
                .values(holder=holder, expires_at=now + seconds)
            )
            if result.rowcount == 1:
                return True
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    t.leases.insert().values(name=name, holder=holder, expires_at=now + seconds)
                )
        except sa_exc.IntegrityError:
            return False
        return True

    async def release_lease(self, name: str, holder: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(t.leases.delete().where(t.leases.c.name == name, t.leases.c.holder == holder))


class SqlaOutboxFeed(SqlaLeases):
    async def unpublished(self, limit: int) -> list[OrderEvent]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(t.outbox.c.seq, t.outbox.c.payload).order_by(t.outbox.c.seq).limit(limit)
            )
            return [event_from_dict(r.payload, seq=r.seq) for r in rows]

    async def remove_published(self, seqs: Sequence[int]) -> None:
        # Deleted, not marked: a delete writes no new row version (an update rewrites the
        # whole row, payload and all), and the outbox stays as small as what is owed.
        async with self.engine.begin() as conn:
            await conn.execute(t.outbox.delete().where(t.outbox.c.seq.in_(list(seqs))))
