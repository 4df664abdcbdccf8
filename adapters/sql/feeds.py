"""Leases, the outbox feed for the relay, and the hub's durable queues."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql import tables as t
from adapters.sql.engine import naive_utc, utcnow
from core.domain.event_codec import event_from_dict, event_to_dict
from core.domain.events import OrderEvent
from core.domain.model import Kind
from core.ports import Delivery, Subscription


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


def _subscription(row: sa.Row[tuple[object, ...]]) -> Subscription:
    m = row._mapping
    return Subscription(
        id=m["id"],
        callback=m["callback"],
        client_id=m["client_id"],
        kind=Kind(m["kind"]) if m["kind"] else None,
        query=m["query"],
    )


class SqlaSubscriptions(_Engine):
    async def add_subscription(self, subscription: Subscription) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                t.hub_subscriptions.insert().values(
                    id=subscription.id,
                    callback=subscription.callback,
                    client_id=subscription.client_id,
                    kind=subscription.kind.value if subscription.kind else None,
                    query=subscription.query,
                    created_at=utcnow(),
                )
            )

    async def remove_subscription(self, subscription_id: str, client_id: str | None) -> bool:
        stmt = t.hub_subscriptions.delete().where(t.hub_subscriptions.c.id == subscription_id)
        if client_id is not None:
            stmt = stmt.where(t.hub_subscriptions.c.client_id == client_id)
        async with self.engine.begin() as conn:  # deliveries go with it (ON DELETE CASCADE)
            return (await conn.execute(stmt)).rowcount == 1

    async def get_subscription(self, subscription_id: str) -> Subscription | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(t.hub_subscriptions).where(t.hub_subscriptions.c.id == subscription_id)
                )
            ).first()
        return None if row is None else _subscription(row)

    async def subscriptions(self, kind: Kind | None = None) -> list[Subscription]:
        stmt = sa.select(t.hub_subscriptions).order_by(t.hub_subscriptions.c.created_at)
        if kind is not None:
            stmt = stmt.where(
                sa.or_(t.hub_subscriptions.c.kind == kind.value, t.hub_subscriptions.c.kind.is_(None))
            )
        async with self.engine.connect() as conn:
            return [_subscription(r) for r in await conn.execute(stmt)]


class SqlaDeliveryQueue(_Engine):
    async def enqueue(self, subscription_id: str, event: OrderEvent) -> None:
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    t.hub_deliveries.insert().values(
                        subscription_id=subscription_id,
                        event_id=event.event_id,
                        payload=event_to_dict(event),
                        status="pending",
                        attempts=0,
                        next_attempt_at=utcnow(),
                    )
                )
        except sa_exc.IntegrityError:
            pass  # already owed (relay redelivery) or the subscription is gone

    def _select(self) -> sa.Select[tuple[object, ...]]:
        d, s = t.hub_deliveries, t.hub_subscriptions
        return sa.select(d, s.c.callback, s.c.client_id, s.c.kind, s.c.query).join(
            s, s.c.id == d.c.subscription_id
        )

    @staticmethod
    def _delivery(row: sa.Row[tuple[object, ...]]) -> Delivery:
        m = row._mapping
        sub = Subscription(
            m["subscription_id"],
            m["callback"],
            m["client_id"],
            Kind(m["kind"]) if m["kind"] else None,
            m["query"],
        )
        return Delivery(
            m["id"], sub, event_from_dict(m["payload"]), m["attempts"], m["status"], m["last_error"]
        )

    async def due(self, now: datetime, limit: int) -> list[Delivery]:
        d = t.hub_deliveries
        heads = sa.select(sa.func.min(d.c.id)).where(d.c.status == "pending").group_by(d.c.subscription_id)
        stmt = (
            self._select()
            .where(d.c.id.in_(heads), d.c.next_attempt_at <= naive_utc(now))
            .order_by(d.c.id)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return [self._delivery(r) for r in await conn.execute(stmt)]

    async def _update(self, delivery_id: int, **values: object) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                t.hub_deliveries.update()
                .where(t.hub_deliveries.c.id == delivery_id)
                .values(attempts=t.hub_deliveries.c.attempts + 1, **values)
            )

    async def delivered(self, delivery_id: int) -> None:
        await self._update(delivery_id, status="delivered", last_error=None)

    async def retry_later(self, delivery_id: int, at: datetime, error: str) -> None:
        await self._update(delivery_id, next_attempt_at=naive_utc(at), last_error=error[:2000])

    async def give_up(self, delivery_id: int, error: str) -> None:
        await self._update(delivery_id, status="failed", last_error=error[:2000])

    async def deliveries(self, subscription_id: str) -> list[Delivery]:
        stmt = (
            self._select()
            .where(t.hub_deliveries.c.subscription_id == subscription_id)
            .order_by(t.hub_deliveries.c.id)
        )
        async with self.engine.connect() as conn:
            return [self._delivery(r) for r in await conn.execute(stmt)]
