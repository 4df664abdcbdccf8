"""Retention on SQL: deletes what outlived its use, a small batch per transaction.

Every call picks at most ``limit`` rows by an indexed column and deletes them
by key in one short transaction, so no call holds locks for long and the
gateway's own writes interleave.  On PostgreSQL rows locked by someone else
are skipped (``SKIP LOCKED``), not waited for: the next round takes them.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql import tables as t
from adapters.sql.engine import naive_utc
from adapters.sql.feeds import SqlaLeases


class SqlaRetention(SqlaLeases):
    """The ``RetentionStore`` port on the store's engine (``SqlaRetention(store.engine)``)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def _delete(self, table: sa.Table, key: sa.Column[object], chosen: sa.Select[tuple[object]]) -> int:
        chosen = chosen.with_for_update(skip_locked=True)
        async with self.engine.begin() as conn:
            result = await conn.execute(table.delete().where(key.in_(chosen.scalar_subquery())))
        return int(result.rowcount or 0)

    async def prune_request_log(self, before: datetime, limit: int) -> int:
        r = t.processed_requests
        chosen = sa.select(r.c.key).where(r.c.created_at < naive_utc(before)).limit(limit)
        return await self._delete(r, r.c.key, chosen)

    async def prune_deliveries(self, status: str, before: datetime, limit: int) -> int:
        if status not in ("delivered", "failed"):
            raise ValueError(f"only finished deliveries are pruned, not {status!r}")
        d = t.hub_deliveries
        chosen = (
            sa.select(d.c.id).where(d.c.status == status, d.c.finished_at < naive_utc(before)).limit(limit)
        )
        return await self._delete(d, d.c.id, chosen)

    async def prune_suspended_subscriptions(self, before: datetime, limit: int) -> int:
        """Their deliveries go first, in batches (a cascade could delete thousands at once);
        a subscription goes once it has none left."""
        d, s = t.hub_deliveries, t.hub_subscriptions
        expired = sa.select(s.c.id).where(s.c.state == "suspended", s.c.state_changed_at < naive_utc(before))
        chosen = sa.select(d.c.id).where(d.c.subscription_id.in_(expired)).limit(limit)
        deleted = await self._delete(d, d.c.id, chosen)
        if deleted >= limit:
            return deleted
        empty = expired.where(~sa.exists().where(d.c.subscription_id == s.c.id)).limit(limit - deleted)
        return deleted + await self._delete(s, s.c.id, empty)

    async def prune_hub_events(self, before: datetime, limit: int) -> int:
        e, d = t.hub_events, t.hub_deliveries
        pending = sa.exists().where(d.c.event_id == e.c.event_id, d.c.status == "pending")
        chosen = sa.select(e.c.event_id).where(e.c.needed_at < naive_utc(before), ~pending).limit(limit)
        return await self._delete(e, e.c.event_id, chosen)
